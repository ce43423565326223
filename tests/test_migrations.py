"""Migrations: empty → head → base → head, and the models agree with them."""

from __future__ import annotations

import sys
import time
import uuid

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from app import create_app
from app.db import MIGRATIONS_DIR, current_and_head, migration_heads, migrations
from app.extensions import db
from app.models import Member, Organisation
from app.models.search import UNMANAGED_TABLES, include_name
from tests.conftest import PG_URL, base_config


@pytest.fixture
def empty_database_uri(tmp_path):
    """A brand-new empty database of the same kind as the suite's."""
    if not PG_URL:
        yield f"sqlite:///{tmp_path}/migrations.sqlite3"
        return
    name = f"cdpl_migr_{uuid.uuid4().hex[:8]}"
    admin_url = sa.engine.make_url(
        PG_URL.replace("postgresql://", "postgresql+psycopg://")
    )
    engine = sa.create_engine(
        admin_url.set(database="postgres"), isolation_level="AUTOCOMMIT"
    )
    with engine.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield admin_url.set(database=name).render_as_string(hide_password=False)
    finally:
        _drop_database(engine, name)
        engine.dispose()


def _drop_database(engine, name: str) -> None:
    """Drop the throwaway database, retrying while a background worker (e.g.
    autovacuum, which a non-superuser cannot terminate) still has it open."""
    for _ in range(20):
        try:
            with engine.connect() as conn:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            return
        except sa.exc.DBAPIError:
            time.sleep(0.5)
    # A leftover throwaway database harms nothing; failing the run for it would.
    print(f"note: could not drop the throwaway database {name}", file=sys.stderr)


def _tables() -> set[str]:
    names = set(sa.inspect(db.engine).get_table_names())
    return names - {"alembic_version"} - UNMANAGED_TABLES


def test_upgrade_downgrade_upgrade_and_models_agree(tmp_path, empty_database_uri):
    app = create_app(
        base_config(
            tmp_path, SQLALCHEMY_DATABASE_URI=empty_database_uri, AUTO_MIGRATE=False
        )
    )
    expected = {t.name for t in db.metadata.sorted_tables}
    with app.app_context():
        assert _tables() == set()
        flask_migrate = migrations(app)
        flask_migrate.upgrade(directory=MIGRATIONS_DIR)
        assert _tables() == expected
        flask_migrate.downgrade(directory=MIGRATIONS_DIR, revision="base")
        assert _tables() == set()
        flask_migrate.upgrade(directory=MIGRATIONS_DIR)
        assert _tables() == expected

        with db.engine.connect() as conn:
            context = MigrationContext.configure(
                conn,
                opts={
                    "compare_type": True,
                    "render_as_batch": True,
                    "include_name": include_name,
                },
            )
            diff = compare_metadata(context, db.metadata)
        assert diff == [], f"models and migrations disagree: {diff}"
        db.engine.dispose()


def test_first_start_creates_and_migrates_the_database(tmp_path, empty_database_uri):
    app = create_app(base_config(tmp_path, SQLALCHEMY_DATABASE_URI=empty_database_uri))
    with app.app_context():
        assert {t.name for t in db.metadata.sorted_tables} <= _tables()
        db.engine.dispose()


def test_foreign_keys_enforced_after_a_restart(tmp_path):
    """A fresh app on an already-migrated database (a restart): its new
    connections refuse a link to a record that does not exist.

    The suite's own engine cannot show this: the migration connection turns
    foreign keys on itself and stays in the pool.
    """
    uri = PG_URL or f"sqlite:///{tmp_path}/restart.sqlite3"
    first = create_app(base_config(tmp_path, SQLALCHEMY_DATABASE_URI=uri))
    with first.app_context():
        db.engine.dispose()
    restarted = create_app(base_config(tmp_path, SQLALCHEMY_DATABASE_URI=uri))
    with restarted.app_context():
        try:
            current, heads = current_and_head(restarted)
            assert current == heads  # nothing migrated at this start
            with db.engine.connect() as conn:
                missing = conn.execute(
                    sa.select(sa.func.coalesce(sa.func.max(Organisation.id), 0) + 1000)
                ).scalar_one()
                if conn.dialect.name == "sqlite":
                    assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            db.session.add(
                Member(first_name="Lien", last_name="Cassé", organisation_id=missing)
            )
            with pytest.raises(sa.exc.IntegrityError):
                db.session.commit()
            db.session.rollback()
        finally:
            db.session.remove()
            db.engine.dispose()


