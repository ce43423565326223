"""Search journey (issue 18): the navigation bar's box, as a lecteur types."""

from __future__ import annotations

from tests.e2e.helpers import assert_accessible


def _search(page, text: str) -> None:
    box = page.get_by_role("searchbox", name="Rechercher dans toutes les fiches")
    box.fill(text)
    box.press("Enter")
    page.wait_for_url("**/admin/recherche/**")


def test_reader_finds_people_plans_and_amendments(open_tab, demo_db):
    page = open_tab("reader")
    page.goto("/admin/")
    _search(page, "BREHAUT")
    member = page.locator("#search-member")
    assert "Solenn Bréhaut" in member.inner_text()
    assert member.locator("mark").first.inner_text() == "Bréhaut"
    assert_accessible(page, "résultats de recherche")

    _search(page, "Éric")
    assert "Eric Soudy" in page.locator("#search-member").inner_text()

    _search(page, "logiciels libres")
    assert "logiciels libres" in page.locator("#search-amendment").inner_text()

    _search(page, "action 12")
    first = page.locator("#search-plan_action li a").first
    assert first.inner_text().endswith("action 12")

    _search(page, "STN")
    assert page.locator("#search-plan").count() == 1
    page.locator("#search-plan li a").first.click()
    page.wait_for_url("**/admin/plan/details/**")


def test_voir_tout_opens_the_list_filtered_the_same_way(open_tab, demo_db):
    page = open_tab("reader")
    page.goto("/admin/")
    _search(page, "bréh")
    page.locator("#search-member").get_by_role(
        "link", name="Voir dans la liste"
    ).click()
    page.wait_for_url("**/admin/member/?search=*")
    rows = page.locator("table.model-list tbody tr")
    assert rows.count() == 1
    assert "Bréhaut" in rows.first.inner_text()


def test_nonsense_gives_a_french_hint_not_an_error(open_tab, demo_db):
    page = open_tab("reader")
    page.goto("/admin/")
    _search(page, '"*" ( - :')
    assert "Aucun mot à chercher" in page.locator("#search-hint").inner_text()
    _search(page, "a")
    assert "deux lettres" in page.locator("#search-hint").inner_text()
