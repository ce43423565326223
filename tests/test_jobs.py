"""Long jobs (issue 22, finding 1): outside the request, one per lane, recovered.

Most tests here run the real background thread (``JOBS_RUN_INLINE`` off) and
wait for it with a bounded poll; a gate runner registered by the test holds a
job "en cours" as long as the test needs, so nothing races a sleep.
"""

from __future__ import annotations

import html as html_module
import io
import re
import threading
import time
from datetime import timedelta

import pytest
import sqlalchemy as sa

from app import jobs
from app.exports import pending
from app.exports.jobs import ANALYSE, CONFIRM
from app.history.actor import Actor
from app.models import DataTransfer, Job, JobState, Member
from app.models.accounts import Role
from app.models.base import utcnow
from tests.conftest import login

MEMBERS_CSV = (
    "Nom,Prénom,Courriel\nAbgrall,Élodie,elodie@example.org\nLe Goff,Yann,yann@ex.org\n"
).encode()
#: Upper bound of every wait (the machine is shared and slow); a pass is quick.
WAIT_SECONDS = 60


@pytest.fixture(autouse=True)
def background(app, tmp_path, monkeypatch):
    """Real background threads, quick polls and beats, uploads in a temp folder."""
    monkeypatch.setitem(app.config, "IMPORT_DIR", str(tmp_path / "imports"))
    monkeypatch.setitem(app.config, "JOBS_RUN_INLINE", False)
    monkeypatch.setitem(app.config, "JOBS_WAIT_SECONDS", 0)  # the progress page
    monkeypatch.setitem(app.config, "JOBS_POLL_SECONDS", 0.05)
    monkeypatch.setitem(app.config, "JOBS_HEARTBEAT_SECONDS", 0.05)
    yield
    # No worker may outlive the test (the tables are emptied after it).
    for worker in list(jobs._workers.values()):
        worker.join(WAIT_SECONDS)


@pytest.fixture
def gate(monkeypatch):
    """A runner of the import lane that counts 3 of 10 rows, then waits for release."""
    state = {"release": threading.Event()}

    def run(ctx):
        ctx.start_phase("Analyse des lignes…", 10)
        ctx.advance(3)
        assert state["release"].wait(WAIT_SECONDS)
        return "fini"

    monkeypatch.setitem(
        jobs.RUNNERS, "gate", jobs.Runner("gate", "import", "lignes", run)
    )
    yield state
    state["release"].set()  # a failed test must not leave its gate closed


def text(response) -> str:
    """The page's HTML with entities decoded (Jinja writes ' as &#39;)."""
    return html_module.unescape(response.get_data(as_text=True))


def wait_for(predicate, what: str):
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError(f"waited {WAIT_SECONDS} s for {what}")


def state_of(job_id: int) -> JobState:
    return jobs.get_job(job_id).state


def upload(client, data=MEMBERS_CSV):
    form = {"kind": "membres", "file": (io.BytesIO(data), "liste.csv")}
    return client.post("/admin/imports/", data=form, content_type="multipart/form-data")


def job_id_of(response) -> int:
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    found = re.search(r"/admin/jobs/(\d+)/$", response.headers["Location"])
    assert found, response.headers["Location"]
    return int(found.group(1))


def quiet(db) -> None:
    """End the test's own transaction: outside a request it holds SQLite's lock."""
    db.session.commit()


def start_gate(client, db) -> int:
    actor = Actor(client.user.id, client.user.email)
    quiet(db)
    job_id = jobs.submit("gate", {}, actor)
    wait_for(lambda: state_of(job_id) is JobState.running, "the gate to run")
    return job_id


def test_import_analysis_runs_in_the_background_then_leads_to_the_preview(
    editor_client, db
):
    job_id = job_id_of(upload(editor_client))
    wait_for(lambda: state_of(job_id) is JobState.done, "the analysis")
    page = editor_client.get(f"/admin/jobs/{job_id}/")
    assert page.status_code == 302 and "/admin/imports/" in page.location
    html = text(editor_client.get(page.location))
    assert "Aucune erreur : 2 création(s) et 0 mise(s) à jour" in html
    assert db.session.execute(sa.select(sa.func.count(Member.id))).scalar() == 0


