"""Screens of issue 19: "Administration › Données personnelles", consents on the
member's page, export and anonymisation from the screen."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import date

import sqlalchemy as sa

from app.models import Consent, ConsentMethod, ConsentPurpose, DataTransfer, Member


def _member(db, **values):
    values.setdefault("first_name", "Gwenola")
    values.setdefault("last_name", "Kervadec")
    values.setdefault("email", "gwenola@example.org")
    member = Member(**values)
    db.session.add(member)
    db.session.commit()
    return member


def test_page_shows_register_counts_and_retention(admin_client, db):
    _member(db, phone="+33611111111", left_on=date(2019, 1, 1))
    html = admin_client.get("/admin/rgpd/").get_data(as_text=True)
    assert "Registre du traitement" in html
    assert "Base légale" in html
    assert "<td>Téléphones enregistrés</td><td>1</td>" in html
    assert "1 membre(s) parti(s) depuis plus de 3 an(s)" in html


def test_page_is_for_administrators_only(editor_client, db):
    member = _member(db)
    assert editor_client.get("/admin/rgpd/").status_code == 403
    response = editor_client.post(f"/admin/rgpd/membre/anonymiser/?id={member.id}")
    assert response.status_code == 403
    assert db.session.get(Member, member.id).email == "gwenola@example.org"


def test_member_page_lists_consents(admin_client, db):
    member = _member(db)
    db.session.add(
        Consent(
            member=member,
            purpose=ConsentPurpose.newsletter,
            given_on=date(2026, 2, 3),
            method=ConsentMethod.online,
            withdrawn_on=date(2026, 5, 6),
        )
    )
    db.session.commit()
    html = admin_client.get(f"/admin/member/details/?id={member.id}").get_data(
        as_text=True
    )
    assert "Recevoir les courriels non statutaires : donné le 03/02/2026" in html
    assert "(En ligne), retiré le 06/05/2026" in html
    assert f"/admin/rgpd/membre/?id={member.id}" in html


def test_export_from_the_screen(admin_client, db):
    member = _member(db)
    page = admin_client.get(f"/admin/rgpd/membre/?id={member.id}").get_data(
        as_text=True
    )
    assert "Exporter ses données (ZIP)" in page
    response = admin_client.post(f"/admin/rgpd/membre/export/?id={member.id}")
    assert response.status_code == 200
    assert response.mimetype == "application/zip"
    data = response.data
    response.close()  # the view streams a temporary file
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        assert json.loads(zf.read("fiche.json"))[0]["Nom"] == "Kervadec"
    logged = db.session.execute(
        sa.select(DataTransfer).where(DataTransfer.target == "rgpd")
    ).scalar_one()
    assert logged.actor == admin_client.user.email


def test_anonymise_from_the_screen_then_refused_twice(admin_client, db):
    member = _member(db)
    page = admin_client.get(f"/admin/rgpd/membre/?id={member.id}").get_data(
        as_text=True
    )
    assert "Voici ce qui va changer" in page
    response = admin_client.post(
        f"/admin/rgpd/membre/anonymiser/?id={member.id}", follow_redirects=True
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f"Membre n° {member.id} anonymisé." in html
    db.session.remove()
    assert db.session.get(Member, member.id).email is None
    page = admin_client.get(f"/admin/rgpd/membre/?id={member.id}").get_data(
        as_text=True
    )
    assert "déjà été anonymisé" in page
    assert "Anonymiser définitivement" not in page
    response = admin_client.post(
        f"/admin/rgpd/membre/anonymiser/?id={member.id}", follow_redirects=True
    )
    assert "déjà été anonymisé" in response.get_data(as_text=True)


def test_member_linked_to_an_active_account_is_refused_on_screen(
    admin_client, db, make_user
):
    member = _member(db)
    make_user(member_id=member.id)
    page = admin_client.get(f"/admin/rgpd/membre/?id={member.id}").get_data(
        as_text=True
    )
    assert "compte actif" in page
    response = admin_client.post(
        f"/admin/rgpd/membre/anonymiser/?id={member.id}", follow_redirects=True
    )
    assert "compte actif" in response.get_data(as_text=True)
    db.session.remove()
    assert db.session.get(Member, member.id).email == "gwenola@example.org"


def test_unknown_member_is_a_404(admin_client, db):
    assert admin_client.get("/admin/rgpd/membre/?id=999999").status_code == 404


def test_consent_withdrawn_before_given_is_refused_in_french(admin_client, db):
    member = _member(db)
    response = admin_client.post(
        "/admin/consent/new/",
        data={
            "member": str(member.id),
            "purpose": "phone",
            "given_on": "2026-03-01",
            "method": "paper",
            "withdrawn_on": "2026-01-01",
            "proof": "Formulaire classé au secrétariat",
        },
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Formulaire classé au secrétariat" in html  # input kept
    assert "Le retrait précède la date du consentement." in html
    assert "IntegrityError" not in html and "CHECK" not in html
    assert db.session.execute(sa.select(Consent)).first() is None
