"""Publishing through the screens (issue 20): the editor ticks « Public » on
the edit forms; the public pages and the package then show the records."""

from __future__ import annotations

import csv
import io
import json
from html.parser import HTMLParser

import sqlalchemy as sa
from werkzeug.datastructures import MultiDict

from app.extensions import db as _db
from app.models import Document, DocumentKind, Meeting
from app.models.plans import Amendment, Plan, PlanAction


class FormReader(HTMLParser):
    """The values a browser would send for the page's main edit form."""

    def __init__(self) -> None:
        super().__init__()
        self.data: list[tuple[str, str]] = []
        self._in_form = False
        self._select: str | None = None
        self._select_value: str | None = None
        self._textarea: str | None = None
        self._text = ""

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and a.get("method", "").lower() == "post":
            self._in_form = self._in_form or "admin-form" in (a.get("class") or "")
        if not self._in_form:
            return
        name = a.get("name")
        if tag == "input" and name:
            kind = a.get("type", "text")
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    self.data.append((name, a.get("value", "y")))
            elif kind not in ("submit", "button", "file"):
                self.data.append((name, a.get("value", "")))
        elif tag == "select" and name:
            self._select, self._select_value = name, None
        elif tag == "option" and self._select is not None:
            if "selected" in a or self._select_value is None:
                if "selected" in a or not self._select_value:
                    self._select_value = a.get("value", "")
        elif tag == "textarea" and name:
            self._textarea, self._text = name, ""

    def handle_data(self, data):
        if self._textarea is not None:
            self._text += data

    def handle_endtag(self, tag):
        if tag == "form":
            self._in_form = False
        elif tag == "select" and self._select is not None:
            self.data.append((self._select, self._select_value or ""))
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            self.data.append((self._textarea, self._text.lstrip("\n")))
            self._textarea = None


def tick_public(client, endpoint: str, record_id: int) -> None:
    url = f"/admin/{endpoint}/edit/?id={record_id}"
    page = client.get(url)
    assert page.status_code == 200, url
    reader = FormReader()
    reader.feed(page.data.decode())
    data = [(k, v) for k, v in reader.data if k != "public"]
    data.append(("public", "y"))
    response = client.post(url, data=MultiDict(data))
    assert response.status_code == 302, (url, response.data[-3000:])


def test_editor_publishes_the_demo_through_the_screens(editor_client, client, demo):
    session = _db.session
    plan = session.execute(sa.select(Plan).where(Plan.short_name == "STN")).scalar_one()
    actions = session.execute(
        sa.select(PlanAction).where(PlanAction.number.in_([7, 12, 13, 14]))
    ).scalars()
    actions = list(actions)
    action_ids = [a.id for a in actions]
    # The edit screens must keep every other value: the budgets come out intact.
    budgets = {
        str(a.number): format(a.budget.normalize(), "f") if a.budget else ""
        for a in actions
    }
    amendment_ids = list(session.execute(sa.select(Amendment.id)).scalars())
    avis = session.execute(
        sa.select(Document).where(Document.kind == DocumentKind.opinion)
    ).scalar_one()
    meeting_id = session.execute(
        sa.select(Meeting.id).order_by(Meeting.starts_at)
    ).scalar()
    plan_id, avis_id, avis_title = plan.id, avis.id, avis.title
    session.rollback()
    assert client.get(f"/public/plans/{plan_id}").status_code == 404

    tick_public(editor_client, "plan", plan_id)
    for action_id in action_ids:
        tick_public(editor_client, "plan_action", action_id)
    for amendment_id in amendment_ids:
        tick_public(editor_client, "amendment", amendment_id)
    tick_public(editor_client, "document", avis_id)
    tick_public(editor_client, "meeting", meeting_id)

    page = client.get(f"/public/plans/{plan_id}").data.decode()
    for number in (7, 12, 13, 14):
        assert f'id="action-{number}"' in page
    assert page.count("public-amendment") == 3
    assert "150" in page  # the budgets are shown
    assert avis_title in client.get(f"/public/documents/{avis_id}").data.decode()
    assert b"BEGIN:VEVENT" in client.get("/public/reunions.ics").data
    package = json.loads(client.get("/public/donnees/datapackage.json").data)
    counts = {r["name"]: r["count"] for r in package["resources"]}
    assert counts["plans"] == 1
    assert counts["actions"] == 4
    assert counts["amendements"] == 3
    assert counts["documents"] == 1
    assert counts["reunions"] == 1
    rows = csv.DictReader(
        io.StringIO(client.get("/public/donnees/actions.csv").data.decode())
    )
    assert {r["numero"]: r["budget_euros"] for r in rows} == budgets
