"""Search index: an entry's id carries its record type (code × 2³² + record id)

Revision ID: 0023
Revises: 0022

Until now entries were numbered in order of writing, so the full-text index
(SQLite's FTS5 table, whose rowid is the entry's id) could not tell which
record a match stands for: each matching entry was read for its type and
record id. With ids computed as ``code × 2³² + record_id`` (the codes of
``app.search.registry``, frozen below), a match alone gives both.

SQLite: ids are renumbered with the update trigger set aside (it would write
every entry into the index twice), then the FTS5 table is rebuilt. PostgreSQL:
the column becomes BIGINT and its sequence is dropped. Entries of a table
that has no code (none today) are dropped; `cdpl-gestion reindex` rebuilds
the index whole. Downgrade numbers the entries 1, 2, 3… again.
"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None

#: The codes at this revision (a copy: the models' own declarations may grow).
CODES = {
    "organisation": 1,
    "college": 2,
    "member": 3,
    "working_group": 4,
    "plan": 5,
    "plan_action": 6,
    "amendment": 7,
    "indicator": 8,
    "measurement": 9,
    "meeting": 10,
    "decision": 11,
    "action": 12,
    "document": 13,
}
SHIFT = 1 << 32

#: Migration 0014's trigger, set aside while the ids change.
UPDATE_TRIGGER = """CREATE TRIGGER search_entry_after_update AFTER UPDATE ON search_entry BEGIN
        INSERT INTO search_fts(search_fts, rowid, title, body)
        VALUES ('delete', old.id, old.title, old.body);
        INSERT INTO search_fts(rowid, title, body) VALUES (new.id, new.title, new.body);
    END"""


def _code_case() -> str:
    whens = " ".join(f"WHEN '{table}' THEN {code}" for table, code in CODES.items())
    return f"CASE record_type {whens} END"


def _known() -> str:
    return ", ".join(f"'{table}'" for table in CODES)


def upgrade():
    sqlite = op.get_bind().dialect.name == "sqlite"
    op.execute(f"DELETE FROM search_entry WHERE record_type NOT IN ({_known()})")
    if sqlite:
        op.execute("DROP TRIGGER search_entry_after_update")
    else:
        # No sequence left behind: a sequence still owned by the column would
        # be moved past the ids by the generic resets (dump restore) and
        # refuse values above 2³¹.
        op.execute("ALTER TABLE search_entry ALTER COLUMN id DROP DEFAULT")
        op.execute("DROP SEQUENCE IF EXISTS search_entry_id_seq")
        op.execute("ALTER TABLE search_entry ALTER COLUMN id TYPE BIGINT")
    # Old ids are below 2³², new ones above: no two rows meet on the way.
    op.execute(f"UPDATE search_entry SET id = {_code_case()} * {SHIFT} + record_id")
    if sqlite:
        op.execute(UPDATE_TRIGGER)
        op.execute("INSERT INTO search_fts(search_fts) VALUES ('rebuild')")


def downgrade():
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        op.execute("DROP TRIGGER search_entry_after_update")
    op.execute(
        "UPDATE search_entry SET id = numbered.n FROM ("
        "SELECT id AS old, row_number() OVER (ORDER BY id) AS n FROM search_entry"
        ") AS numbered WHERE numbered.old = search_entry.id"
    )
    if sqlite:
        op.execute(UPDATE_TRIGGER)
        op.execute("INSERT INTO search_fts(search_fts) VALUES ('rebuild')")
    else:
        op.execute("ALTER TABLE search_entry ALTER COLUMN id TYPE INTEGER")
        op.execute(
            "CREATE SEQUENCE search_entry_id_seq AS integer OWNED BY search_entry.id"
        )
        op.execute(
            "ALTER TABLE search_entry ALTER COLUMN id "
            "SET DEFAULT nextval('search_entry_id_seq')"
        )
        op.execute(
            "SELECT setval('search_entry_id_seq', COALESCE(MAX(id), 0) + 1, false) "
            "FROM search_entry"
        )
