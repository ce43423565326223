"""Hostile or odd values typed in forms: refused in French next to the field, input
kept, never a 500, never a redirect elsewhere (issue 22, findings 5, 7, 8, 9)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.admin import model_views
from app.auth.redirects import REDIRECT_PARAMS
from app.models import Document

DOC = {"title": "Avis sur le STN", "kind": "opinion", "status": "draft"}


def _documents(db):
    db.session.rollback()
    return db.session.execute(sa.select(Document)).scalars().all()


def test_document_external_link_is_saved(editor_client, db):
    """Finding 5: the field posted as ``url`` was read as a redirect target (400)."""
    link = "https://drive.example.org/dossiers/avis-stn"
    response = editor_client.post(
        "/admin/document/new/", data={**DOC, "document_url": link}
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/admin/document/")
    (doc,) = _documents(db)
    assert doc.url == link


def test_a_same_host_link_is_saved_not_followed(editor_client, db):
    link = "http://localhost/admin/member/"
    response = editor_client.post(
        "/admin/document/new/", data={**DOC, "document_url": link}
    )
    assert response.status_code == 302
    assert response.headers["Location"] != link
    assert response.headers["Location"].endswith("/admin/document/")
    (doc,) = _documents(db)
    doc_id = doc.id
    response = editor_client.post(
        f"/admin/document/edit/?id={doc_id}&url=/admin/plan/",
        data={**DOC, "document_url": "http://localhost/admin/meeting/"},
    )
    # The page to go back to is the one in the query string.
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/admin/plan/")
    (doc,) = _documents(db)
    assert doc.url == "http://localhost/admin/meeting/"


def test_no_form_field_is_posted_under_a_redirect_parameter(app):
    """Every create and edit form of every view: no field's HTML name is ``url``
    or ``next`` (Flask-Admin reads them from the form body too)."""
    clashes = []
    with app.test_request_context():
        for view in model_views(app.extensions["admin"][0]):
            for form_class in (view._create_form_class, view._edit_form_class):
                form = form_class()
                names = {field.name for field in form}
                clashes += [(view.endpoint, n) for n in names & set(REDIRECT_PARAMS)]
    assert clashes == []


@pytest.mark.parametrize(
    "link",
    [
        "javascript:alert(1)",
        "javascript://example.org/%0aalert(1)",
        "JaVaScRiPt://x.org/%0aalert(document.domain)",
        "data://text/html,<script>alert(1)</script>",
        "https://drive.example.org/\x01x",
    ],
)
def test_only_web_links_are_accepted(editor_client, db, link):
    """Finding 9: a ``javascript:`` link passed the URL check."""
    response = editor_client.post(
        "/admin/document/new/", data={**DOC, "document_url": link}
    )
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Adresse web invalide" in html
    assert _documents(db) == []


MEMBER = {"first_name": "Anaïs", "last_name": "Le Guénnec", "role": "member"}


def _count(db, model) -> int:
    db.session.rollback()
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


@pytest.mark.parametrize("bad", ["Anne\x0bMarie", "Anne\x01", "Jean\x1b[31m"])
def test_control_characters_are_refused(editor_client, db, bad):
    """Finding 7: Word's soft line break (\\x0b) broke every XLSX and ODS export."""
    from app.models import Member

    response = editor_client.post(
        "/admin/member/new/", data={**MEMBER, "first_name": bad}
    )
    assert response.status_code == 200
    assert "caractères de contrôle" in response.get_data(as_text=True)
    assert _count(db, Member) == 0


def test_tabs_and_newlines_stay_accepted(editor_client, db):
    response = editor_client.post(
        "/admin/document/new/",
        data={**DOC, "recipients": "élus\r\npresse\tCDPL"},
    )
    assert response.status_code == 302
    (doc,) = _documents(db)
    assert doc.recipients == "élus\npresse\tCDPL"


@pytest.mark.parametrize("blank", ["   ", "\u200b", "\u200b \ufeff\u2060"])
def test_blank_or_invisible_names_are_refused(editor_client, db, blank):
    """Finding 9: whitespace-only or zero-width names and titles were accepted."""
    from app.models import Member

    response = editor_client.post(
        "/admin/member/new/", data={**MEMBER, "last_name": blank}
    )
    assert response.status_code == 200
    assert "Ce champ est requis" in response.get_data(as_text=True)
    assert _count(db, Member) == 0
    response = editor_client.post("/admin/document/new/", data={**DOC, "title": blank})
    assert "Ce champ est requis" in response.get_data(as_text=True)
    assert _documents(db) == []


