"""List rows written in Python (issue 21): the same page as Flask-Admin's own
Jinja block, with what does not depend on the row worked out once per page."""

from __future__ import annotations

import re

import pytest

from app.admin import listing

#: Lists with check boxes, row buttons (links and delete form), enum labels,
#: dates, booleans, relations, formatted phones and links.
LISTS = [
    "/admin/member/",
    "/admin/attendance/",
    "/admin/meeting/",
    "/admin/action/",
    "/admin/document/",
    "/admin/plan_action/",
    "/admin/organisation/",
]


def _view(app, endpoint: str):
    return next(v for v in app.extensions["admin"][0]._views if v.endpoint == endpoint)


def _rows(html: str) -> str:
    """The table body, whitespace between and around tags removed (the Jinja
    block indents; the Python rows do not)."""
    body = html[html.index("<table") : html.index("</table>")]
    body = re.sub(r">\s+", ">", body)
    return re.sub(r"\s+<", "<", body)


@pytest.mark.parametrize("path", LISTS)
def test_rows_are_the_same_as_flask_admins_block(
    app, full_data, admin_client, monkeypatch, path
):
    fast = admin_client.get(path)
    assert fast.status_code == 200
    view = _view(app, path.strip("/").split("/")[1])
    monkeypatch.setattr(view, "fast_list_rows", False)
    slow = admin_client.get(path)
    assert slow.status_code == 200
    assert 'class="list-buttons-column"' in fast.text
    assert _rows(fast.text) == _rows(slow.text)


def test_row_text_is_escaped(app, admin_client, make_member):
    make_member(last_name="<script>alert(1)</script>", town="Saint-Brieuc & Plérin")
    html = admin_client.get("/admin/member/").text
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "Saint-Brieuc &amp; Plérin" in html


def test_what_the_rows_share_is_worked_out_once_per_page(
    app, admin_client, make_member, monkeypatch
):
    for n in range(12):
        make_member(last_name=f"Ligne{n:02d}", phone="+33297000000")
    layouts, lookups = [], []
    real_layout, real_lookup = listing._RowLayout.__init__, listing._first_formatter

    def counting_layout(self, view, context):
        layouts.append(view.endpoint)
        real_layout(self, view, context)

    def counting_lookup(formatters, value):
        lookups.append(type(value))
        return real_lookup(formatters, value)

    monkeypatch.setattr(listing._RowLayout, "__init__", counting_layout)
    monkeypatch.setattr(listing, "_first_formatter", counting_lookup)
    _view(app, "member").__dict__.pop("_cdpl_type_formatters", None)
    html = admin_client.get("/admin/member/").text
    assert html.count('class="action-checkbox"') == 12
    assert layouts == ["member"]  # once for the page, not once per row
    # One type-formatter lookup per value type (str, None, enum…), not per cell.
    assert lookups and len(lookups) == len(set(lookups))
