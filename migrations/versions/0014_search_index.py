"""Search index: one entry per searchable record, full text per database

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01 17:10:00

SQLite: an FTS5 table over search_entry (external content), kept in step by
triggers, accents removed (unicode61 remove_diacritics 2), prefix indexes for
2, 3 and 4 characters. PostgreSQL: the unaccent extension (trusted, so the
database owner may create it), two text search configurations (French word
forms and whole words, both unaccented), a generated tsvector column and its
GIN index. The entries are filled here once; `cdpl-gestion reindex` rebuilds
them.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0014'
down_revision = "0013"
branch_labels = None
depends_on = None

SQLITE_UP = [
    """CREATE VIRTUAL TABLE search_fts USING fts5(
        title, body, content='search_entry', content_rowid='id',
        tokenize='unicode61 remove_diacritics 2', prefix='2 3 4')""",
    """CREATE TRIGGER search_entry_after_insert AFTER INSERT ON search_entry BEGIN
        INSERT INTO search_fts(rowid, title, body) VALUES (new.id, new.title, new.body);
    END""",
    """CREATE TRIGGER search_entry_after_delete AFTER DELETE ON search_entry BEGIN
        INSERT INTO search_fts(search_fts, rowid, title, body)
        VALUES ('delete', old.id, old.title, old.body);
    END""",
    """CREATE TRIGGER search_entry_after_update AFTER UPDATE ON search_entry BEGIN
        INSERT INTO search_fts(search_fts, rowid, title, body)
        VALUES ('delete', old.id, old.title, old.body);
        INSERT INTO search_fts(rowid, title, body) VALUES (new.id, new.title, new.body);
    END""",
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS search_entry_after_update",
    "DROP TRIGGER IF EXISTS search_entry_after_delete",
    "DROP TRIGGER IF EXISTS search_entry_after_insert",
    "DROP TABLE IF EXISTS search_fts",
]
PG_UP = [
    "CREATE EXTENSION IF NOT EXISTS unaccent",
    "CREATE TEXT SEARCH CONFIGURATION cdpl_french (COPY = french)",
    "ALTER TEXT SEARCH CONFIGURATION cdpl_french "
    "ALTER MAPPING FOR hword, hword_part, word WITH unaccent, french_stem",
    "CREATE TEXT SEARCH CONFIGURATION cdpl_simple (COPY = simple)",
    "ALTER TEXT SEARCH CONFIGURATION cdpl_simple "
    "ALTER MAPPING FOR hword, hword_part, word WITH unaccent, simple",
    # IMMUTABLE (as to_tsvector with a fixed configuration is) so that it may
    # compute a stored column.
    """CREATE FUNCTION cdpl_search_vector(title text, body text) RETURNS tsvector
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
        SELECT setweight(to_tsvector('cdpl_french'::regconfig, coalesce(title, '')), 'A')
            || setweight(to_tsvector('cdpl_simple'::regconfig, coalesce(title, '')), 'A')
            || setweight(to_tsvector('cdpl_french'::regconfig, coalesce(body, '')), 'B')
            || setweight(to_tsvector('cdpl_simple'::regconfig, coalesce(body, '')), 'B')
    $$""",
    "ALTER TABLE search_entry ADD COLUMN vector tsvector "
    "GENERATED ALWAYS AS (cdpl_search_vector(title, body)) STORED",
    "CREATE INDEX ix_search_entry_vector ON search_entry USING gin (vector)",
]
PG_DOWN = [
    "DROP FUNCTION IF EXISTS cdpl_search_vector(text, text)",
    "DROP TEXT SEARCH CONFIGURATION IF EXISTS cdpl_simple",
    "DROP TEXT SEARCH CONFIGURATION IF EXISTS cdpl_french",
    # The unaccent extension stays: other objects may use it by then.
]

#: What each searchable table contributes (a copy frozen at this revision:
#: later changes to the models' declarations are picked up by `reindex`).
ENTRIES = {
    "organisation": (["name"], ["town"]),
    "college": (["name"], []),
    "member": (["first_name", "last_name"], ["email", "town", "notes"]),
    "working_group": (["name"], ["description"]),
    "meeting": (["objective"], ["place", "context", "exchanges"]),
    "decision": (["text"], []),
    "action": (["title"], ["description"]),
    "document": (["title"], ["body", "recipients"]),
    "plan": (["short_name", "name"], []),
    "plan_action": (["'action ' || number", "title"], ["axis"]),
    "amendment": (["text"], ["rationale"]),
    "indicator": (["name"], ["description", "unit", "source"]),
    "measurement": ([], ["comment", "source"]),
}


def _joined(columns, separator):
    if not columns:
        return "''"
    parts = [f"COALESCE(CAST({c} AS TEXT), '')" for c in columns]
    return f" || '{separator}' || ".join(parts)


def upgrade():
    op.create_table(
        'search_entry',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('record_type', sa.String(length=60), nullable=False),
        sa.Column('record_id', sa.Integer(), nullable=False),
        sa.Column('title', sa.Text(), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_search_entry')),
        sa.UniqueConstraint('record_type', 'record_id', name='uq_search_entry_record_type_record_id'),
    )
    bind = op.get_bind()
    for statement in SQLITE_UP if bind.dialect.name == "sqlite" else PG_UP:
        op.execute(statement)
    for table, (title, body) in ENTRIES.items():
        op.execute(
            f"INSERT INTO search_entry (record_type, record_id, title, body) "
            f"SELECT '{table}', id, TRIM({_joined(title, ' ')}), "
            f"TRIM({_joined(body, ' ')}) FROM {table}"
        )


def downgrade():
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for statement in SQLITE_DOWN:
            op.execute(statement)
    # On PostgreSQL the vector column and its index go with the table, before
    # the function they are computed by.
    op.drop_table('search_entry')
    if bind.dialect.name == "postgresql":
        for statement in PG_DOWN:
            op.execute(statement)
