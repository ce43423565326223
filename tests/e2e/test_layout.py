"""Each page type at a laptop's and a phone's width (issue 14): a screenshot of each
in ``test-artifacts/layout/``, the menu on one line at 1366 px, no horizontal
scroll, no error in the console (a CSP refusal shows there)."""

from __future__ import annotations

import pytest

from tests.e2e.helpers import ARTIFACTS
from tests.e2e.test_accessibility import PAGES, demo_ids  # noqa: F401 (fixture)

SHOTS = ARTIFACTS.parent / "layout"
VIEWPORTS = {"1366x768": (1366, 768), "390x844": (390, 844)}
#: One line of the dark menu bar (the brand's line height plus its padding).
ONE_LINE_MENU_PX = 64

#: Pages to photograph: every type the accessibility test visits except the 404.
LAYOUT_PAGES = {k: v for k, v in PAGES.items() if not k.endswith("(404)")}


def _slug(text: str) -> str:
    keep = [c if c.isalnum() else "-" for c in text.lower()]
    return "".join(keep).strip("-")


@pytest.mark.parametrize("size", VIEWPORTS)
def test_page_types_fit_the_screen(page, demo_ids, size):  # noqa: F811
    width, height = VIEWPORTS[size]
    page.set_viewport_size({"width": width, "height": height})
    errors: list[str] = []
    page.on(
        "console",
        lambda message: (
            errors.append(f"{page.url}: {message.text[:90]}")
            if message.type == "error"
            else None
        ),
    )
    SHOTS.mkdir(parents=True, exist_ok=True)
    problems = []
    for what, path in LAYOUT_PAGES.items():
        response = page.goto(path.format(**demo_ids))
        assert response.ok, (what, response.status)
        page.wait_for_load_state("load")
        page.screenshot(path=str(SHOTS / f"{_slug(what)}-{size}.png"), full_page=True)
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        if overflow > 0:
            widest = page.evaluate(
                """() => [...document.querySelectorAll('body *')]
                .filter(e => e.getBoundingClientRect().right > innerWidth + 1)
                .slice(-3).map(e => e.tagName + '.' + e.className + '#' + e.id)
                .join(' ')"""
            )
            problems.append(
                f"{what}: défilement horizontal de {overflow} px ({widest})"
            )
        if width >= 1366:
            menu = page.locator("nav[aria-label='Menu principal']").bounding_box()
            if menu["height"] > ONE_LINE_MENU_PX:
                problems.append(f"{what}: menu sur plusieurs lignes ({menu['height']})")
    assert problems == [], "\n".join(problems)
    assert errors == [], "\n".join(errors)


def test_inline_rows_are_a_table_that_works_on_a_phone(page, demo_ids):  # noqa: F811
    """A group's memberships at 390 px: one header, one row per member; a line
    is added, filled, removed; the table scrolls in its box, not the page."""
    from tests.e2e.helpers import add_inline, assert_accessible, inline_id

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"/admin/working_group/edit/?id={demo_ids['group']}")
    table = page.locator("#memberships table")
    assert table.locator("thead th", has_text="Membre").count() == 1
    before = table.locator("tbody > tr.inline-field").count()
    assert before > 0
    row = add_inline(page, "memberships")
    assert row == before  # numbered after the last row
    assert table.locator("tbody > tr.inline-field").count() == before + 1
    added = page.locator(f"#{inline_id('memberships', row, 'since')}")
    # Its own label, not the template's (screen readers name the field).
    assert page.get_by_label("Depuis le").nth(row).get_attribute(
        "id"
    ) == added.get_attribute("id")
    page.on("dialog", lambda dialog: dialog.accept())
    page.locator(f"#memberships-{row} .inline-remove-field").click()
    assert table.locator("tbody > tr.inline-field").count() == before
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, overflow
    scroll = page.locator("#memberships .cdpl-inline-scroll")
    assert scroll.evaluate("e => e.scrollWidth > e.clientWidth")  # scrolls inside
    add_inline(page, "memberships")
    assert_accessible(page, "participations en tableau, 390 px")
