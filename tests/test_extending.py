"""The recipe of docs/extending.md, followed step by step with its own example.

Step 1 writes the model exactly as the document shows it; step 2 runs the
documented ``cdpl-gestion db migrate --rev-id 0009 -m "partenaires"`` (in a copy of
the migrations folder) and ``db upgrade``; step 3 checks what the document promises:
the type is in the menu, listed, searchable, exportable, passes the smoke checks,
its web address is checked and a duplicate name gets a French message.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import sqlalchemy as sa
from click.testing import CliRunner
from flask.cli import ScriptInfo
from sqlalchemy.orm import Mapped, mapped_column

from app import create_app
from app.auth.passwords import hash_password
from app.cli import database as db_cli
from app.cli.main import main
from app.db import MIGRATIONS_DIR
from app.extensions import db
from app.models.accounts import Role, User
from app.models.base import TimestampMixin
from tests.conftest import TEST_PASSWORD, base_config, login
from tests.smoke_helpers import check_view_pages

DOC = Path(__file__).resolve().parent.parent / "docs" / "extending.md"


def test_the_document_shows_the_code_this_test_runs():
    text = DOC.read_text(encoding="utf-8")
    assert "Trois étapes" in text
    assert '__menu__ = "Personnes"' in text
    assert 'info={"label": "Site web", "format": "url"}' in text
    assert 'cdpl-gestion db migrate --rev-id 0009 -m "partenaires"' in text
    assert 'sa.UniqueConstraint("name", name="uq_partner_name")' in text


def test_a_new_record_type_following_the_recipe(tmp_path, monkeypatch):
    # Step 1: the model, as in the document (there: at the end of app/models/people.py).
    class Partner(TimestampMixin, db.Model):
        __tablename__ = "partner"
        __label__ = "Partenaire"
        __label_plural__ = "Partenaires"
        __menu__ = "Personnes"

        id: Mapped[int] = mapped_column(primary_key=True)
        name: Mapped[str] = mapped_column(sa.String(120), info={"label": "Nom"})
        website: Mapped[str | None] = mapped_column(
            sa.String(255), info={"label": "Site web", "format": "url"}
        )

        __table_args__ = (sa.UniqueConstraint("name", name="uq_partner_name"),)

        def __str__(self) -> str:
            return self.name

    migrations = tmp_path / "migrations"
    shutil.copytree(
        MIGRATIONS_DIR, migrations, ignore=shutil.ignore_patterns("__pycache__")
    )
    monkeypatch.setattr(db_cli, "MIGRATIONS_DIR", str(migrations))
    try:
        app = create_app(
            base_config(
                tmp_path, SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path}/x.sqlite3"
            ),
            migrate_database=False,
        )
        runner = CliRunner()
        obj = ScriptInfo(create_app=lambda: app)

        # Step 2: the documented commands.
        up = runner.invoke(main, ["db", "upgrade"], obj=obj)
        assert up.exit_code == 0, up.output
        # "The number follows the last file of migrations/versions/" (0008 -> 0009
        # in the document's example; later on, whatever the last one is).
        numbers = sorted(
            int(p.name[:4]) for p in (migrations / "versions").glob("[0-9]*.py")
        )
        last, rev_id = f"{numbers[-1]:04d}", f"{numbers[-1] + 1:04d}"
        made = runner.invoke(
            main, ["db", "migrate", "--rev-id", rev_id, "-m", "partenaires"], obj=obj
        )
        assert made.exit_code == 0, made.output
        [script] = (migrations / "versions").glob(f"{rev_id}_*.py")
        source = script.read_text(encoding="utf-8")
        assert re.search(rf"^revision = .{rev_id}.", source, re.M)
        assert re.search(rf"^down_revision = .{last}.", source, re.M)
        assert "create_table('partner'" in source or 'create_table("partner"' in source
        assert "uq_partner_name" in source
        up = runner.invoke(main, ["db", "upgrade"], obj=obj)
        assert up.exit_code == 0, up.output

        # Step 3: what the document promises.
        views = [
            v for v in app.extensions["admin"][0]._views if v.endpoint == "partner"
        ]
        assert len(views) == 1 and views[0].category == "Personnes"
        with app.app_context():
            db.session.add(
                User(
                    email="admin@example.org",
                    role=Role.admin,
                    active=True,
                    password_hash=hash_password(TEST_PASSWORD),
                )
            )
            db.session.commit()
            client = app.test_client()
            assert login(client, "admin@example.org").status_code == 302
            home = client.get("/admin/").get_data(as_text=True)
            assert "/admin/partner/" in home  # in the menu

            created = client.post(
                "/admin/partner/new/",
                data={"name": "Maison de l'Agglomération", "website": "https://x.fr"},
            )
            assert created.status_code == 302

            bad = client.post(
                "/admin/partner/new/",
                data={"name": "Ti Douar", "website": "pas une adresse"},
            )
            html = bad.get_data(as_text=True)
            assert bad.status_code == 200
            assert "Adresse web invalide" in html
            assert "pas une adresse" in html  # what was typed is still there

            twice = client.post(
                "/admin/partner/new/",
                data={"name": "Maison de l'Agglomération", "website": ""},
            )
            html = twice.get_data(as_text=True)
            assert twice.status_code == 200
            assert "Cette valeur de « Nom » est déjà utilisée." in html
            assert "Failed" not in html
            assert (
                db.session.execute(
                    sa.select(sa.func.count()).select_from(Partner)
                ).scalar()
                == 1
            )

            db.session.add(Partner(name="Ti Douar"))
            db.session.commit()
            partner_id = db.session.execute(
                sa.select(Partner.id).where(Partner.name == "Ti Douar")
            ).scalar_one()
            check_view_pages(client, views[0], partner_id)
            listed = client.get("/admin/partner/?search=Douar").get_data(as_text=True)
            assert "Ti Douar" in listed
            assert "Maison de l" not in listed
            export = client.get("/admin/partner/export/csv/")
            assert export.status_code == 200
            assert "Ti Douar" in export.get_data(as_text=True)
            db.session.remove()
            db.engine.dispose()
    finally:
        # The throwaway type must not follow other tests: out of the metadata, no
        # later app gives it a screen (app.admin.register_default_views).
        db.metadata.remove(Partner.__table__)
