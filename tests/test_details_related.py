"""Details pages list their related records with "add" shortcuts (issue 14)."""

from __future__ import annotations

import re
from html import unescape

import sqlalchemy as sa

from app.models import (
    Action,
    Amendment,
    Document,
    Indicator,
    Measurement,
    Meeting,
    Member,
    Plan,
    PlanAction,
)


def page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return unescape(response.get_data(as_text=True))


def section(html: str, section_id: str) -> str:
    """The HTML of one related-records section."""
    start = html.index(f'id="{section_id}"')
    return html[start : html.index("</section>", start)]


def chosen(form: str, field: str) -> str:
    """The value a picker of a create form starts with."""
    tag = re.search(rf'<input[^>]*\bid="{field}"[^>]*>', form).group(0)
    return re.search(r'value="([^"]*)"', tag).group(1)


def one(db, stmt):
    return db.session.execute(stmt).scalars().first()


def test_plan_lists_actions_amendments_indicators_documents(full_data, admin_client):
    db = full_data
    plan = one(db, sa.select(Plan))
    action_12 = one(db, sa.select(PlanAction).where(PlanAction.number == 12))
    opinion = one(db, sa.select(Document).where(Document.kind == "opinion"))
    opinion.plan_actions.append(action_12)
    other = Plan(name="Plan climat", short_name="PCAET")
    db.session.add(other)
    db.session.flush()
    db.session.add(PlanAction(plan_id=other.id, number=99, title="Action ailleurs"))
    db.session.commit()
    html = page(admin_client, f"/admin/plan/details/?id={plan.id}")
    actions = section(html, "plan-actions")
    assert f"/admin/plan_action/details/?id={action_12.id}" in actions
    assert "150\u202f000\u202f€" in actions
    assert "Action ailleurs" not in actions
    assert f"/admin/plan_action/new/?plan={plan.id}" in actions
    amendments = section(html, "plan-amendments")
    for amendment in db.session.execute(sa.select(Amendment)).scalars():
        assert f"/admin/amendment/details/?id={amendment.id}" in amendments
    indicator = one(db, sa.select(Indicator))
    assert f"/admin/indicator/details/?id={indicator.id}" in section(
        html, "plan-indicators"
    )
    documents = section(html, "plan-documents")
    assert f"/admin/document/details/?id={opinion.id}" in documents
    # Exactly the documents linked to one of this plan's actions (the demo's
    # contribution e-mail is linked to actions 7, 12 and 13).
    linked = {
        d.id
        for d in db.session.execute(sa.select(Document)).scalars()
        if any(a.plan_id == plan.id for a in d.plan_actions)
    }
    assert opinion.id in linked
    assert documents.count("/admin/document/details/") == len(linked)
    # The other plan lists only its own action.
    other_html = page(admin_client, f"/admin/plan/details/?id={other.id}")
    assert "Action ailleurs" in section(other_html, "plan-actions")
    assert "Aucun amendement." in section(other_html, "plan-amendments")


def test_plan_action_lists_and_prefills(full_data, admin_client):
    db = full_data
    action_12 = one(db, sa.select(PlanAction).where(PlanAction.number == 12))
    action_7 = one(db, sa.select(PlanAction).where(PlanAction.number == 7))
    opinion = one(db, sa.select(Document).where(Document.kind == "opinion"))
    opinion.plan_actions.append(action_12)
    db.session.add(Action(title="Relancer l'agglomération", plan_action=action_12))
    # The demo holds no indicator (the source only says they are to be defined).
    db.session.add(Indicator(name="Part du budget du STN", plan_action=action_12))
    db.session.commit()
    html = page(admin_client, f"/admin/plan_action/details/?id={action_12.id}")
    amendments = section(html, "action-amendments")
    mine = one(db, sa.select(Amendment).where(Amendment.plan_action_id == action_12.id))
    theirs = one(
        db, sa.select(Amendment).where(Amendment.plan_action_id == action_7.id)
    )
    assert f"/admin/amendment/details/?id={mine.id}" in amendments
    assert f"/admin/amendment/details/?id={theirs.id}" not in amendments
    assert "Part du budget du STN" in section(html, "action-indicators")
    assert f"/admin/document/details/?id={opinion.id}" in section(
        html, "action-documents"
    )
    assert "Relancer l'agglomération" in section(html, "action-follow-ups")
    for add in (
        f"/admin/amendment/new/?plan_action={action_12.id}",
        f"/admin/indicator/new/?plan_action={action_12.id}",
        f"/admin/document/new/?plan_actions={action_12.id}",
        f"/admin/action/new/?plan_action={action_12.id}",
    ):
        assert add in html, add
        form = page(admin_client, add)
        # The picker holds the action, shown by its label.
        assert "STN action 12" in form, add
    # Action 14 is the one the demo's contribution e-mail does not discuss.
    action_14 = one(db, sa.select(PlanAction).where(PlanAction.number == 14))
    empty = page(admin_client, f"/admin/plan_action/details/?id={action_14.id}")
    assert "Aucun document." in section(empty, "action-documents")


