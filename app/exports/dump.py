"""Full dump: the whole database as a ZIP of one CSV per table + datapackage.json.

The package follows the Frictionless Data Package / Table Schema specs, so
any tool can read it; ``load_dump`` puts it back into an empty database and
a new dump of that database is byte-for-byte the same file.
"""

from __future__ import annotations

import base64
import binascii
import csv
import io
import json
import zipfile
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal

import sqlalchemy as sa

from app.extensions import db
from app.search import rebuild as rebuild_index

#: How NULL is written in the CSV files (declared as the schema's missingValues),
#: so that NULL and the empty string stay distinct.
NULL = "\\N"
#: Fixed timestamp of ZIP entries: the same data gives the same bytes.
ZIP_TIME = (1980, 1, 1, 0, 0, 0)
BATCH = 5000
#: The Data Package spec wants at least one licence. A complete dump holds
#: personal data (RGPD): it is not open data, whatever the council publishes.
DUMP_LICENSE = {
    "name": "other-closed",
    "title": "Données internes, diffusion restreinte (données personnelles)",
}


class DumpError(ValueError):
    """The dump cannot be loaded; the message is French."""


def _base_type(column):
    ctype = column.type
    return ctype.impl if isinstance(ctype, sa.types.TypeDecorator) else ctype


def _field_type(column) -> dict:
    ctype = _base_type(column)
    if isinstance(ctype, sa.LargeBinary):
        # Table Schema: a string of format "binary" is base64 (document files,
        # e-mail attachments).
        return {"type": "string", "format": "binary"}
    if isinstance(ctype, sa.Enum):
        return {"type": "string", "constraints": {"enum": list(ctype.enums)}}
    if isinstance(ctype, sa.Boolean):
        return {"type": "boolean", "trueValues": ["true"], "falseValues": ["false"]}
    if isinstance(ctype, sa.DateTime):
        return {"type": "datetime"}
    if isinstance(ctype, sa.Date):
        return {"type": "date"}
    if isinstance(ctype, sa.Integer):
        return {"type": "integer"}
    if isinstance(ctype, sa.Numeric | sa.Float):
        return {"type": "number"}
    return {"type": "string"}


def table_schema(table: sa.Table) -> dict:
    fields = []
    for column in table.columns:
        spec = {"name": column.name, **_field_type(column)}
        if not column.nullable:
            spec.setdefault("constraints", {})["required"] = True
        fields.append(spec)
    schema: dict = {"fields": fields, "missingValues": [NULL]}
    pk = [c.name for c in table.primary_key.columns]
    if pk:
        schema["primaryKey"] = pk
    fks = []
    for fk in sorted(table.foreign_key_constraints, key=lambda f: f.name or ""):
        fks.append(
            {
                "fields": [c.name for c in fk.columns],
                "reference": {
                    "resource": fk.referred_table.name,
                    "fields": [e.column.name for e in fk.elements],
                },
            }
        )
    if fks:
        schema["foreignKeys"] = fks
    return schema


def _encode(value) -> str:
    if value is None:
        return NULL
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value.isoformat() + "Z"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, bytes | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    if hasattr(value, "name") and hasattr(value, "value"):  # enum member
        return value.name
    return str(value)


def dump_tables() -> list[sa.Table]:
    """Every table but derived data (the search index, rebuilt on load)."""
    return [t for t in db.metadata.sorted_tables if not t.info.get("derived")]


