"""Record pickers and date pickers speak French, weeks start on Monday."""

from __future__ import annotations

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
