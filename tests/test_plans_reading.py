"""Amendments read against the text they change (issue 16)."""

from __future__ import annotations

from app.models.plans import AmendmentKind
from app.plans.reading import proposed_title, read_amendment

ACTION_7 = "Définir une stratégie de diffusion des données publiques"
AMENDMENT_7 = (
    "Définir une stratégie de diffusion des données publiques, particulièrement "
    "celles contribuant à la transparence et à la démocratie citoyenne."
)


def _ops(segments):
    return [(s.op, s.text) for s in segments]


def test_completing_highlights_only_the_added_words():
    reading = read_amendment(AmendmentKind.complete, ACTION_7, AMENDMENT_7)
    assert reading.proposed == AMENDMENT_7
    assert not reading.side_by_side
    assert _ops(reading.inline) == [
        ("equal", ACTION_7),
        (
            "insert",
            ", particulièrement celles contribuant à la transparence et à la "
            "démocratie citoyenne.",
        ),
    ]


def test_completing_with_an_ellipsis_adds_after_the_current_title():
    text = "… particulièrement celles contribuant à la transparence."
    assert proposed_title(AmendmentKind.complete, ACTION_7, text) == (
        f"{ACTION_7} particulièrement celles contribuant à la transparence."
    )
    assert proposed_title(AmendmentKind.add, "Former", ", accompagner") == (
        "Former, accompagner"
    )


def test_replacing_marks_both_sides():
    current = "Recenser les initiatives de développement social"
    text = "Recenser les initiatives d'accompagnement social aux apprentissages"
    reading = read_amendment(AmendmentKind.replace, current, text)
    assert reading.side_by_side
    assert _ops(reading.before) == [
        ("equal", "Recenser les initiatives "),
        ("delete", "de développement"),
        ("equal", " social"),
    ]
    assert _ops(reading.after) == [
        ("equal", "Recenser les initiatives "),
        ("insert", "d'accompagnement"),
        ("equal", " social"),
        ("insert", " aux apprentissages"),
    ]
    # Every word of both texts is kept, in order.
    assert "".join(s.text for s in reading.before) == current
    assert "".join(s.text for s in reading.after) == text


def test_deleting_words_or_the_whole_action():
    title = "Développer les outils numériques et les logiciels libres"
    reading = read_amendment(AmendmentKind.delete, title, "et les logiciels libres")
    assert reading.proposed == "Développer les outils numériques"
    assert _ops(reading.before)[-1] == ("delete", " et les logiciels libres")
    whole = read_amendment(AmendmentKind.delete, title, "")
    assert whole.proposed == ""
    assert _ops(whole.before) == [("delete", title)]
