"""What the browser tests share: accessibility audit, select2 pickers, form steps."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pytest
import sqlalchemy as sa

VENDOR = Path(__file__).resolve().parent / "vendor"
#: Where failing tests leave a screenshot and the page's HTML.
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "e2e"
#: axe-core impacts that fail a page (WCAG 2.1 AA is the target).
BLOCKING_IMPACTS = ("serious", "critical")
AXE_OPTIONS = {
    "runOnly": {
        "type": "tag",
        "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"],
    },
    "resultTypes": ["violations"],
}


#: Closed date pickers (one hidden calendar per date field, thousands of nodes
#: on a form with inline rows) are left out: nobody can reach them, and
#: skipping them halves the audit time. An open picker is audited.
AXE_RUN = """options => {
  const hidden = Array.from(document.querySelectorAll('.daterangepicker'))
    .filter(el => el.offsetParent === null);
  const context = hidden.length ? {include: [document], exclude: hidden} : document;
  return window.axe.run(context, options);
}"""


@cache
def axe_source() -> str:
    return (VENDOR / "axe.min.js").read_text(encoding="utf-8")


def axe_violations(page, impacts=BLOCKING_IMPACTS) -> list[dict]:
    """Run axe-core on the current page; return the violations of these impacts.

    The script is evaluated through the DevTools protocol rather than added as a
    <script> tag, so a Content-Security-Policy on the page cannot block it.
    """
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(axe_source())
    result = page.evaluate(AXE_RUN, AXE_OPTIONS)
    return [v for v in result["violations"] if v.get("impact") in impacts]


def format_violations(violations: list[dict]) -> str:
    lines = []
    for v in violations:
        lines.append(f"- {v['id']} ({v['impact']}): {v['help']}")
        for node in v["nodes"][:5]:
            summary = (node.get("failureSummary") or "").replace("\n", " ")
            lines.append(f"    {node['target']}: {summary[:300]}")
    return "\n".join(lines)


def assert_accessible(page, what: str) -> None:
    """No serious or critical axe-core violation on the page as it is now."""
    violations = axe_violations(page)
    assert not violations, (
        f"Accessibilité — {what} ({page.url}) :\n" + format_violations(violations)
    )


# ------------------------------------------------------------ select2 (3.5)
def _select2_container(page, field_id: str):
    return page.locator(f"#s2id_{field_id}")


def select2_choose(page, field_id: str, search: str, option: str | None = None):
    """Pick an option in a select2 widget (plain or Ajax) as a mouse user does.

    Flask-Admin hides the real <select>/<input> and draws a select2 container
    ``#s2id_<id>``; the open list lives in ``#select2-drop`` at the end of the
    body. For Ajax pickers, the typed text is sent to the view's ajax endpoint.
    """
    container = _select2_container(page, field_id)
    container.locator(".select2-choice").click()
    drop = page.locator("#select2-drop")
    search_box = drop.locator("input.select2-input")
    if search_box.is_visible():
        search_box.fill(search)
    result = drop.locator(
        ".select2-results .select2-result-selectable", has_text=option or search
    ).first
    result.click()
    expected = option or search
    container.locator(".select2-chosen").filter(has_text=expected).wait_for()


def select2_value(page, field_id: str) -> str:
    """The value Flask-Admin will submit for a select2 field."""
    return page.locator(f"#{field_id}").input_value()


# -------------------------------------------------------------- form steps
def save_form(page, button: str = "Enregistrer") -> None:
    """Click the form's main submit button and wait for the next page."""
    with page.expect_navigation():
        page.get_by_role("button", name=button, exact=True).click()


def flash_texts(page) -> list[str]:
    return [t.strip() for t in page.locator(".alert").all_inner_texts()]


def expect_saved(page) -> None:
    """The save succeeded: a success message and no field error."""
    errors = page.locator(".invalid-feedback, .help-block.form-text").all_inner_texts()
    alerts = flash_texts(page)
    assert page.locator(".alert-success").count() >= 1, (alerts, errors)
    assert not page.locator(".is-invalid, .has-error").count(), errors


def add_inline(page, collection: str) -> int:
    """Click the "add" button of an inline list; return the new row's index."""
    before = page.locator(f"#{collection} .inline-field").count()
    page.locator(f"#{collection}-button").click()
    page.locator(f"#{collection} .inline-field").nth(before).wait_for()
    return before