def test_sqlite_connections_are_configured(app, db):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite-specific pragmas")
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA secure_delete").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000


def test_sqlite_transactions_take_the_write_lock_at_begin(app, db, tmp_path):
    """BEGIN IMMEDIATE: a second writer waits instead of failing mid-transaction."""
    import sqlite3

    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite-specific transaction mode")
    path = db.engine.url.database
    with db.engine.connect() as conn:
        conn.exec_driver_sql("SELECT 1").scalar()  # begins the transaction
        other = sqlite3.connect(path, timeout=0.05, isolation_level=None)
        try:
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("BEGIN IMMEDIATE")
        finally:
            other.close()
        conn.rollback()


def test_search_migration_indexes_the_records_already_there(
    tmp_path, empty_database_uri
):
    """0014 fills the index from the existing rows as `reindex` would."""
    from app.models import SearchEntry
    from app.search import parse, rebuild, search

    app = create_app(
        base_config(
            tmp_path, SQLALCHEMY_DATABASE_URI=empty_database_uri, AUTO_MIGRATE=False
        )
    )
    with app.app_context():
        flask_migrate = migrations(app)
        # The schema just before the search index, whatever came before it.
        before = (
            ScriptDirectory.from_config(
                flask_migrate.Migrate().get_config(MIGRATIONS_DIR)
            )
            .get_revision("0014")
            .down_revision
        )
        flask_migrate.upgrade(directory=MIGRATIONS_DIR, revision=before)
        now = sa.func.current_timestamp()
        stamps = {"created_at": now, "updated_at": now, "version": 1}
        with db.engine.begin() as conn:
            # Tables as that revision has them (the models may hold later columns).
            old = sa.MetaData()
            old.reflect(conn, only=["organisation", "member", "plan", "plan_action"])
            conn.execute(
                sa.insert(old.tables["organisation"]).values(
                    id=1, name="Café des Possibles", kind="association", **stamps
                )
            )
            conn.execute(
                sa.insert(old.tables["member"]).values(
                    id=1,
                    first_name="Solenn",
                    last_name="Bréhaut",
                    notes="Bureau",
                    role="member",
                    organisation_id=1,
                    **stamps,
                )
            )
            conn.execute(
                sa.insert(old.tables["plan"]).values(
                    id=1,
                    name="Schéma Territorial du Numérique",
                    short_name="STN",
                    **stamps,
                )
            )
            conn.execute(
                sa.insert(old.tables["plan_action"]).values(
                    id=1,
                    plan_id=1,
                    number=12,
                    title="Recenser les initiatives",
                    **stamps,
                )
            )
        flask_migrate.upgrade(directory=MIGRATIONS_DIR)
        table = SearchEntry.__table__
        columns = (table.c.record_type, table.c.record_id, table.c.title, table.c.body)

        def entries():
            rows = db.session.execute(sa.select(*columns)).all()
            return {
                (t, i, " ".join(a.split()), " ".join(b.split())) for t, i, a, b in rows
            }

        migrated = entries()
        assert len(migrated) == 4
        assert search(db.session, parse("brehaut"), ["member"]).total == 1
        assert search(db.session, parse("action 12"), ["plan_action"]).total == 1
        rebuild(db.session)
        assert entries() == migrated
        db.session.rollback()
        db.engine.dispose()


def _alembic_heads(directory) -> set[str]:
    cfg = Config()
    cfg.set_main_option("script_location", str(directory))
    return set(ScriptDirectory.from_config(cfg).get_heads())


def _script(versions, revision, down, quote='"') -> None:
    down_text = repr(down) if not isinstance(down, str) else f"{quote}{down}{quote}"
    (versions / f"{revision}_x.py").write_text(
        f'''"""Revision {revision}.

Revision ID: {revision}
Revises: {down}
"""

revision{": str" if quote == '"' else ""} = {quote}{revision}{quote}
down_revision = {down_text}


def upgrade():
    pass
'''
    )


