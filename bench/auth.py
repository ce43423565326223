"""Log the benchmark in, whatever stage the accounts feature is at.

``login(session, env)`` looks for a login page among LOGIN_PATHS. If there is
none, the app has no authentication yet and the bench proceeds anonymously.
Otherwise it creates an administrator with the ``create-admin`` command (the
same one a new installation uses) and submits the login form it finds on the
page. Adapt LOGIN_PATHS or CREATE_ADMIN_ARGS if those change.
"""

from __future__ import annotations

import os
import subprocess
import sys

from bench.client import Session, forms

LOGIN_PATHS = ("/auth/login", "/connexion", "/auth/connexion", "/login")
EMAIL = "bench.admin@exemple.fr"
#: Long and random-looking, so that password-strength checks accept it.
PASSWORD = "Banc-d'essai: 7 chaloupes vertes à Lorient, 2026!"
CREATE_ADMIN_ARGS = ["create-admin", "--email", EMAIL, "--password", PASSWORD]


def _login_page(session: Session) -> tuple[str, str] | None:
    for path in LOGIN_PATHS:
        response = session.get(path)
        if response.status == 200 and 'type="password"' in response.text:
            return path, response.text
    return None


def create_admin(env: dict[str, str]) -> str:
    """Run the app's create-admin command; an existing account is fine."""
    result = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", *CREATE_ADMIN_ARGS],
        env=env,
        capture_output=True,
        text=True,
        input=f"{PASSWORD}\n{PASSWORD}\n",
        timeout=120,
    )
    return (
        (result.stdout + result.stderr).strip().splitlines()[-1:][0]
        if (result.stdout or result.stderr)
        else ""
    )


def login(
    session: Session, env: dict[str, str] | None = None, create_account: bool = True
) -> str:
    """Log ``session`` in if the app has accounts; return what was done (French).

    ``create_account=False`` when the bench's administrator already exists
    (the concurrent clients after the first).
    """
    page = _login_page(session)
    if page is None:
        return "anonyme (l'application n'a pas encore de page de connexion)"
    path, html = page
    note = create_admin(dict(env or os.environ)) if create_account else ""
    for attrs, inputs in forms(html):
        names = {i.get("name", ""): i for i in inputs}
        password_field = next(
            (n for n, i in names.items() if i.get("type") == "password"), None
        )
        if password_field is None:
            continue
        data = {
            n: i.get("value", "")
            for n, i in names.items()
            if i.get("type") in ("hidden", None) and n
        }
        email_field = next(
            (
                n
                for n, i in names.items()
                if i.get("type") in ("email", "text") or "mail" in n or "login" in n
            ),
            "email",
        )
        data[email_field] = EMAIL
        data[password_field] = PASSWORD
        action = attrs.get("action") or path
        response = session.post(action, data)
        after = session.get("/admin/")
        if (
            response.status < 400
            and after.status == 200
            and ('type="password"' not in after.text)
        ):
            return f"connecté comme administrateur ({EMAIL})"
        return (
            f"ÉCHEC de la connexion (statut {response.status}) ; create-admin : {note}"
        )
    return "ÉCHEC : formulaire de connexion introuvable"
