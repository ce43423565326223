"""Full dump: ZIP of CSV + datapackage.json; dump, load, dump gives identical files."""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile

import pytest
import sqlalchemy as sa

from app.exports.dump import NULL, DumpError, load_dump, write_dump
from app.extensions import db as _db
from app.models import (
    DataTransfer,
    Document,
    Job,
    Meeting,
    Member,
    PlanAction,
    TransferOperation,
)
from app.models.search import UNMANAGED_TABLES
from tests.conftest import truncate_all


def _dump_bytes() -> bytes:
    buf = io.BytesIO()
    write_dump(buf)
    _db.session.rollback()
    return buf.getvalue()


def _files(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def test_dump_is_a_frictionless_data_package(full_data):
    files = _files(_dump_bytes())
    package = json.loads(files["datapackage.json"])
    assert package["profile"] == "tabular-data-package"
    # The Data Package spec wants at least one licence, each with a name or path.
    assert package["licenses"]
    assert all(lic.get("name") or lic.get("path") for lic in package["licenses"])
    names = {r["name"] for r in package["resources"]}
    assert {
        "member",
        "meeting",
        "attendance",
        "document_plan_action",
        "data_transfer",
    } <= names
    member = next(r for r in package["resources"] if r["name"] == "member")
    types = {f["name"]: f["type"] for f in member["schema"]["fields"]}
    assert types["id"] == "integer"
    assert types["joined_on"] == "date"
    assert types["created_at"] == "datetime"
    assert member["schema"]["primaryKey"] == ["id"]
    assert member["schema"]["missingValues"] == [NULL]
    assert {
        "fields": ["organisation_id"],
        "reference": {"resource": "organisation", "fields": ["id"]},
    } in member["schema"]["foreignKeys"]
    rows = list(csv.reader(io.StringIO(files["data/member.csv"].decode())))
    assert rows[0] == [f["name"] for f in member["schema"]["fields"]]
    count = full_data.session.execute(
        sa.select(sa.func.count()).select_from(Member)
    ).scalar()
    assert len(rows) - 1 == count


def test_dump_load_dump_is_identical(full_data):
    # Make sure awkward values survive: NULL vs empty text, self references.
    meetings = (
        full_data.session.execute(sa.select(Meeting).order_by(Meeting.id))
        .scalars()
        .all()
    )
    meetings[0].place = ""
    full_data.session.add(
        DataTransfer(
            actor="cli",
            operation=TransferOperation.export,
            target="member",
            row_count=3,
        )
    )
    full_data.session.commit()
    assert any(m.next_meeting_id for m in meetings)
    first = _dump_bytes()

    truncate_all()
    with pytest.raises(DumpError):  # not empty: refused
        _db.session.add(Member(first_name="A", last_name="B"))
        _db.session.commit()
        load_dump(io.BytesIO(first))
    _db.session.rollback()
    truncate_all()

    loaded = load_dump(io.BytesIO(first))
    assert loaded > 30
    second = _dump_bytes()
    assert _files(second) == _files(first)
    assert second == first  # fixed entry dates: even the ZIP bytes match
    # The database works after loading: new rows get fresh ids.
    _db.session.add(Member(first_name="Nouveau", last_name="Membre"))
    _db.session.commit()


def test_dump_page_and_command(app, full_data, admin_client, tmp_path):
    page = admin_client.get("/admin/dump/")
    assert 'name="csrf_token"' in page.get_data(as_text=True)
    # The ZIP is written by a job; its page links to the file.
    started = admin_client.post("/admin/dump/")
    assert started.status_code == 302 and "/admin/jobs/" in started.location
    page = admin_client.get(started.location).get_data(as_text=True)
    assert "Sauvegarde prête" in page
    link = re.search(r'href="([^"]+/telecharger/)"', page).group(1)
    response = admin_client.get(link)
    data = response.get_data()
    response.close()
    assert response.status_code == 200
    assert response.mimetype == "application/zip"
    assert "datapackage.json" in _files(data)
    target = tmp_path / "sauvegarde.zip"
    result = app.test_cli_runner().invoke(args=["dump", str(target)])
    assert result.exit_code == 0, result.output
    assert _files(target.read_bytes()).keys() == _files(data).keys()
    ops = full_data.session.execute(
        sa.select(DataTransfer.operation, DataTransfer.actor)
    ).all()
    assert (TransferOperation.dump, "cli") in ops
    assert len([o for o in ops if o[0] == TransferOperation.dump]) == 2


def test_load_dump_refuses_garbage(app, db, tmp_path):
    path = tmp_path / "x.zip"
    path.write_bytes(b"not a zip")
    result = app.test_cli_runner().invoke(args=["load-dump", str(path)])
    assert result.exit_code != 0
    assert "n'est pas une archive ZIP" in result.output


def _database_counts() -> dict[str, int]:
    """Row count of every table the database holds (migrations' own excepted)."""
    _db.session.rollback()
    names = set(sa.inspect(_db.engine).get_table_names()) - {"alembic_version"}
    with _db.engine.connect() as conn:
        return {
            name: conn.execute(
                sa.select(sa.func.count()).select_from(sa.table(name))
            ).scalar_one()
            for name in names
        }


@pytest.fixture
def every_table_filled(full_data, admin_client):
    """Demo data, an account with its session and log lines: no table is empty."""
    actions = full_data.session.execute(sa.select(PlanAction).limit(1)).scalars()
    full_data.session.add(Document(title="Avis sur le STN", plan_actions=list(actions)))
    full_data.session.add(
        DataTransfer(
            actor="cli",
            operation=TransferOperation.export,
            target="member",
            row_count=3,
        )
    )
    full_data.session.add(Job(kind="dump", lane="dump", started_by="cli"))
    full_data.session.commit()
    counts = _database_counts()
    assert [name for name, n in counts.items() if n == 0] == []
    return counts


def test_dump_holds_every_table_with_its_rows_and_loads_them_back(
    every_table_filled,
):
    counts = every_table_filled
    data = _dump_bytes()
    files = _files(data)
    package = json.loads(files["datapackage.json"])
    resources = {r["name"]: r for r in package["resources"]}
    # Every table of the models and of the database, none left out, but for
    # derived data (the search index), which a load rebuilds.
    derived = {t.name for t in _db.metadata.sorted_tables if t.info.get("derived")}
    assert derived == {"search_entry"}
    assert set(resources) == set(_db.metadata.tables) - derived
    # The database also holds the full-text index's own tables (SQLite FTS5).
    assert set(resources) == set(counts) - derived - UNMANAGED_TABLES
    for name, resource in resources.items():
        rows = list(csv.reader(io.StringIO(files[resource["path"]].decode())))
        assert len(rows) - 1 == counts[name], name

    truncate_all()
    assert load_dump(io.BytesIO(data)) == sum(counts[name] for name in resources)
    # The same rows come back, and the load rebuilt the derived search index
    # (FTS5's own b-tree pages may be laid out differently: not compared).
    after = _database_counts()
    assert {n: c for n, c in after.items() if n not in UNMANAGED_TABLES} == {
        n: c for n, c in counts.items() if n not in UNMANAGED_TABLES
    }
