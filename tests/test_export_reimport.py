"""An export imported back updates the records it came from and changes nothing."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from app.models import (
    ChangeLog,
    College,
    Member,
    MemberRole,
    Organisation,
    OrganisationKind,
)
from tests.test_exports import fetch
from tests.test_imports import confirm, review_url, upload


def _snapshot(db) -> list[tuple]:
    db.session.expire_all()
    return [
        (
            m.id,
            m.first_name,
            m.last_name,
            m.email,
            m.phone,
            m.organisation_id,
            m.college_id,
            m.town,
            m.role,
            m.joined_on,
            m.left_on,
            m.notes,
        )
        for m in db.session.execute(sa.select(Member).order_by(Member.id)).scalars()
    ]


@pytest.fixture
def members(db):
    org = Organisation(name="Association Numérique", kind=OrganisationKind.association)
    college = College(name="Citoyens")
    db.session.add_all(
        [
            # Two homonyms without e-mail: only the record number tells them apart.
            Member(first_name="Yann", last_name="Le Goff", town="Lorient"),
            Member(first_name="Yann", last_name="Le Goff", town="Lanester"),
            Member(
                first_name="Élodie",
                last_name="Abgrall",
                email="elodie@example.org",
                phone="+33297000001",
                organisation=org,
                college=college,
                role=MemberRole.bureau,
                joined_on=date(2019, 1, 1),
                notes="Ligne 1\nLigne 2",
            ),
            # A name a spreadsheet would run as a formula.
            Member(first_name="@malin", last_name="-1+1"),
        ]
    )
    db.session.commit()


@pytest.mark.parametrize("fmt", ["csv", "csv-excel", "xlsx", "ods"])
def test_members_export_imported_back_changes_nothing(db, admin_client, members, fmt):
    before = _snapshot(db)
    history = db.session.execute(sa.select(sa.func.count(ChangeLog.id))).scalar()
    data = fetch(admin_client, f"/admin/member/export/{fmt}/").data
    extension = "csv" if fmt.startswith("csv") else fmt
    url = review_url(upload(admin_client, data, filename=f"membres.{extension}"))
    html = admin_client.get(url).get_data(as_text=True)
    assert "0 création(s) et 4 mise(s) à jour" in html, html[:3000]
    assert confirm(admin_client, url, html).status_code == 302
    assert _snapshot(db) == before
    after = db.session.execute(sa.select(sa.func.count(ChangeLog.id))).scalar()
    assert after == history  # no change recorded: nothing was modified


def test_record_number_wins_over_email_and_unknown_numbers_fall_back(
    db, admin_client, members
):
    homonym = db.session.execute(
        sa.select(Member).where(Member.town == "Lanester")
    ).scalar_one()
    data = (
        "N°;Nom;Prénom;Commune\n"
        f"{homonym.id};Le Goff;Yann;Quimper\n"
        "99999;Nouveau;Membre;Vannes\n"
    ).encode()
    url = review_url(upload(admin_client, data))
    html = admin_client.get(url).get_data(as_text=True)
    assert "1 création(s) et 1 mise(s) à jour" in html
    confirm(admin_client, url, html)
    db.session.expire_all()
    assert db.session.get(Member, homonym.id).town == "Quimper"
    created = db.session.execute(
        sa.select(Member).where(Member.last_name == "Nouveau")
    ).scalar_one()
    assert created.id != 99999  # a number from elsewhere is never imposed