@pytest.mark.parametrize(
    ("budget", "message"),
    [
        # Budgets are typed the French way ("150 000 €", app/plans/money.py):
        # what is no amount is refused by the parser, the rest by the column.
        ("NaN", "Montant invalide"),
        ("Infinity", "Montant invalide"),
        ("-Infinity", "Montant invalide"),
        ("1e30", "Montant invalide"),
        ("1000000000000", "Nombre trop grand"),
        ("12,345", "2 décimale(s) au plus"),
    ],
)
def test_budgets_are_finite_and_fit_the_column(
    editor_client, db, plan, budget, message
):
    """Finding 7: 1e30 or Infinity broke every indicator export and the history."""
    from app.models import PlanAction

    response = editor_client.post(
        "/admin/plan_action/new/",
        data={
            "plan": str(plan.id),
            "number": "7",
            "title": "Données",
            "budget": budget,
        },
    )
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert message in html
    assert "Données" in html
    assert _count(db, PlanAction) == 0


def test_a_budget_within_precision_is_saved(editor_client, db, plan):
    from app.models import PlanAction

    response = editor_client.post(
        "/admin/plan_action/new/",
        data={
            "plan": str(plan.id),
            "number": "12",
            "title": "Inclusion",
            "budget": "150000.50",
        },
    )
    assert response.status_code == 302
    assert _count(db, PlanAction) == 1


@pytest.mark.parametrize(
    ("value", "message"),
    [
        # Finding 9: "NaN" was stored as empty; the parser refuses what is no number,
        ("NaN", "Nombre invalide"),
        ("Infinity", "Nombre invalide"),
        # and the column's precision what is too large (numeric(18, 4)).
        ("1e30", "Nombre trop grand (au plus 99999999999999)"),
    ],
)
def test_indicator_baseline_is_finite(editor_client, db, value, message):
    from app.models import Indicator

    response = editor_client.post(
        "/admin/indicator/new/", data={"name": "Taux", "baseline": value}
    )
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert message in html
    assert f'value="{value}"' in html  # the input is kept
    assert _count(db, Indicator) == 0


def test_huge_numbers_are_a_message_not_a_500(editor_client, db, plan):
    """Finding 8: plan-action number or position 10^29 answered 500."""
    from app.models import College, PlanAction

    response = editor_client.post(
        "/admin/plan_action/new/",
        data={"plan": str(plan.id), "number": str(10**29), "title": "Énorme"},
    )
    assert response.status_code == 200
    assert "Nombre trop grand" in response.get_data(as_text=True)
    assert _count(db, PlanAction) == 0
    response = editor_client.post(
        "/admin/college/new/", data={"name": "Citoyens", "position": str(10**29)}
    )
    assert response.status_code == 200
    assert "Nombre trop grand" in response.get_data(as_text=True)
    assert _count(db, College) == 0


@pytest.mark.parametrize("start", ["0001-01-01 00:30", "9999-12-31 23:30"])
def test_meeting_dates_are_within_range(editor_client, db, start):
    """Finding 7: a meeting at 0001-01-01 00:30 broke every calendar feed."""
    from app.models import Meeting

    response = editor_client.post(
        "/admin/meeting/new/",
        data={"kind": "working_group", "status": "planned", "starts_at": start},
    )
    assert response.status_code == 200
    assert "Date hors des limites" in response.get_data(as_text=True)
    assert _count(db, Meeting) == 0


def test_whitespace_meeting_start_is_required_not_a_database_error(editor_client, db):
    """Finding 8: a start of spaces reached the database (IntegrityError text)."""
    from app.models import Meeting

    response = editor_client.post(
        "/admin/meeting/new/",
        data={
            "kind": "working_group",
            "status": "planned",
            "starts_at": "   ",
            "place": "CDPL",
        },
    )
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Ce champ est requis" in html
    assert "IntegrityError" not in html and "NOT NULL" not in html
    assert 'value="CDPL"' in html
    assert _count(db, Meeting) == 0


@pytest.mark.parametrize(
    "email", ["sоlenn@example.org", "solenn@exаmple.org", "еric.soudy@example.org"]
)
def test_look_alike_emails_are_refused(editor_client, admin_client, db, email):
    """Finding 9: addresses with Cyrillic letters passed as distinct accounts."""
    from app.models import Member, User

    assert not email.isascii()
    response = editor_client.post("/admin/member/new/", data={**MEMBER, "email": email})
    assert response.status_code == 200
    assert "alphabets" in response.get_data(as_text=True)
    assert _count(db, Member) == 0
    before = _count(db, User)
    response = admin_client.post(
        "/admin/account/new/",
        data={
            "email": email,
            "name": "Sosie",
            "role": "reader",
            "active": "y",
            "new_password": "une phrase de passe assez longue 2026",
        },
    )
    assert response.status_code == 200
    assert "alphabets" in response.get_data(as_text=True)
    assert _count(db, User) == before
