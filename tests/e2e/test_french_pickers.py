"""Record pickers and date pickers speak French, weeks start on Monday."""

from __future__ import annotations

import sqlalchemy as sa

from app.models import Meeting
from tests.e2e.helpers import select2_choose, select2_value

ENGLISH = ("Please enter", "No matches found", "Searching", "Apply", "Cancel")


def test_record_picker_and_date_picker_are_french(page, e2e_db):
    page.goto("/admin/member/new/")
    # An Ajax picker with nothing typed that finds nothing: its French messages.
    page.locator("#s2id_organisation .select2-choice").click()
    drop = page.locator("#select2-drop")
    drop.locator("input.select2-input").fill("zzzz introuvable")
    drop.locator(".select2-no-results").wait_for()
    text = drop.inner_text()
    assert "Aucun résultat" in text, text
    for english in ENGLISH:
        assert english not in text
    page.keyboard.press("Escape")

    page.locator("#joined_on").click()
    picker = page.locator(".daterangepicker:visible").first
    picker.wait_for()
    headings = picker.locator("thead tr").last.locator("th").all_inner_texts()
    days = [h.strip() for h in headings if h.strip()]
    assert days[:7] == ["lu", "ma", "me", "je", "ve", "sa", "di"], days
    assert picker.locator("th.month").first.inner_text().split()[0] in {
        "janv.",
        "févr.",
        "mars",
        "avr.",
        "mai",
        "juin",
        "juil.",
        "août",
        "sept.",
        "oct.",
        "nov.",
        "déc.",
    }
    buttons = picker.inner_text()
    for english in ("Apply", "Cancel"):
        assert english not in buttons


def test_picker_finds_what_it_shows(page, demo_db):
    """Typing the words of a label finds it: a meeting by its group and day,
    a plan action by its plan's acronym and number (issue 14)."""
    page.goto("/admin/amendment/new/")
    select2_choose(
        page, "meeting", "innovation 11/06", "Innovation sociale numérique — 11/06/2019"
    )
    select2_choose(page, "plan_action", "stn 7", "STN action 7")
    # The other meeting is not offered for that day.
    page.locator("#s2id_meeting .select2-choice").click()
    drop = page.locator("#select2-drop")
    drop.locator("input.select2-input").fill("numérique 16/04")
    drop.locator(".select2-result-selectable").first.wait_for()
    offered = drop.locator(".select2-result-selectable").all_inner_texts()
    assert offered == ["Innovation sociale numérique — 16/04/2019"], offered
    page.keyboard.press("Escape")
    with demo_db.session() as session:
        ids = {m.title: m.id for m in session.execute(sa.select(Meeting)).scalars()}
    assert select2_value(page, "meeting") == str(
        ids["Innovation sociale numérique — 11/06/2019"]
    )
