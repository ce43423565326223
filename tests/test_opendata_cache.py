"""The open-data package is rebuilt when the published data change, not on
each request, and every app process sees a change made by another."""

from __future__ import annotations

import io
import re
import zipfile

import pytest
import sqlalchemy as sa

from app import create_app
from app.extensions import db as _db
from app.models import Member
from app.models.opendata import OpendataState
from app.models.plans import Indicator, Plan
from app.opendata import freshness
from tests.conftest import base_config
from tests.test_imports import confirm, review_url, upload
from tests.test_opendata import get_ok, publish_demo


@pytest.fixture
def builds(monkeypatch):
    """Count the package builds."""
    calls = []
    real = freshness.build_package

    def counting():
        calls.append(1)
        return real()

    monkeypatch.setattr(freshness, "build_package", counting)
    return calls


def zipped_actions(client) -> str:
    archive = get_ok(client, "/public/donnees/donnees-publiques.zip").data
    with zipfile.ZipFile(io.BytesIO(archive)) as zipped:
        return zipped.read("actions.csv").decode()


def stamp() -> str | None:
    _db.session.rollback()
    return _db.session.execute(
        sa.select(OpendataState.stamp).where(OpendataState.id == 1)
    ).scalar()


def test_built_once_then_rebuilt_when_a_record_goes_private(client, demo, builds):
    published = publish_demo(demo.session)
    first = get_ok(client, "/public/donnees/donnees-publiques.zip")
    for url in (
        "/public/donnees/donnees-publiques.zip",
        "/public/donnees/actions.csv",
        "/public/donnees/datapackage.json",
        "/public/donnees/",
    ):
        get_ok(client, url)
    assert len(builds) == 1
    assert ",13," in zipped_actions(client)
    again = client.get(
        "/public/donnees/donnees-publiques.zip",
        headers={"If-None-Match": first.headers["ETag"]},
    )
    assert again.status_code == 304
    assert first.headers["Last-Modified"]

    action = next(a for a in published["actions"] if a.number == 13)
    action.public = False
    demo.session.commit()
    assert ",13," not in zipped_actions(client)
    assert len(builds) == 2
    changed = client.get(
        "/public/donnees/donnees-publiques.zip",
        headers={"If-None-Match": first.headers["ETag"]},
    )
    assert changed.status_code == 200
    assert len(builds) == 2


def test_a_second_process_sees_the_change(app, client, demo, tmp_path):
    """Another app on the same database (another process, another server)
    keeps its own copy and rebuilds it when the stamp moves."""
    published = publish_demo(demo.session)
    config = base_config(
        tmp_path, SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"]
    )
    other = create_app(config)
    other_client = other.test_client()
    with other.app_context():
        assert ",13," in zipped_actions(other_client)
    # The change goes through the first app.
    action = next(a for a in published["actions"] if a.number == 13)
    action.public = False
    demo.session.commit()
    with other.app_context():
        assert ",13," not in zipped_actions(other_client)
        _db.session.remove()
        _db.engine.dispose()


def test_only_writes_to_published_tables_renew_the_stamp(db, make_member):
    plan = Plan(name="Plan de test")
    db.session.add(plan)
    db.session.commit()
    first = stamp()
    assert first
    # A member, a consent... are not in the package.
    make_member(first_name="Anne", last_name="Sans-Effet")
    assert stamp() == first
    # Loaded without change: nothing renewed.
    db.session.get(Plan, plan.id).name = "Plan de test"
    db.session.commit()
    assert stamp() == first
    db.session.get(Plan, plan.id).name = "Plan renommé"
    db.session.commit()
    second = stamp()
    assert second != first
    # A rolled back change leaves the stamp.
    db.session.get(Plan, plan.id).name = "Plan abandonné"
    db.session.flush()
    db.session.rollback()
    db.session.get(Plan, plan.id).name = "Plan renommé"
    db.session.commit()
    assert stamp() == second
    db.session.delete(db.session.get(Plan, plan.id))
    db.session.commit()
    assert stamp() != second
    assert (
        db.session.execute(sa.select(sa.func.count()).select_from(Member)).scalar() == 1
    )