def test_heads_read_from_the_scripts_agree_with_alembic(tmp_path):
    """The start-up check reads the scripts' text without Alembic: same heads."""
    assert migration_heads() == _alembic_heads(MIGRATIONS_DIR)
    versions = tmp_path / "versions"
    versions.mkdir()
    (tmp_path / "script.py.mako").write_text("")
    _script(versions, "0001", None)
    _script(versions, "0002", "0001", quote="'")
    _script(versions, "0003", "0001")
    assert migration_heads(str(tmp_path)) == {"0002", "0003"}  # two branches
    assert migration_heads(str(tmp_path)) == _alembic_heads(tmp_path)
    _script(versions, "0004", ("0002", "0003"))
    assert migration_heads(str(tmp_path)) == {"0004"}  # merged
    assert migration_heads(str(tmp_path)) == _alembic_heads(tmp_path)


def test_heads_of_an_unusual_script_are_left_to_alembic(tmp_path, monkeypatch):
    from app import db as app_db

    versions = tmp_path / "versions"
    versions.mkdir()
    _script(versions, "0001", None)
    (versions / "0002_x.py").write_text(
        'PARENT = "0001"\nrevision = "0002"\ndown_revision = PARENT\n'
    )
    asked = []
    monkeypatch.setattr(app_db, "_alembic_heads", lambda d: asked.append(d) or {"x"})
    assert migration_heads(str(tmp_path)) == {"x"}
    assert asked == [str(tmp_path)]


def test_a_database_behind_the_scripts_is_migrated_at_start(
    tmp_path, empty_database_uri
):
    """Up to date, a start reads the revision and migrates nothing; one
    revision behind, it brings the database to the head."""
    config = base_config(tmp_path, SQLALCHEMY_DATABASE_URI=empty_database_uri)
    first = create_app(config)
    with first.app_context():
        current, heads = current_and_head(first)
        assert current == heads
        migrations(first).downgrade(directory=MIGRATIONS_DIR, revision="-1")
        assert current_and_head(first)[0] not in (heads, set())
        db.engine.dispose()
    again = create_app(config)
    assert again.extensions.get("migrate") is not None  # Flask-Migrate was needed
    with again.app_context():
        assert current_and_head(again) == (heads, heads)
        db.engine.dispose()
    up_to_date = create_app(config)
    assert "migrate" not in up_to_date.extensions  # nothing to migrate, not loaded
    with up_to_date.app_context():
        db.engine.dispose()


