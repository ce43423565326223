"""The dashboard's off-track indicators are kept per process between visits
(every indicator's track is needed for the count) and follow every change:
a measurement written through a form or an import, another process's commit,
the next day (issue 21: dashboard served in a few milliseconds at 100×)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import sqlalchemy as sa

from app import create_app
from app.extensions import db as _db
from app.models.plans import Measurement
from app.plans import indicators
from app.plans.indicators import off_track_indicators
from tests.conftest import base_config
from tests.plans_support import indicator_with_five_measurements, stn
from tests.test_imports import confirm, review_url, upload


def off_track_section(client) -> str:
    board = client.get("/admin/").get_data(as_text=True)
    section = board[board.index('id="dash-off-track"') :]
    return section[: section.index("</section>")]


def test_kept_between_visits_and_renewed_by_each_change(
    app, admin_client, demo, monkeypatch, tmp_path
):
    monkeypatch.setitem(app.config, "IMPORT_DIR", str(tmp_path / "imports"))
    _, actions = stn(demo)
    indicator = indicator_with_five_measurements(demo, actions[14], last=Decimal(41))
    last_on = date(date.today().year, 1, 1)
    assert "Lieux de médiation numérique" in off_track_section(admin_client)

    computed = []
    real = indicators._off_track

    def counting(*args):
        computed.append(1)
        return real(*args)

    monkeypatch.setattr(indicators, "_off_track", counting)
    for _ in range(3):
        assert "Indicateurs hors trajectoire (1)" in off_track_section(admin_client)
    assert computed == []  # kept: no indicator read again

    # A measurement back on the trajectory, through the ORM (as the forms do).
    demo.session.add(
        Measurement(
            indicator_id=indicator.id,
            measured_on=last_on + timedelta(days=1),
            value=Decimal(60),
        )
    )
    demo.session.commit()
    assert "Indicateurs hors trajectoire (0)" in off_track_section(admin_client)
    assert computed == [1]

    # Off again through an import (written in bulk, past the unit of work).
    sheet = (
        "Indicateur;Date;Valeur\n"
        f"{indicator.name};{(last_on + timedelta(days=2)):%d/%m/%Y};1\n"
    ).encode()
    url = review_url(upload(admin_client, sheet, kind="mesures"))
    html = admin_client.get(url).get_data(as_text=True)
    assert confirm(admin_client, url, html).status_code == 302
    assert "Indicateurs hors trajectoire (1)" in off_track_section(admin_client)

    # Another process on the same database sees the next change at once.
    other = create_app(
        base_config(
            tmp_path / "other",
            SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
        )
    )
    with other.app_context():
        assert off_track_indicators()[1] == 1
        _db.session.remove()
    # The import's point goes: the on-track one is the last again.
    demo.session.delete(
        demo.session.execute(
            sa.select(Measurement).where(
                Measurement.indicator_id == indicator.id, Measurement.value == 1
            )
        ).scalar_one()
    )
    demo.session.commit()
    with other.app_context():
        assert off_track_indicators()[1] == 0
        _db.session.remove()
        _db.engine.dispose()


def test_the_day_is_part_of_the_key(app, demo):
    _, actions = stn(demo)
    indicator_with_five_measurements(demo, actions[14], last=Decimal(41))
    assert off_track_indicators()[1] == 1
    # Two years on, the last measurement is stale: no longer "hors trajectoire".
    later = date.today() + timedelta(days=730)
    assert off_track_indicators(today=later)[1] == 0
    assert off_track_indicators()[1] == 1
