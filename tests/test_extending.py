"""The recipe of docs/extending.md: a new record type needs a model, a view, a line.

A throwaway model and view are registered on a fresh app; with nothing else
written, the type is listed, searchable, exportable and passes the smoke checks.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app import create_app
from app.admin.base import SecuredModelView
from app.auth.passwords import hash_password
from app.extensions import db
from app.models.accounts import Role, User
from app.models.base import TimestampMixin
from tests.conftest import TEST_PASSWORD, base_config, login
from tests.smoke_helpers import check_view_pages


def test_a_new_record_type_needs_only_model_view_and_registration(tmp_path):
    # Step 1: a model class (normally in its area module).
    class Venue(TimestampMixin, db.Model):
        __tablename__ = "zz_test_venue"
        __label__ = "Lieu"
        __label_plural__ = "Lieux"

        id: Mapped[int] = mapped_column(primary_key=True)
        name: Mapped[str] = mapped_column(sa.String(120), info={"label": "Nom du lieu"})
        town: Mapped[str | None] = mapped_column(
            sa.String(120), info={"label": "Commune"}
        )

        def __str__(self) -> str:
            return self.name

    # Step 2: a view class and one registration line.
    class VenueView(SecuredModelView):
        pass

    app = create_app(
        base_config(tmp_path, SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path}/x.sqlite3")
    )
    admin = app.extensions["admin"][0]
    admin.add_view(VenueView(Venue, category="Réunions", endpoint="venue"))
    try:
        with app.app_context():
            # Step 3 would be `flask db migrate`; the test creates just this table.
            Venue.__table__.create(db.engine)
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
            response = client.post(
                "/admin/venue/new/",
                data={"name": "Salle Alphonse Rio", "town": "Lorient"},
            )
            assert response.status_code == 302
            db.session.add(Venue(name="Maison des associations", town="Lanester"))
            db.session.commit()
            venue_id = db.session.execute(
                sa.select(Venue.id).where(Venue.name == "Salle Alphonse Rio")
            ).scalar_one()

            check_view_pages(client, admin._views[-1], venue_id)
            listed = client.get("/admin/venue/?search=Rio").get_data(as_text=True)
            assert "Salle Alphonse Rio" in listed
            assert "Maison des associations" not in listed
            export = client.get("/admin/venue/export/csv/")
            assert export.status_code == 200
            assert "Salle Alphonse Rio" in export.get_data(as_text=True)
            db.session.remove()
            db.engine.dispose()
    finally:
        db.metadata.remove(Venue.__table__)