def test_search_entry_ids_are_renumbered_both_ways(tmp_path, empty_database_uri):
    """0023 gives every entry the id its record type implies (code × 2³² +
    record id) and the full-text index follows; its downgrade numbers them
    1, 2, 3… again, the index still in step."""
    from app.search import parse, search
    from app.search.registry import spec_for_type

    app = create_app(
        base_config(
            tmp_path, SQLALCHEMY_DATABASE_URI=empty_database_uri, AUTO_MIGRATE=False
        )
    )
    with app.app_context():
        flask_migrate = migrations(app)
        flask_migrate.upgrade(directory=MIGRATIONS_DIR, revision="0022")
        now = sa.func.current_timestamp()
        stamps = {"created_at": now, "updated_at": now, "version": 1}
        with db.engine.begin() as conn:
            old = sa.MetaData()
            old.reflect(conn, only=["member", "meeting", "search_entry"])
            for member_id, last in ((7, "Bréhaut"), (9, "Soudy")):
                conn.execute(
                    sa.insert(old.tables["member"]).values(
                        id=member_id,
                        first_name="Solenn",
                        last_name=last,
                        role="member",
                        **stamps,
                    )
                )
            entries = old.tables["search_entry"]
            # As 0014 and the hook wrote them: numbered in order of writing.
            for entry_id, (kind, record_id, title) in enumerate(
                [("member", 9, "Solenn Soudy"), ("member", 7, "Solenn Bréhaut")],
                start=1,
            ):
                conn.execute(
                    sa.insert(entries).values(
                        id=entry_id,
                        record_type=kind,
                        record_id=record_id,
                        title=title,
                        body="",
                    )
                )
            # A type without a code (a table since removed): dropped.
            conn.execute(
                sa.insert(entries).values(
                    id=3, record_type="retired", record_id=1, title="Bréhaut", body=""
                )
            )

        def ids() -> dict[int, int]:
            rows = db.session.execute(
                sa.text("SELECT record_id, id FROM search_entry ORDER BY id")
            ).all()
            db.session.rollback()
            return dict(rows)

        def index_in_step() -> None:
            if db.engine.dialect.name == "sqlite":
                db.session.execute(
                    sa.text(
                        "INSERT INTO search_fts(search_fts) VALUES ('integrity-check')"
                    )
                )
                db.session.rollback()

        flask_migrate.upgrade(directory=MIGRATIONS_DIR)
        member = spec_for_type("member")
        assert ids() == {9: member.entry_id(9), 7: member.entry_id(7)}
        index_in_step()
        if db.engine.dialect.name == "postgresql":
            # No sequence a generic reset (dump restore) would push past 2³¹.
            owned = db.session.execute(
                sa.text("SELECT pg_get_serial_sequence('search_entry', 'id')")
            ).scalar()
            db.session.rollback()
            assert owned is None
        hits = search(db.session, parse("brehaut"), ["member"])
        assert [hit.record_id for group in hits.groups for hit in group.hits] == [7]
        db.session.rollback()

        flask_migrate.downgrade(directory=MIGRATIONS_DIR, revision="0022")
        assert ids() == {7: 1, 9: 2}
        index_in_step()
        if db.engine.dialect.name == "sqlite":
            # What 0022's code read: the entries behind the FTS5 rows.
            found = db.session.execute(
                sa.text(
                    "SELECT e.record_id FROM search_entry e WHERE e.id IN "
                    "(SELECT rowid FROM search_fts WHERE search_fts MATCH 'brehaut*')"
                )
            ).all()
            assert found == [(7,)]
        else:
            # The sequence serves new entries again, after the renumbered ones.
            next_id = db.session.execute(
                sa.text("SELECT nextval('search_entry_id_seq')")
            ).scalar()
            assert next_id == 3
        db.session.rollback()
        flask_migrate.upgrade(directory=MIGRATIONS_DIR)
        assert ids() == {9: member.entry_id(9), 7: member.entry_id(7)}
        index_in_step()
        db.session.rollback()
        db.engine.dispose()


def test_search_codes_frozen_by_0023_are_the_models_codes():
    """0023 renumbered the entries with its own copy of the codes: a code a
    model declares differently would file its migrated entries under another
    type. Codes are never given again, so the copy stays true."""
    import importlib.util

    from app.search.registry import indexed_models

    path = f"{MIGRATIONS_DIR}/versions/0023_search_entry_ids_carry_their_type.py"
    spec = importlib.util.spec_from_file_location("migration_0023", path)
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    declared = {s.record_type: s.code for s in indexed_models()}
    assert {t: declared.get(t) for t in migration.CODES} == migration.CODES


def test_0024_gives_each_record_type_its_index_of_vectors(tmp_path, empty_database_uri):
    """On PostgreSQL 0024 makes one partial index of the vectors per record
    type of its copy, the same types the models declare; its downgrade drops
    them. On SQLite it does nothing."""
    import importlib.util

    from app.search.registry import indexed_models

    path = f"{MIGRATIONS_DIR}/versions/0024_search_vector_per_type.py"
    spec = importlib.util.spec_from_file_location("migration_0024", path)
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    assert set(migration.TYPES) == {s.record_type for s in indexed_models()}
    app = create_app(
        base_config(
            tmp_path, SQLALCHEMY_DATABASE_URI=empty_database_uri, AUTO_MIGRATE=False
        )
    )
    with app.app_context():
        flask_migrate = migrations(app)
        postgresql = db.engine.dialect.name == "postgresql"
        want = (
            {migration.index_name(t) for t in migration.TYPES} if postgresql else set()
        )

        def partial() -> set[str]:
            names = sa.inspect(db.engine).get_indexes("search_entry")
            return {
                i["name"]
                for i in names
                if i["name"].startswith("ix_search_entry_vector_")
            }

        for revision in ("0024", "0023", "0024"):
            if revision == "0023":
                flask_migrate.downgrade(directory=MIGRATIONS_DIR, revision=revision)
            else:
                flask_migrate.upgrade(directory=MIGRATIONS_DIR, revision=revision)
            db.engine.dispose()
            assert partial() == (want if revision == "0024" else set())
        db.engine.dispose()