def test_progress_page_counts_rows_and_refreshes_itself(editor_client, db, gate):
    job_id = start_gate(editor_client, db)
    wait_for(lambda: jobs.get_job(job_id).done_count == 3, "the first beat")
    html = text(editor_client.get(f"/admin/jobs/{job_id}/"))
    assert "Import : en cours" in html
    assert "3 sur 10 lignes" in html
    assert '<meta http-equiv="refresh" content="2">' in html
    assert "<script>" not in html  # the CSP allows no inline script
    gate["release"].set()
    wait_for(lambda: state_of(job_id) is JobState.done, "the gate to finish")
    html = text(editor_client.get(f"/admin/jobs/{job_id}/"))
    assert 'http-equiv="refresh"' not in html


def test_second_import_waits_its_turn_with_a_message_then_runs(
    app, editor_client, make_user, db, gate
):
    first_email = editor_client.user.email
    first = start_gate(editor_client, db)
    other = app.test_client()
    other.user = make_user(role=Role.editor)
    login(other, other.user.email)
    quiet(db)
    second = job_id_of(upload(other))
    time.sleep(0.3)  # a few polls of its worker: it must still wait
    assert state_of(second) is JobState.queued
    html = text(other.get(f"/admin/jobs/{second}/"))
    when = jobs.get_job(first).started_at.astimezone(jobs.PARIS).strftime("%H:%M")
    assert (
        f"Un autre import est en cours (lancé par {first_email} à "
        f"{when}) ; le vôtre attend son tour."
    ) in html
    assert "Import : en attente" in html
    gate["release"].set()
    wait_for(lambda: state_of(second) is JobState.done, "the second job")
    assert jobs.get_job(second).started_at >= jobs.get_job(first).finished_at
    page = other.get(f"/admin/jobs/{second}/")
    assert "/admin/imports/" in page.location


def test_database_keeps_one_running_job_per_lane(app, db):
    """Two processes claiming at once: the unique index refuses the second."""
    with app.app_context():
        for _ in range(2):
            db.session.add(Job(kind="gate", lane="import", started_by="a@example.org"))
        db.session.add(Job(kind="dump", lane="dump", started_by="a@example.org"))
        db.session.commit()
        first = jobs.claim_next("import")
        assert first is not None
        assert jobs.claim_next("import") is None  # the lane is taken
        assert jobs.claim_next("dump") is not None  # another lane runs meanwhile
        # Two processes that both saw the lane free: the database refuses the
        # second claim itself (unique index on the lane of running jobs).
        second = db.session.execute(
            sa.select(Job.id).where(Job.state == JobState.queued)
        ).scalar()
        db.session.commit()
        with pytest.raises(sa.exc.IntegrityError):
            with db.engine.begin() as conn:
                conn.execute(
                    sa.update(Job).where(Job.id == second).values(state="running")
                )
        states = db.session.execute(
            sa.select(Job.state).where(Job.lane == "import").order_by(Job.id)
        ).scalars()
        assert list(states) == [JobState.running, JobState.queued]


def test_job_of_a_killed_process_is_interrupted_and_wrote_nothing(
    app, editor_client, db
):
    """A confirm left "en cours" by a killed process: marked interrompu, told, and
    the lane is free again; its transaction never committed, so no member."""
    token = pending.save(
        MEMBERS_CSV, {"kind": "membres", "filename": "liste.csv", "mapping": None}
    )
    old = utcnow() - timedelta(seconds=app.config["JOBS_STALE_SECONDS"] + 5)
    user_id, email = editor_client.user.id, editor_client.user.email
    dead = Job(
        kind=CONFIRM,
        lane="import",
        state=JobState.running,
        payload=f'{{"token": "{token}"}}',
        user_id=user_id,
        started_by=email,
        created_at=old,
        started_at=old,
        heartbeat_at=old,
    )
    db.session.add(dead)
    db.session.flush()
    dead_id = dead.id
    quiet(db)
    html = text(editor_client.get(f"/admin/jobs/{dead_id}/"))
    assert "Import : interrompu" in html
    assert "rien n'a été enregistré. Relancez-le." in html
    # The next import of the lane runs (the dead one no longer blocks it).
    job_id = job_id_of(upload(editor_client))
    wait_for(lambda: state_of(job_id) is JobState.done, "the next import")
    assert db.session.execute(sa.select(sa.func.count(Member.id))).scalar() == 0


