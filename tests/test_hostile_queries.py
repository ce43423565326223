"""Odd values in list filters and import-screen parameters: never a 500
(issue 22, finding 8)."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from app.admin import model_views


def odd_values(flt) -> list[str]:
    """Values this kind of filter cannot use: an unknown code in a list, a date
    Paris time cannot convert, a number beyond any column."""
    kind = type(flt).__name__.lower()
    if flt.options:
        return ["zzz-inconnu"]
    if "between" in kind and ("date" in kind or "time" in kind):
        return ["0001-01-01 00:00:00 to 0001-01-02 00:00:00"]
    if "datetime" in kind or "date" in kind:
        return ["0001-01-01 00:00:00", "0001-01-01"]
    if "int" in kind or "float" in kind or "number" in kind:
        return [str(10**20), "nan", "1e400"]
    return []


def test_every_filter_of_every_view_takes_odd_values(app, admin_client, full_data):
    """Every filter of every list (enum lists, dates, numbers...) with values it
    cannot use: the list answers, the filter is set aside."""
    failures = []
    tried = 0
    for view in model_views(app.extensions["admin"][0]):
        if not view._filters:
            continue
        base = f"/admin/{view.endpoint}/?page_size=20"
        for index, flt in enumerate(view._filters):
            arg = f"flt0_{view.get_filter_arg(index, flt)}"
            for value in odd_values(flt):
                tried += 1
                response = admin_client.get(f"{base}&{arg}={quote(value)}")
                if response.status_code != 200:
                    failures.append((view.endpoint, arg, value, response.status_code))
    assert tried > 40
    assert failures == []


def test_unknown_enum_value_is_set_aside_with_a_message(admin_client, full_data):
    response = admin_client.get("/admin/meeting/?flt0_status_equals=zzz")
    assert response.status_code == 200


@pytest.mark.parametrize("meeting_id", ["abc", str(10**20), "-1", "1.5"])
def test_import_screens_refuse_an_odd_meeting_id(editor_client, db, meeting_id):
    response = editor_client.get(
        f"/admin/imports/?kind=presences&meeting_id={meeting_id}"
    )
    assert response.status_code == 200
    data = {
        "kind": "presences",
        "meeting_id": meeting_id,
        "file": (__import__("io").BytesIO(b"Nom;Statut\nSoudy;present\n"), "p.csv"),
    }
    response = editor_client.post(
        "/admin/imports/", data=data, content_type="multipart/form-data"
    )
    assert response.status_code == 200
    assert "Choisissez la réunion" in response.get_data(as_text=True)
