"""Documents: text, file versions in the database, transmissions

document.file_path is dropped: it named a file in an upload folder that no
screen ever filled; files are now rows of document_version + document_chunk.

Revision ID: 0011
Revises: 0009
Create Date: 2026-12-01 17:06:29.617869

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0011"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "document_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("media_type", sa.String(length=120), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=True),
        sa.Column("uploaded_by_label", sa.String(length=254), nullable=False),
        sa.CheckConstraint(
            "length(sha256) = 64", name=op.f("ck_document_version_sha256_length")
        ),
        sa.CheckConstraint(
            "number >= 1", name=op.f("ck_document_version_number_positive")
        ),
        sa.CheckConstraint("size > 0", name=op.f("ck_document_version_size_positive")),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["document.id"],
            name=op.f("fk_document_version_document_id_document"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["uploaded_by_id"],
            ["user_account.id"],
            name=op.f("fk_document_version_uploaded_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_document_version")),
        sa.UniqueConstraint("document_id", "number", name="uq_document_version_number"),
    )
    with op.batch_alter_table("document_version", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_document_version_uploaded_by_id"),
            ["uploaded_by_id"],
            unique=False,
        )

    op.create_table(
        "transmission",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=True),
        sa.Column("organisation_id", sa.Integer(), nullable=True),
        sa.Column("recipient_text", sa.String(length=200), nullable=True),
        sa.Column("sent_on", sa.Date(), nullable=True),
        sa.Column(
            "means",
            sa.Enum(
                "email",
                "letter",
                "by_hand",
                "other",
                name="transmission_means",
                native_enum=False,
                create_constraint=True,
                length=15,
            ),
            nullable=False,
        ),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "member_id IS NOT NULL OR organisation_id IS NOT NULL OR (recipient_text IS NOT NULL AND recipient_text <> '')",
            name=op.f("ck_transmission_recipient"),
        ),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["document.id"],
            name=op.f("fk_transmission_document_id_document"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["member.id"],
            name=op.f("fk_transmission_member_id_member"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_transmission_organisation_id_organisation"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transmission")),
    )
    with op.batch_alter_table("transmission", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_transmission_document_id"), ["document_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_transmission_member_id"), ["member_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_transmission_organisation_id"),
            ["organisation_id"],
            unique=False,
        )
        batch_op.create_index("ix_transmission_sent_on", ["sent_on"], unique=False)

    op.create_table(
        "document_chunk",
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["document_version.id"],
            name=op.f("fk_document_chunk_version_id_document_version"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "version_id", "position", name=op.f("pk_document_chunk")
        ),
    )
    with op.batch_alter_table("document", schema=None) as batch_op:
        batch_op.add_column(sa.Column("body", sa.Text(), nullable=True))
        batch_op.add_column(
            sa.Column(
                "quote_in_minutes",
                sa.Boolean(),
                server_default=sa.false(),
                nullable=False,
            )
        )
        batch_op.add_column(sa.Column("chosen_version", sa.Integer(), nullable=True))
        batch_op.create_check_constraint(
            op.f("ck_document_chosen_version"),
            "chosen_version IS NULL OR chosen_version >= 1",
        )
        batch_op.drop_column("file_path")


def downgrade():
    with op.batch_alter_table("document", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("file_path", sa.String(length=300), nullable=True)
        )
        batch_op.drop_constraint(op.f("ck_document_chosen_version"), type_="check")
        batch_op.drop_column("chosen_version")
        batch_op.drop_column("quote_in_minutes")
        batch_op.drop_column("body")

    op.drop_table("document_chunk")
    with op.batch_alter_table("transmission", schema=None) as batch_op:
        batch_op.drop_index("ix_transmission_sent_on")
        batch_op.drop_index(batch_op.f("ix_transmission_organisation_id"))
        batch_op.drop_index(batch_op.f("ix_transmission_member_id"))
        batch_op.drop_index(batch_op.f("ix_transmission_document_id"))

    op.drop_table("transmission")
    with op.batch_alter_table("document_version", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_document_version_uploaded_by_id"))

    op.drop_table("document_version")