def test_recent_heartbeat_is_not_taken_for_a_dead_process(app, editor_client, db):
    now = utcnow()
    user_id, email = editor_client.user.id, editor_client.user.email
    alive = Job(
        kind=ANALYSE,
        lane="import",
        state=JobState.running,
        user_id=user_id,
        started_by=email,
        started_at=now,
        heartbeat_at=now,
    )
    db.session.add(alive)
    db.session.flush()
    alive_id = alive.id
    quiet(db)
    html = text(editor_client.get(f"/admin/jobs/{alive_id}/"))
    assert "Import : en cours" in html


def test_other_accounts_get_404_on_a_job_page(
    app, editor_client, reader_client, admin_client, make_user, db, gate
):
    job_id = start_gate(editor_client, db)
    other_editor = app.test_client()
    other_editor.user = make_user(role=Role.editor)
    login(other_editor, other_editor.user.email)
    quiet(db)
    url = f"/admin/jobs/{job_id}/"
    assert editor_client.get(url).status_code == 200
    assert other_editor.get(url).status_code == 404
    assert reader_client.get(url).status_code == 404
    assert admin_client.get(url).status_code == 200
    for bad in ("abc", "0", "1" * 20, "²"):
        assert editor_client.get(f"/admin/jobs/{bad}/").status_code == 404
    gate["release"].set()


def test_dump_runs_as_a_job_and_only_its_admin_downloads_it(
    app, admin_client, editor_client, make_user, db, monkeypatch
):
    monkeypatch.setitem(app.config, "JOBS_RUN_INLINE", True)
    job_id = job_id_of(admin_client.post("/admin/dump/"))
    html = text(admin_client.get(f"/admin/jobs/{job_id}/"))
    assert "Sauvegarde prête" in html
    assert "reste disponible jusqu'au" in html
    download = f"/admin/jobs/{job_id}/telecharger/"
    response = admin_client.get(download)
    assert response.mimetype == "application/zip"
    assert response.get_data()[:2] == b"PK"
    response.close()
    assert editor_client.get(download).status_code == 404
    # After the retention the file is gone: the page says so, the link is 404.
    with app.app_context():
        jobs.purge_files(now=time.time() + app.config["JOBS_FILE_MAX_AGE_SECONDS"] + 1)
    assert admin_client.get(download).status_code == 404
    html = text(admin_client.get(f"/admin/jobs/{job_id}/"))
    assert "n'est plus disponible" in html


def test_failing_dump_says_so_in_french_and_is_logged(
    app, admin_client, db, monkeypatch
):
    import app.exports.jobs as job_module

    def broken(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(job_module, "write_dump", broken)
    job_id = job_id_of(admin_client.post("/admin/dump/"))
    wait_for(lambda: state_of(job_id) is JobState.failed, "the dump to fail")
    html = text(admin_client.get(f"/admin/jobs/{job_id}/"))
    assert "La sauvegarde n'a pas pu être produite" in html
    assert "disk on fire" not in html and "Traceback" not in html
    outcome = db.session.execute(sa.select(DataTransfer.outcome)).scalar()
    assert outcome.name == "failure"
    assert not list(jobs_dir_files(app))


def jobs_dir_files(app):
    with app.app_context():
        return [p for p in jobs.jobs_dir().iterdir() if p.is_file()]


def test_unexpected_error_in_an_import_job_gives_a_french_message(
    app, editor_client, db, monkeypatch
):
    import app.exports.jobs as job_module

    def broken(*args, **kwargs):
        raise KeyError("internal detail")

    monkeypatch.setattr(job_module, "read_table", broken)
    job_id = job_id_of(upload(editor_client))
    wait_for(lambda: state_of(job_id) is JobState.failed, "the job to fail")
    page = editor_client.get(f"/admin/jobs/{job_id}/", follow_redirects=True)
    html = page.get_data(as_text=True)
    assert "erreur interne ; elle a été consignée" in html
    assert "internal detail" not in html