def test_indicator_lists_its_measurements(full_data, admin_client):
    db = full_data
    indicator = one(db, sa.select(Indicator))
    measurement = one(db, sa.select(Measurement))
    html = page(admin_client, f"/admin/indicator/details/?id={indicator.id}")
    measurements = section(html, "indicator-measurements")
    assert f"/admin/measurement/details/?id={measurement.id}" in measurements
    assert "01/01/2020" in measurements and "12,5" in measurements
    add = f"/admin/measurement/new/?indicator={indicator.id}"
    assert add in measurements
    assert chosen(page(admin_client, add), "indicator") == str(indicator.id)


def test_meeting_lists_documents_amendments_and_actions(full_data, admin_client):
    db = full_data
    april = one(db, sa.select(Meeting).order_by(Meeting.starts_at))
    june = one(db, sa.select(Meeting).order_by(Meeting.starts_at.desc()))
    html = page(admin_client, f"/admin/meeting/details/?id={april.id}")
    documents = section(html, "meeting-documents")
    for doc in db.session.execute(
        sa.select(Document).where(Document.meeting_id == april.id)
    ).scalars():
        assert f"/admin/document/details/?id={doc.id}" in documents
    assert f"/admin/document/new/?meeting={april.id}" in documents
    amendments = section(html, "meeting-amendments")
    count = db.session.execute(
        sa.select(sa.func.count()).where(Amendment.meeting_id == april.id)
    ).scalar()
    assert count and amendments.count("/admin/amendment/details/") == count
    actions = section(html, "meeting-follow-ups")
    for a in db.session.execute(
        sa.select(Action).where(Action.meeting_id == april.id)
    ).scalars():
        assert a.title in actions
    other = page(admin_client, f"/admin/meeting/details/?id={june.id}")
    assert "Aucun amendement." in section(other, "meeting-amendments")


def test_member_lists_documents_and_amendments(full_data, admin_client):
    db = full_data
    doc = one(db, sa.select(Document).where(Document.author_id.is_not(None)))
    author = db.session.get(Member, doc.author_id)
    html = page(admin_client, f"/admin/member/details/?id={author.id}")
    assert f"/admin/document/details/?id={doc.id}" in section(html, "member-documents")
    assert f"/admin/document/new/?author={author.id}" in html
    amendments = section(html, "member-amendments")
    assert amendments.count("/admin/amendment/details/") == 3
    form = page(admin_client, f"/admin/document/new/?author={author.id}")
    assert chosen(form, "author") == str(author.id)


def test_document_links_meeting_actions_and_transmissions(full_data, admin_client):
    db = full_data
    opinion = one(db, sa.select(Document).where(Document.kind == "opinion"))
    html = page(admin_client, f"/admin/document/details/?id={opinion.id}")
    links = section(html, "document-links")
    assert f"/admin/meeting/details/?id={opinion.meeting_id}" in links
    transmissions = section(html, "document-transmissions")
    assert transmissions.count("/admin/transmission/details/") == len(
        opinion.transmissions
    )
    add = f"/admin/transmission/new/?document={opinion.id}"
    assert add in transmissions
    assert chosen(page(admin_client, add), "document") == str(opinion.id)
