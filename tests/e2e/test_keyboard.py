"""The member form can be reached, filled and sent with the keyboard alone."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from app.admin.people import MemberView

FOCUSED = """() => {
  const el = document.activeElement;
  const picker = el && el.closest('.select2-container');
  if (picker) return picker.id.replace(/^s2id_/, '');
  return el ? (el.id || el.getAttribute('href') || el.value || el.tagName) : null;
}"""

#: The order the fields appear on screen (the view's form); Tab must follow it.
FIELD_ORDER = list(MemberView.form_columns)


def focused(page) -> str | None:
    return page.evaluate(FOCUSED)


def has_focus_ring(page) -> bool:
    """The focused element shows it: an outline or Bootstrap's focus shadow."""
    return page.evaluate(
        """() => {
          const style = getComputedStyle(document.activeElement);
          return (style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0)
            || style.boxShadow !== 'none';
        }"""
    )


def tab_to(page, target: str, limit: int = 25) -> None:
    for _ in range(limit):
        page.keyboard.press("Tab")
        if focused(page) == target:
            return
    raise AssertionError(f"{target!r} not reached with Tab (now on {focused(page)!r})")


def pick_with_keyboard(page, text: str, option: str) -> None:
    """On a focused select2 picker: type to search, then Enter on the result."""
    page.keyboard.type(text)
    page.locator("#select2-drop .select2-highlighted", has_text=option).wait_for()
    page.keyboard.press("Enter")


def test_member_form_with_keyboard_only(page, e2e_db):
    from app.models import College, Member, MemberRole, Organisation

    with e2e_db.session() as session:
        session.add_all(
            [Organisation(name="Eau et Rivières de Bretagne"), College(name="Citoyens")]
        )
        session.commit()

    page.goto("/admin/member/new/")
    # First stop: the skip link, which takes focus past the navigation.
    page.keyboard.press("Tab")
    assert focused(page) == "#contenu"
    # Hidden until focused, then shown in full.
    assert page.locator(".cdpl-skip-link").bounding_box()["width"] > 50
    page.keyboard.press("Enter")
    assert focused(page) == "contenu"
    tab_to(page, "first_name")

    seen = [focused(page)]
    assert has_focus_ring(page), "no visible focus indicator on the field"
    page.keyboard.type("Jacques")
    steps = {
        "last_name": lambda: page.keyboard.type("Cougoulat"),
        "email": lambda: page.keyboard.type("Jacques.Cougoulat@Example.org"),
        "phone": lambda: page.keyboard.type("02 97 84 00 00"),
        "organisation": lambda: pick_with_keyboard(
            page, "Rivi", "Eau et Rivières de Bretagne"
        ),
        "college": lambda: pick_with_keyboard(page, "Cit", "Citoyens"),
        "town": lambda: page.keyboard.type("Lanester"),
        "role": lambda: pick_with_keyboard(page, "Bur", "Bureau"),
        "joined_on": lambda: page.keyboard.type("2018-09-01"),
        "left_on": lambda: None,
        "notes": lambda: page.keyboard.type("Saisi au clavier."),
    }
    for name, step in steps.items():
        page.keyboard.press("Tab")
        seen.append(focused(page))
        assert seen[-1] == name, f"Tab went to {seen[-1]!r}, expected {name!r}"
        step()
    assert seen == FIELD_ORDER

    # Tab on to the main button and press Enter to send the form.
    tab_to(page, "Enregistrer")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.locator(".alert-success").count() == 1

    with e2e_db.session() as session:
        member = session.execute(sa.select(Member)).scalar_one()
        assert (member.first_name, member.last_name) == ("Jacques", "Cougoulat")
        assert member.email == "jacques.cougoulat@example.org"
        assert member.phone == "+33297840000"
        assert member.organisation.name == "Eau et Rivières de Bretagne"
        assert member.college.name == "Citoyens"
        assert member.town == "Lanester"
        assert member.role is MemberRole.bureau
        assert member.joined_on == date(2018, 9, 1)
        assert member.left_on is None
        assert member.notes == "Saisi au clavier."
