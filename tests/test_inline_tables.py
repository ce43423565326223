"""Inline sub-forms are table rows (issue 14): the column labels once in the
header, one row per record, each field labelled, errors in their row."""

from __future__ import annotations

import re
from html import unescape

import sqlalchemy as sa

from app.models import Member, Membership, WorkingGroup


def inline_block(html: str, collection: str) -> str:
    start = html.index(f'id="{collection}"')
    return html[start : html.index(f'id="{collection}-button"', start)]


def rows(block: str, collection: str) -> dict[int, str]:
    """Each row's HTML by its number (the table body, not the template)."""
    body = block[: block.index("inline-field-template")]
    found = {}
    for match in re.finditer(
        rf'<tr id="{collection}-(\d+)" class="inline-field">', body
    ):
        end = body.index("</tr>", match.end())
        found[int(match.group(1))] = body[match.start() : end]
    return found


def headers(block: str) -> list[str]:
    cells = re.findall(r'<th scope="col"[^>]*>(.*?)</th>', block, re.S)
    return [re.sub(r"<[^>]+>", "", c).replace("*", "").strip() for c in cells]


def test_group_memberships_are_table_rows(demo, admin_client):
    group = demo.session.execute(sa.select(WorkingGroup)).scalar()
    count = len(group.memberships)
    html = unescape(
        admin_client.get(f"/admin/working_group/edit/?id={group.id}").get_data(
            as_text=True
        )
    )
    block = inline_block(html, "memberships")
    assert "<table" in block and '<tbody class="inline-field-list">' in block
    # The labels once, in the header; the line number and the delete column.
    assert headers(block) == [
        "N°Ligne",
        "Membre",
        "Rôle",
        "Depuis le",
        "Jusqu'au",
        "Supprimer",
    ]
    found = rows(block, "memberships")
    assert sorted(found) == list(range(count))
    for number, row in found.items():
        assert row.count("<td") == 5  # four fields and the delete box
        # Every control has its own label (read by screen readers, hidden).
        for control in re.findall(
            r'<(?:input|select|textarea)[^>]*\bid="([^"]+)"', row
        ):
            if f'id="{control}" type="hidden"' in row or control.endswith("-id"):
                continue
            assert f'for="{control}"' in row, (number, control)
        assert f'name="del-memberships-{number}"' in row
        assert f"Participants — ligne {number + 1}" in row
    # The template of a new row is a row too (added by cdpl-csp.js).
    template = block[block.index("inline-field-template") :]
    assert "&lt;tr class=&#34;inline-field&#34;&gt;" in template or "<tr" in template
    assert "nouvelle ligne" in template


def test_errors_are_shown_in_their_row_next_to_the_field(db, admin_client):
    solenn = Member(first_name="Solenn", last_name="Bréhaut")
    eric = Member(first_name="Eric", last_name="Soudy")
    db.session.add_all([solenn, eric])
    db.session.commit()
    response = admin_client.post(
        "/admin/working_group/new/",
        data={
            "name": "Numérique",
            "active": "y",
            "memberships-0-member": str(solenn.id),
            "memberships-0-role": "member",
            "memberships-1-member": str(eric.id),
            "memberships-1-role": "lead",
            "memberships-1-since": "2019-06-01",
            "memberships-1-until": "2019-01-01",
        },
    )
    assert response.status_code == 200
    html = unescape(response.get_data(as_text=True))
    found = rows(inline_block(html, "memberships"), "memberships")
    assert sorted(found) == [0, 1]  # both rows kept, as typed
    assert "La date de fin précède la date de début." not in found[0]
    until = found[1][found[1].index("cdpl-inline-until") :]
    assert "La date de fin précède la date de début." in until
    assert 'value="2019-01-01"' in until or "2019-01-01" in until
    assert db.session.execute(sa.select(sa.func.count(Membership.id))).scalar() == 0
