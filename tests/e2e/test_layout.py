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
