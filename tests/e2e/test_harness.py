"""The browser-test harness itself: failure evidence, third-party hosts."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.helpers import save_evidence


def test_failure_evidence_is_a_screenshot_and_the_html(page, e2e_db):
    page.goto("/admin/")
    stem = save_evidence(page, "tests/e2e/test_harness.py::evidence-self-test")
    png, html = Path(f"{stem}.png"), Path(f"{stem}.html")
    try:
        assert "test-artifacts/e2e" in stem.as_posix()
        assert png.read_bytes().startswith(b"\x89PNG")
        assert "Tableau de bord" in html.read_text(encoding="utf-8")
    finally:
        png.unlink(missing_ok=True)
        html.unlink(missing_ok=True)


def test_pages_are_served_without_any_third_party_host(page, e2e_db):
    seen: list[str] = []
    page.on("request", lambda request: seen.append(request.url))
    page.goto("/admin/member/new/")
    page.wait_for_load_state("networkidle")
    base = page.url.split("/admin/")[0]
    assert seen, "no request recorded"
    assert [url for url in seen if not url.startswith(base)] == []