def write_dump(fh, session=None, progress: Callable[[int], None] | None = None) -> int:
    """Write the ZIP to the binary file ``fh``; return the number of rows.

    ``progress(1)`` is called after each table (a job shows "X sur Y tables").
    """
    session = session or db.session
    total = 0
    resources = []
    with zipfile.ZipFile(fh, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for table in dump_tables():
            path = f"data/{table.name}.csv"
            info = zipfile.ZipInfo(path, date_time=ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            order = [c for c in table.primary_key.columns] or list(table.columns)
            stmt = sa.select(*table.columns).order_by(*order)
            count = 0
            with zf.open(info, "w") as raw:
                out = io.TextIOWrapper(raw, encoding="utf-8", newline="")
                writer = csv.writer(out, lineterminator="\n")
                writer.writerow([c.name for c in table.columns])
                result = session.execute(stmt)
                for part in result.partitions(BATCH):
                    writer.writerows([[_encode(v) for v in row] for row in part])
                    count += len(part)
                out.flush()
                out.detach()
            total += count
            if progress is not None:
                progress(1)
            resources.append(
                {
                    "name": table.name,
                    "path": path,
                    "profile": "tabular-data-resource",
                    "format": "csv",
                    "mediatype": "text/csv",
                    "encoding": "utf-8",
                    "dialect": {"delimiter": ",", "lineTerminator": "\n"},
                    "schema": table_schema(table),
                }
            )
        package = {
            "profile": "tabular-data-package",
            "name": "cdpl-gestion",
            "title": "Données de cdpl-gestion",
            "licenses": [DUMP_LICENSE],
            "resources": resources,
        }
        text = json.dumps(package, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
        info = zipfile.ZipInfo("datapackage.json", date_time=ZIP_TIME)
        info.compress_type = zipfile.ZIP_DEFLATED
        zf.writestr(info, text)
    return total


def _parse_datetime(text: str) -> datetime:
    # "Z" marks a UTC timestamp (timezone-aware column); without it, naive.
    if text.endswith("Z"):
        return datetime.fromisoformat(text[:-1]).replace(tzinfo=UTC)
    return datetime.fromisoformat(text)


def _binary(text: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except binascii.Error as exc:
        raise DumpError("Un contenu de fichier de l'archive est illisible.") from exc


def _decoder(column):
    ctype = _base_type(column)
    if isinstance(ctype, sa.LargeBinary):
        return _binary
    if isinstance(ctype, sa.Enum):
        enum_cls = column.type.enum_class
        return (lambda v: enum_cls[v]) if enum_cls is not None else str
    if isinstance(ctype, sa.Boolean):
        return lambda v: v == "true"
    if isinstance(ctype, sa.DateTime):
        return _parse_datetime
    if isinstance(ctype, sa.Date):
        return date.fromisoformat
    if isinstance(ctype, sa.Integer):
        return int
    if isinstance(ctype, sa.Numeric | sa.Float):
        return Decimal
    return str


def load_dump(fh, session=None, progress=None) -> int:
    """Load a dump into an empty database, in one transaction; return the row count."""
    session = session or db.session
    try:
        zf = zipfile.ZipFile(fh)
    except zipfile.BadZipFile as exc:
        raise DumpError("Ce fichier n'est pas une archive ZIP de sauvegarde.") from exc
    with zf:
        try:
            package = json.loads(zf.read("datapackage.json"))
        except (KeyError, ValueError) as exc:
            raise DumpError(
                "L'archive ne contient pas de datapackage.json valide."
            ) from exc
        by_name = {r["name"]: r for r in package.get("resources", [])}
        tables = dump_tables()
        unknown = set(by_name) - {t.name for t in tables}
        if unknown:
            raise DumpError(
                "L'archive contient des tables inconnues de cette version : "
                + ", ".join(sorted(unknown))
            )
        for table in tables:
            if session.execute(sa.select(sa.func.count()).select_from(table)).scalar():
                raise DumpError(
                    f"La base n'est pas vide (table {table.name}) : le chargement "
                    "d'une sauvegarde se fait dans une instance neuve."
                )
        total = 0
        deferred: list[tuple[sa.Table, list[tuple]]] = []
        for table in tables:
            resource = by_name.get(table.name)
            if resource is None:
                continue
            total += _load_table(session, zf, table, resource, deferred, progress)
        # Self references (e.g. meeting.next_meeting_id) are set once all rows exist.
        for table, pairs in deferred:
            pk = list(table.primary_key.columns)[0]
            for ident, values in pairs:
                session.execute(table.update().where(pk == ident).values(values))
        _reset_sequences(session, tables)
        # Core inserts skip the index hook: rebuild it in the same transaction.
        rebuild_index(session)
        session.commit()
    return total


def _load_table(session, zf, table, resource, deferred, progress) -> int:
    with zf.open(resource["path"]) as raw:
        reader = csv.reader(io.TextIOWrapper(raw, encoding="utf-8", newline=""))
        header = next(reader, None) or []
        missing = [c for c in header if c not in table.columns]
        if missing:
            raise DumpError(
                f"Table {table.name} : colonnes inconnues " + ", ".join(missing)
            )
        columns = [table.columns[c] for c in header]
        decoders = [_decoder(c) for c in columns]
        self_refs = [
            c.name
            for c in columns
            if any(fk.column.table is table for fk in c.foreign_keys)
        ]
        pk = list(table.primary_key.columns)
        # Columns with an onupdate default (updated_at) keep their loaded value.
        stamped = [c.name for c in columns if c.onupdate is not None]
        pairs: list = []
        count = 0
        batch = []
        for row in reader:
            record = {
                col.name: (None if value == NULL else decode(value))
                for col, decode, value in zip(columns, decoders, row, strict=True)
            }
            later = {n: record[n] for n in self_refs if record[n] is not None}
            if later:
                later.update({n: record[n] for n in stamped})
                pairs.append((record[pk[0].name], later))
                for name in self_refs:
                    record[name] = None
            batch.append(record)
            if len(batch) >= BATCH:
                session.execute(table.insert(), batch)
                count += len(batch)
                if progress:
                    progress(len(batch))
                batch = []
        if batch:
            session.execute(table.insert(), batch)
            count += len(batch)
            if progress:
                progress(len(batch))
        if pairs:
            deferred.append((table, pairs))
    return count


def _reset_sequences(session, tables) -> None:
    """PostgreSQL: move each id sequence past the loaded rows."""
    if session.get_bind().dialect.name != "postgresql":
        return
    for table in tables:
        pk = list(table.primary_key.columns)
        if len(pk) != 1 or not isinstance(pk[0].type, sa.Integer):
            continue
        session.execute(
            sa.text(
                "SELECT setval(pg_get_serial_sequence(:t, :c), "
                f'COALESCE((SELECT MAX("{pk[0].name}") FROM "{table.name}"), 0) + 1, false)'
            ),
            {"t": table.name, "c": pk[0].name},
        )
