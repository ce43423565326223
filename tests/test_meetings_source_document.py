"""The meeting of 16 April 2019, entered through the screens as staff would.

Every element of the council's own minutes must come out in its section of the
compte rendu page, in the ODT download and in the Markdown download.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from icalendar import Calendar

from app.models import (
    Action,
    Attendance,
    AttendanceStatus,
    Meeting,
    MeetingStatus,
    Member,
    WorkingGroup,
)
from tests.meetings_support import (
    markdown_sections,
    odt_sections,
    odt_text,
    section_texts,
    squash,
)

PARIS = ZoneInfo("Europe/Paris")
GROUP = "Innovation sociale numérique"
PRESENT = [
    ("Eric", "Soudy"),
    ("Serge", "Fraillon"),
    ("Jean", "Verger"),
    ("Mickael", "Leblond"),
    ("Jacques", "Cougoulat"),
    ("Sylviane", "Cougoulat"),
]
EXCUSED = [("Solenn", "Bréhaut"), ("Pascal", "Goyet"), ("Florian", "Le Berre")]
OBJECTIVE = (
    "Ajustement de l'avis sur le Schéma Territorial du Numérique (STN) de l'agglo."
)
CONTEXT = (
    "Suite à la communication de l'avis du groupe de travail sur le STN, un seul "
    "retour de Philippe Ladame, il suggère de faire une synthèse de la synthèse sur "
    "des actions prioritaires, plus 3 reformulations de certaines actions du STN."
)
AMENDMENTS = [
    "Compléter l'intitulé de l'action 7 comme suit : Définir une stratégie de "
    "diffusion des données publiques, particulièrement celles contribuant à la "
    "transparence et à la démocratie citoyenne.",
    "Remplacer l'intitulé de l'action 12 par recenser les initiatives "
    "d'accompagnement social aux apprentissages et usages de base de l'informatique "
    "connectée et les conforter par des dispositifs de soutien financier à hauteur "
    "de 25% du budget total qui sera mobilisé dans le cadre du STN.",
    "Compléter l'intitulé de l'action 13 comme suit : Favoriser le développement "
    "des outils numériques sur des solutions innovantes et encourager l'usage des "
    "logiciels libres et des formats ouverts.",
]
DISCUSSION = [
    "Action 12 : (remplacer) Recenser les initiatives de développement social… voir "
    "si cela n'est pas plus lié à l'action 14. Voir un rééquilibrage des budgets "
    "entre actions 12 (150 K€) et 14 (30 K€), il faut flécher un budget global pour "
    "une action transverse.",
    "Plus que modifier des actions spécifiques, il faut faire de ces points un thème "
    "transverse.",
    "Le groupe fait les modifications de l'avis à transmettre à Solenn pour "
    "intégration dans le document officiel, ensuite transmission aux élus et par la "
    "suite organisation d'un point presse.",
]
EXCHANGES = (
    "Contribution de Philippe Ladame par courriel : **en conséquence le CDPL suggère "
    "les amendements suivants** :\n\n"
    + "\n".join(f"{i}. {text}" for i, text in enumerate(AMENDMENTS, start=1))
    + "\n\n"
    + "\n\n".join(DISCUSSION)
    + "\n"
)
DECISION = "Mise à jour du document de réaction au STN"
ACTIONS = [
    (
        "Transmettre l'avis modifié à Solenn pour intégration dans le document officiel",
        ("Eric", "Soudy"),
    ),
    ("Transmettre l'avis aux élus", ("Eric", "Soudy")),
    ("Organiser un point presse", ("Eric", "Soudy")),
    (
        "Réflexion sur l'usage interne d'une base de données : voir si un stage peut "
        "être envisagé pour la mise en œuvre d'un outil simple de gestion des données",
        None,
    ),
    ("Définir des indicateurs pour le suivi du STN", None),
]
PLACE = "CDPL (6 rue Alphonse Rio)"
DRIVE = "https://drive.example.org/cdpl/innovation-sociale-numerique"


def _ok(response):
    assert response.status_code in (200, 302), response.status_code
    html = response.get_data(as_text=True)
    assert "is-invalid" not in html, html[html.find("is-invalid") - 500 :][:1500]
    return response


def _member_id(db, first, last) -> int:
    return db.session.execute(
        sa.select(Member.id).filter_by(first_name=first, last_name=last)
    ).scalar_one()


@pytest.fixture
def entered(admin_client, db):
    """The whole meeting entered through the HTTP screens; returns the meeting id."""
    c = admin_client
    for first, last in [*PRESENT, *EXCUSED]:
        _ok(
            c.post(
                "/admin/member/new/",
                data={"first_name": first, "last_name": last, "role": "member"},
            )
        )
    ids = {p: _member_id(db, *p) for p in [*PRESENT, *EXCUSED]}
    group_form = {"name": GROUP, "description": "", "active": "y"}
    for i, key in enumerate(ids):
        group_form[f"memberships-{i}-member"] = str(ids[key])
        group_form[f"memberships-{i}-role"] = "lead" if i == 0 else "member"
        group_form[f"memberships-{i}-since"] = "2019-01-01"
    _ok(c.post("/admin/working_group/new/", data=group_form))
    group_id = db.session.execute(
        sa.select(WorkingGroup.id).filter_by(name=GROUP)
    ).scalar_one()
    _ok(
        c.post(
            "/admin/meeting/new/",
            data={
                "group": str(group_id),
                "kind": "working_group",
                "starts_at": "2019-04-16 12:30",
                "ends_at": "2019-04-16 14:00",
                "place": PLACE,
                "status": "held",
            },
        )
    )
    meeting_id = db.session.execute(sa.select(Meeting.id)).scalar_one()

    # Attendance: the roster is the group; one radio per person, one submission.
    page = c.get(f"/admin/meeting/attendance/?id={meeting_id}").get_data(as_text=True)
    for key in ids:
        assert f'name="status-{ids[key]}"' in page
    attendance = {f"status-{ids[p]}": "present" for p in PRESENT}
    attendance |= {f"status-{ids[p]}": "excused" for p in EXCUSED}
    _ok(c.post(f"/admin/meeting/attendance/?id={meeting_id}", data=attendance))

    minutes = {
        "version": "1",
        "day": "2019-04-16",
        "start_time": "12:30",
        "end_time": "14:00",
        "place": PLACE,
        "status": "held",
        "author": str(ids[("Eric", "Soudy")]),
        "objective": OBJECTIVE,
        "context": CONTEXT,
        "exchanges": EXCHANGES,
        "documents_url": DRIVE,
        "decisions-0-text": DECISION,
        "decisions-0-asap": "y",
        "next_day": "2019-06-11",
        "next_time": "12:30",
        "next_place": PLACE,
        "next_documents_url": DRIVE,
    }
    for i, (title, owner) in enumerate(ACTIONS):
        minutes[f"actions-{i}-title"] = title
        minutes[f"actions-{i}-owner"] = str(ids[owner]) if owner else ""
        minutes[f"actions-{i}-asap"] = "y"
        minutes[f"actions-{i}-status"] = "todo"
    response = _ok(c.post(f"/admin/meeting/minutes/?id={meeting_id}", data=minutes))
    assert response.status_code == 302
    return meeting_id


def test_records_match_the_source_document(entered, db):
    meeting = db.session.get(Meeting, entered)
    assert meeting.status == MeetingStatus.held
    assert meeting.local_start == datetime(2019, 4, 16, 12, 30, tzinfo=PARIS)
    statuses = {
        a.member.last_name + a.member.first_name: a.status
        for a in db.session.execute(sa.select(Attendance)).scalars()
    }
    assert len(statuses) == 9
    assert statuses["GoyetPascal"] == AttendanceStatus.excused
    assert statuses["SoudyEric"] == AttendanceStatus.present
    nxt = meeting.next_meeting
    assert nxt is not None and nxt.group_id == meeting.group_id
    assert nxt.local_start == datetime(2019, 6, 11, 12, 30, tzinfo=PARIS)
    assert nxt.status == MeetingStatus.planned
    assert [d.text for d in meeting.decisions] == [DECISION]
    assert meeting.decisions[0].asap
    actions = db.session.execute(sa.select(Action).order_by(Action.id)).scalars().all()
    assert [a.title for a in actions] == [t for t, _ in ACTIONS]
    assert all(a.group_id == meeting.group_id and a.asap for a in actions)


def _expected_sections():
    return {
        "cr-header": [
            "Groupe de travail",
            GROUP,
            "16 avril 2019",
            "Rédaction",
            "Eric Soudy",
        ],
        "cr-participants": [f"{f} {n}" for f, n in PRESENT + EXCUSED],
        "cr-objective": [OBJECTIVE],
        "cr-context": [CONTEXT],
        "cr-exchanges": [*AMENDMENTS, *DISCUSSION, "Philippe Ladame"],
        "cr-decisions": [DECISION, "dès que possible"],
        "cr-actions": [t for t, _ in ACTIONS] + ["responsable : Eric Soudy"],
        "cr-next": ["mardi 11 juin 2019", "12h30", PLACE, DRIVE],
    }


def test_compte_rendu_page_holds_every_element_in_its_section(admin_client, entered):
    response = admin_client.get(f"/admin/meeting/report/?id={entered}")
    assert response.status_code == 200
    sections = section_texts(response.get_data(as_text=True))
    for section, needles in _expected_sections().items():
        for needle in needles:
            assert squash(needle) in sections[section], (section, needle)
    # Participants: present and excused apart, each in "last name, first name" order.
    present, excused = sections["cr-participants"].split("Excusés :")
    assert present.split("Présents :")[1].strip() == (
        "Jacques Cougoulat, Sylviane Cougoulat, Serge Fraillon, Mickael Leblond, "
        "Eric Soudy, Jean Verger"
    )
    assert excused.strip() == "Solenn Bréhaut, Pascal Goyet, Florian Le Berre"
    # The Markdown exchanges are rendered (bold, numbered list), not shown raw.
    html = response.get_data(as_text=True)
    assert "<strong>en conséquence le CDPL suggère" in html
    assert "<ol>" in html and "**" not in sections["cr-exchanges"]
    assert 'href="/static/minutes.css' in html  # print stylesheet


def test_odt_download_is_a_valid_package_with_the_same_text(admin_client, entered):
    response = admin_client.get(f"/admin/meeting/report/odt/?id={entered}")
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.oasis.opendocument.text"
    assert ".odt" in response.headers["Content-Disposition"]
    text = odt_text(response.data)
    for needles in _expected_sections().values():
        for needle in needles:
            assert squash(needle) in text, needle
    # odfpy can read it back as well.
    import io

    from odf.opendocument import load

    doc = load(io.BytesIO(response.data))
    assert doc.mimetype == "application/vnd.oasis.opendocument.text"


def test_markdown_download_holds_the_same_text(admin_client, entered):
    response = admin_client.get(f"/admin/meeting/report/md/?id={entered}")
    assert response.status_code == 200
    assert response.mimetype == "text/markdown"
    text = squash(response.get_data(as_text=True))
    for needles in _expected_sections().values():
        for needle in needles:
            assert squash(needle) in text, needle


def test_ics_round_trips_date_time_zone_and_place(admin_client, entered):
    response = admin_client.get(f"/admin/meeting/ics/?id={entered}")
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    cal = Calendar.from_ical(response.data)
    assert [tz["TZID"] for tz in cal.walk("VTIMEZONE")] == ["Europe/Paris"]
    (event,) = cal.walk("VEVENT")
    start = event.decoded("DTSTART")
    assert start == datetime(2019, 4, 16, 12, 30, tzinfo=PARIS)
    assert str(start.tzinfo) == "Europe/Paris"
    assert event["DTSTART"].params["TZID"] == "Europe/Paris"
    assert event.decoded("DTEND") == datetime(2019, 4, 16, 14, 0, tzinfo=PARIS)
    assert str(event["LOCATION"]) == PLACE
    assert OBJECTIVE in str(event["DESCRIPTION"])
    assert str(event["UID"]) == f"meeting-{entered}@cdpl-gestion.invalid"
    assert str(event["STATUS"]) == "CONFIRMED"
    # No personal data: neither participants nor the minutes' author.
    assert b"Soudy" not in response.data and b"ATTENDEE" not in response.data


def test_demo_meeting_has_its_compte_rendu(admin_client, demo):
    meeting = demo.session.execute(
        sa.select(Meeting).where(Meeting.exchanges.is_not(None))
    ).scalar_one()
    html = admin_client.get(f"/admin/meeting/report/?id={meeting.id}").get_data(
        as_text=True
    )
    sections = section_texts(html)
    assert "Eric Soudy" in sections["cr-participants"]
    assert "Mise à jour du document de réaction au STN" in sections["cr-decisions"]
    assert "mardi 11 juin 2019 12h30" in sections["cr-next"]
    odt = admin_client.get(f"/admin/meeting/report/odt/?id={meeting.id}").data
    assert "logiciels libres" in odt_text(odt)


def test_compte_rendu_names_the_configured_organisation(app, admin_client, demo):
    meeting = demo.session.execute(
        sa.select(Meeting).where(Meeting.exchanges.is_not(None))
    ).scalar_one()
    html = admin_client.get(f"/admin/meeting/report/?id={meeting.id}").get_data(
        as_text=True
    )
    header = section_texts(html)["cr-header"]
    assert app.config["ORG_NAME"] in header
    assert app.config["ORG_ADDRESS"] in header


def _expected_structure() -> list[tuple[str, list]]:
    """Every section of the compte rendu, in order, with exactly its content."""
    present = (
        "Jacques Cougoulat, Sylviane Cougoulat, Serge Fraillon, Mickael Leblond, "
        "Eric Soudy, Jean Verger"
    )
    actions = []
    for title, owner in ACTIONS:
        line = title + (f" — responsable : {' '.join(owner)}" if owner else "")
        actions.append(f"{line} — échéance : dès que possible")
    return [
        ("Groupe de travail", []),
        (GROUP, ["Date : 16 avril 2019, 12h30 – 14h00", "Rédaction : Eric Soudy"]),
        (
            "Participants",
            [
                f"Présents : {present}",
                "Excusés : Solenn Bréhaut, Pascal Goyet, Florian Le Berre",
            ],
        ),
        (
            "Éléments de contexte, déroulement et décisions",
            [f"Objectif de la réunion : {OBJECTIVE}"],
        ),
        ("Éléments de contexte", [CONTEXT]),
        ("Échanges et informations", None),  # Markdown text, checked apart
        ("Décisions", [[f"{DECISION}, délai : dès que possible"]]),
        ("Actions à venir", [actions]),
        (
            "Prochaine réunion",
            [
                f"Dates, horaires et lieu : mardi 11 juin 2019 12h30 — {PLACE}",
                f"Lien documents : {DRIVE}",
                ("link", DRIVE),
            ],
        ),
    ]


def _check_structure(sections: list[tuple[str, list]]) -> None:
    expected = _expected_structure()
    assert [h for h, _ in sections] == [h for h, _ in expected]
    for (heading, blocks), (_, wanted) in zip(sections, expected, strict=True):
        if wanted is None:
            continue
        assert blocks == wanted, heading
    exchanges = dict(sections)["Échanges et informations"]
    assert exchanges[0].startswith("Contribution de Philippe Ladame par courriel")
    assert exchanges[1] == [squash(a) for a in AMENDMENTS]  # the numbered list
    assert exchanges[2:] == [squash(d) for d in DISCUSSION]


def test_odt_puts_each_element_in_its_section(admin_client, entered):
    response = admin_client.get(f"/admin/meeting/report/odt/?id={entered}")
    _check_structure(odt_sections(response.data))


def test_markdown_puts_each_element_in_its_section(admin_client, entered):
    response = admin_client.get(f"/admin/meeting/report/md/?id={entered}")
    _check_structure(markdown_sections(response.get_data(as_text=True)))