def test_no_stamp_means_no_kept_copy(client, demo, builds):
    """Data loaded without the hooks (no stamp row): built on each request."""
    publish_demo(demo.session)
    demo.session.execute(sa.delete(OpendataState.__table__))
    demo.session.commit()
    get_ok(client, "/public/donnees/actions.csv")
    get_ok(client, "/public/donnees/actions.csv")
    assert len(builds) == 2


def test_refresh_command_renews_the_stamp(app, demo, builds, client):
    publish_demo(demo.session)
    get_ok(client, "/public/donnees/actions.csv")
    before = stamp()
    result = app.test_cli_runner().invoke(args=["refresh-opendata"])
    assert result.exit_code == 0, result.output
    assert "reconstruit à la prochaine demande" in result.output
    assert stamp() != before
    get_ok(client, "/public/donnees/actions.csv")
    assert len(builds) == 2


def test_a_configuration_change_rebuilds(app, client, demo, builds, monkeypatch):
    publish_demo(demo.session)
    get_ok(client, "/public/donnees/catalogue.csv")
    monkeypatch.setitem(app.config, "OPENDATA_SIRET", "21350238800019")
    assert b"21350238800019" in get_ok(client, "/public/donnees/catalogue.csv").data
    assert len(builds) == 2


def test_every_table_the_package_reads_renews_the_stamp(db, demo):
    """FEEDS lists every table read while building the package: a table
    added to the package without its model in FEEDS would leave it stale."""
    publish_demo(demo.session)
    demo.session.expire_all()
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    engine = _db.engine
    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        freshness.build_package()
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
    names = set(_db.metadata.tables)
    read = {
        name
        for statement in statements
        for name in re.findall(r'(?:FROM|JOIN)\s+"?(\w+)"?', statement)
        if name in names
    }
    assert {"plan", "plan_action", "meeting", "attendance", "document"} <= read
    fed = {model.__tablename__ for model in freshness.FEEDS}
    assert read <= fed, read - fed


def test_an_import_of_published_records_renews_the_package(
    app, client, admin_client, demo, builds, tmp_path, monkeypatch
):
    """Imports write in bulk, past the unit of work the hook watches: the
    package must still follow them (a budget changed, measurements added)."""
    monkeypatch.setitem(app.config, "IMPORT_DIR", str(tmp_path / "imports"))
    published = publish_demo(demo.session)
    plan_id = demo.session.execute(
        sa.select(Plan.id).where(Plan.short_name == "STN")
    ).scalar_one()
    before = zipped_actions(client)
    assert "987654" not in before
    first = stamp()
    sheet = "N°;Intitulé;Budget\n7;Logiciels libres;987 654 €\n".encode()
    url = review_url(
        upload(admin_client, sheet, kind="actions-plan", plan_id=str(plan_id))
    )
    html = admin_client.get(url).get_data(as_text=True)
    assert "0 création(s) et 1 mise(s) à jour" in html
    assert confirm(admin_client, url, html).status_code == 302
    assert stamp() != first
    after = zipped_actions(client)
    assert "987654" in after
    assert len(builds) == 2

    # Measurements of a public indicator: a new bulk insert, a new package.
    indicator = (
        demo.session.execute(sa.select(Indicator).where(Indicator.public.is_(True)))
        .scalars()
        .first()
    )
    second = stamp()
    sheet = f"Indicateur;Date;Valeur\n{indicator.name};01/06/2026;17,5\n".encode()
    url = review_url(upload(admin_client, sheet, kind="mesures"))
    html = admin_client.get(url).get_data(as_text=True)
    assert confirm(admin_client, url, html).status_code == 302
    assert stamp() != second
    archive = get_ok(client, "/public/donnees/donnees-publiques.zip").data
    with zipfile.ZipFile(io.BytesIO(archive)) as zipped:
        names = zipped.namelist()
        measures = next(n for n in names if "mesure" in n and n.endswith(".csv"))
        assert "2026-06-01" in zipped.read(measures).decode()
    assert published  # the demo's records stayed public throughout
