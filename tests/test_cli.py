"""The tool run as its users run it: the installed ``cdpl-gestion`` command, in
subprocesses, on a fresh instance folder (the README's start command).

These tests always use the embedded SQLite database of a new instance folder, as
a new user's first start does, whatever database the rest of the suite uses.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.test_layers import all_modules

BIN = Path(sys.executable).parent
COMMAND = shutil.which("cdpl-gestion", path=str(BIN)) or str(BIN / "cdpl-gestion")
SUBCOMMANDS = [
    ["serve"],
    ["demo"],
    ["create-admin"],
    ["import-data"],
    ["dump"],
    ["load-dump"],
    ["backup"],
    ["restore"],
    ["send-mail"],
    ["reindex"],
    ["export-opendata"],
    ["refresh-opendata"],
    ["rgpd"],
    ["rgpd", "export"],
    ["rgpd", "anonymise"],
    ["purge"],
    ["db"],
    ["db", "upgrade"],
    ["db", "downgrade"],
    ["db", "current"],
    ["db", "history"],
    ["db", "migrate"],
]
ADMIN_PASSWORD = "cheval-agrafe-pile-2019"


def tool_env(instance: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("CDPL_", "FLASK_")) and k != "DATABASE_URL"
    }
    env["CDPL_INSTANCE_PATH"] = str(instance)
    env["PYTHONUNBUFFERED"] = "1"
    return env


def run_tool(instance: Path, *args: str, timeout: float = 120):
    return subprocess.run(
        [COMMAND, *args],
        env=tool_env(instance),
        cwd=instance.parent,
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )


def test_the_console_script_is_installed():
    assert Path(COMMAND).exists(), f"{COMMAND} absent : pip install -e . ?"


def test_help_is_french_and_leaves_the_database_alone(tmp_path):
    instance = tmp_path / "instance"
    result = run_tool(instance, "--help")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Utilisation : cdpl-gestion" in out
    assert "Commandes:" in out or "Commandes :" in out
    assert "Afficher cette aide et quitter." in out
    for name in ("serve", "demo", "create-admin", "dump", "backup", "db"):
        assert re.search(rf"^\s+{re.escape(name)}\s", out, re.M), name
    # Flask's developer options and commands are not the tool's.
    for english in ("Show this message", "--env-file", "Run a development server"):
        assert english not in out
    assert not (instance / "cdpl.sqlite3").exists()
    assert not (instance / "setup_token").exists()
    assert "jeton :" not in out


@pytest.mark.parametrize("args", SUBCOMMANDS, ids=lambda a: " ".join(a))
def test_each_subcommand_has_french_help(tmp_path, args):
    instance = tmp_path / "instance"
    result = run_tool(instance, *args, "--help")
    assert result.returncode == 0, result.stderr
    assert f"Utilisation : cdpl-gestion {' '.join(args)}" in result.stdout
    assert "Afficher cette aide et quitter." in result.stdout
    assert "Show this message" not in result.stdout
    assert "[default:" not in result.stdout
    assert not (instance / "cdpl.sqlite3").exists(), "--help a ouvert la base"
    assert "jeton :" not in result.stdout + result.stderr
    assert not (instance / "setup_token").exists()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get(url: str) -> tuple[int, str]:
    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(url, timeout=10) as response:
            return response.status, response.read().decode("utf-8")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode("utf-8", "replace")


def test_serve_starts_answers_and_stops(tmp_path):
    instance = tmp_path / "instance"
    port = free_port()
    proc = subprocess.Popen(
        [COMMAND, "serve", "--port", str(port)],
        env=tool_env(instance),
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        stdin=subprocess.DEVNULL,
    )
    lines: list[str] = []
    try:
        deadline = time.monotonic() + 90
        ready = f"cdpl-gestion est prêt : http://127.0.0.1:{port}/"
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            lines.append(line)
            if ready in line:
                break
        output = "".join(lines)
        assert ready in output, output
        # First start: no account, so the full address of the setup page.
        assert f"http://127.0.0.1:{port}/installation" in output
        assert (instance / "cdpl.sqlite3").exists()

        status, _ = get(f"http://127.0.0.1:{port}/")
        assert status == 302
        status, body = get(f"http://127.0.0.1:{port}/connexion")
        assert status == 200
        assert "Aucun compte n'existe encore" in body
        assert "cdpl-gestion create-admin" in body
        status, body = get(f"http://127.0.0.1:{port}/installation")
        assert status == 200 and "jeton" in body.lower()
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            code = proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise
        finally:
            proc.stdout.close()
    assert code == 0, "".join(lines)


def test_demo_and_create_admin_in_a_fresh_instance(tmp_path):
    instance = tmp_path / "instance"
    result = run_tool(instance, "demo")
    assert result.returncode == 0, result.stderr
    assert "Données de démonstration chargées" in result.stdout
    again = run_tool(instance, "demo")
    assert again.returncode == 0, again.stderr
    assert "rien à faire" in again.stdout

    result = run_tool(
        instance,
        "create-admin",
        "--email",
        "Secretariat@Exemple.fr",
        "--password",
        ADMIN_PASSWORD,
    )
    assert result.returncode == 0, result.stderr
    assert "Compte administrateur secretariat@exemple.fr créé." in result.stdout
    twice = run_tool(
        instance,
        "create-admin",
        "--email",
        "secretariat@exemple.fr",
        "--password",
        ADMIN_PASSWORD,
    )
    assert twice.returncode != 0
    assert "existe déjà" in twice.stderr

    current = run_tool(instance, "db", "current")
    assert current.returncode == 0, current.stderr
    assert "(head)" in current.stdout + current.stderr


def import_alone(module: str) -> tuple[str, int, str]:
    result = subprocess.run(
        [sys.executable, "-c", f"import {module}"],
        capture_output=True,
        text=True,
        timeout=120,
        env={k: v for k, v in os.environ.items() if k != "DATABASE_URL"},
        cwd=Path(__file__).resolve().parent.parent,
    )
    return module, result.returncode, result.stderr[-2000:]


def test_every_module_imports_on_its_own():
    """One fresh interpreter per module of app/: an import circle fails here
    whichever module a command, a worker or a test happens to load first."""
    modules = sorted(all_modules())
    assert len(modules) > 40
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(import_alone, modules))
    failures = [f"{m}:\n{err}" for m, code, err in results if code != 0]
    assert not failures, "\n\n".join(failures)
