"""Search index: one partial GIN index of the vectors per record type (PostgreSQL)

Revision ID: 0024
Revises: 0023

A list search asks the index for one or two record types ("preparation" in
the meetings and their groups). Through the one GIN index of every entry,
PostgreSQL reads the 10,275 entries of all types matching the word, crosses
them with the ``(record_type, record_id)`` index, then reads the table:
5.1 ms. With an index of each type's vectors, only the meetings' and the
groups' entries are read: 2.7 ms (the bench's 100× data, issue 18).

Each entry is in the index of its own type only, so a write updates two GIN
indexes instead of one. The index of every entry stays, for the global search
(every type the role may read at once). SQLite: nothing (FTS5 rowids already
carry the type, migration 0023). A record type added later simply has no
index of its own until a migration gives it one: its searches stay exact,
through the index of every entry.
"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None

#: The record types at this revision (a copy, as in 0023).
TYPES = (
    "organisation",
    "college",
    "member",
    "working_group",
    "plan",
    "plan_action",
    "amendment",
    "indicator",
    "measurement",
    "meeting",
    "decision",
    "action",
    "document",
)


def index_name(record_type: str) -> str:
    """The name of the partial index of ``record_type``'s vectors."""
    return f"ix_search_entry_vector_{record_type}"


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    for record_type in TYPES:
        op.execute(
            f"CREATE INDEX {index_name(record_type)} ON search_entry "
            f"USING gin (vector) WHERE record_type = '{record_type}'"
        )


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    for record_type in TYPES:
        op.execute(f"DROP INDEX IF EXISTS {index_name(record_type)}")