def inline_id(collection: str, index: int, field: str) -> str:
    return f"{collection}-{index}-{field}"


# -------------------------------------------------------------- route probes
def require_route(e2e_db, pattern: str, needs: str) -> str:
    """The endpoint of the route matching ``pattern``; fail when there is none.

    Every journey's feature has landed: a missing route is a regression, and a
    skip would hide it (one journey once skipped silently on a wrong pattern).
    """
    endpoint = e2e_db.endpoint_for(pattern)
    if endpoint is None:
        pytest.fail(f"missing {needs} (no route matching /{pattern}/)")
    return endpoint


def text_of(page, selector: str) -> str:
    return re.sub(r"\s+", " ", page.locator(selector).inner_text()).strip()


def fill_date(page, field_id: str, value: str) -> None:
    """Type a date (AAAA-MM-JJ) or date-time into a field with a date picker.

    The picker opens on focus and reads what is typed; a click outside closes
    it, as a person would, so it cannot cover the next field.
    """
    field = page.locator(f"#{field_id}")
    field.click()
    field.press("ControlOrMeta+a")
    # Typed key by key: the picker parses the text on each key press (a plain
    # fill() would leave it holding its own default and writing it back).
    field.press_sequentially(value)
    page.locator("main h1").click()
    # On closing, the picker writes its normalised form (seconds added).
    assert field.input_value().startswith(value), (field_id, field.input_value())


# ------------------------------------------------------------------ accounts
#: Password of the accounts the fixtures create (never a real one).
E2E_PASSWORD = "e2e-phrase-de-passe-sans-valeur-2019"


def url_for_endpoint(store, endpoint: str, **values) -> str:
    """Path of an endpoint of the served app (same code, same URL map)."""
    from flask import url_for

    with store.app.test_request_context():
        return url_for(endpoint, **values)


def accounts_enabled(store) -> bool:
    """True once the app has its login page (accounts, issue 3)."""
    return store.has_endpoint("auth.login")


@cache
def _password_hash() -> str:
    # One argon2 hash for the whole run: hashing is slow on purpose.
    from app.auth.passwords import hash_password

    return hash_password(E2E_PASSWORD)


def ensure_account(store, role: str) -> str:
    """An active account with this role (``admin``, ``editor``, ``reader``)."""
    from app.models.accounts import Role, User

    email = f"{role}@e2e.example.org"
    with store.session() as session:
        if session.execute(sa.select(User).filter_by(email=email)).first() is None:
            session.add(
                User(
                    email=email,
                    name=f"Compte {role}",
                    role=Role[role],
                    active=True,
                    password_hash=_password_hash(),
                )
            )
            session.commit()
    return email


def log_in(tab, login_path: str, email: str, password: str) -> None:
    tab.goto(login_path)
    tab.get_by_label("Courriel").fill(email)
    tab.get_by_label("Mot de passe").fill(password)
    with tab.expect_navigation():
        tab.get_by_role("button", name="Se connecter").click()


def sign_in(tab, store, role: str = "admin") -> str:
    """Log in through the login page, as a person does; returns the e-mail."""
    email = ensure_account(store, role)
    login_path = url_for_endpoint(store, "auth.login")
    log_in(tab, login_path, email, E2E_PASSWORD)
    assert login_path not in tab.url, f"connexion refusée pour {email}"
    return email


# ------------------------------------------------------------------ evidence
def artifact_stem(nodeid: str) -> Path:
    return ARTIFACTS / re.sub(r"[^A-Za-z0-9_.-]+", "_", nodeid).strip("_")[:150]


def save_evidence(tab, nodeid: str) -> Path:
    """Screenshot and HTML of the page as it is (called when a test fails)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    stem = artifact_stem(nodeid)
    try:
        tab.screenshot(path=f"{stem}.png", full_page=True)
        Path(f"{stem}.html").write_text(tab.content(), encoding="utf-8")
    except Exception as exc:  # the page may be gone; keep the original failure
        Path(f"{stem}.txt").write_text(
            f"Impossible d'enregistrer la page : {exc!r}", encoding="utf-8"
        )
    return stem
