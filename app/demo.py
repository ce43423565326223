"""Demo data: the working group meeting of 16 April 2019, as records.

Every record is looked up by a natural key before being created, so that
loading twice changes nothing.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from app.extensions import db
from app.history.actor import acting_as, declared_actor
from app.models import (
    Action,
    ActionStatus,
    Amendment,
    AmendmentKind,
    AmendmentStatus,
    AmendmentStep,
    Attendance,
    AttendanceStatus,
    College,
    Decision,
    Document,
    DocumentKind,
    DocumentStatus,
    GroupRole,
    Meeting,
    MeetingKind,
    MeetingStatus,
    Member,
    MemberRole,
    Membership,
    Organisation,
    OrganisationKind,
    Plan,
    PlanAction,
    Transmission,
    TransmissionMeans,
    WorkingGroup,
)
from app.search.query import fold

PARIS = ZoneInfo("Europe/Paris")
GROUP_NAME = "Innovation sociale numérique"
MEETING_DAY = date(2019, 4, 16)
NEXT_DAY = date(2019, 6, 11)
#: "Prochaine réunion : … au CDPL (6 rue Alphonse RIO)".
NEXT_PLACE = "CDPL (6 rue Alphonse Rio)"
#: "Lien documents : Google Drive partagé": the source names the link, no address.
DOCUMENTS_LABEL = "Google Drive partagé"
#: What a plan action's title is when the minutes do not quote it.
UNKNOWN_TITLE = "Intitulé non repris dans le compte rendu du 16 avril 2019"

#: The council's membership colleges (domain.md; an editable list). The minutes
#: give no one's collège, so no member is put in one.
COLLEGES = [
    "Citoyens",
    "Associations",
    "Acteurs économiques",
    "Personnalités qualifiées",
]

PRESENT = [
    ("Eric", "Soudy"),
    ("Serge", "Fraillon"),
    ("Jean", "Verger"),
    ("Mickael", "Leblond"),
    ("Jacques", "Cougoulat"),
    ("Sylviane", "Cougoulat"),
]
EXCUSED = [("Solenn", "Bréhaut"), ("Pascal", "Goyet"), ("Florian", "Le Berre")]
#: "Rédaction Éric": the only Eric of the meeting.
AUTHOR = ("Eric", "Soudy")
#: Not listed as present or excused: the demo does not make him a group member.
CONTRIBUTOR = ("Philippe", "Ladame")

OBJECTIVE = (
    "Ajustement de l'avis sur le Schéma Territorial du Numérique (STN) de l'agglo."
)

#: "Échanges et informations", in the source's words and order; Philippe Ladame's
#: e-mail is the contribution document, quoted in full after this text in the
#: compte rendu ("Voir mail transmis ci-dessous").
EXCHANGES = """Suite à la communication de l'avis du groupe de travail sur le STN, un \
seul retour de Philippe Ladame, il suggère de faire une synthèse de la synthèse sur \
des actions prioritaires, plus 3 reformulations de certaines actions du STN. Voir \
mail transmis ci-dessous.

- Action 7 : (compléter) … particulièrement celle contribuant à la transparence et \
à la démocratie.
- Action 12 : (remplacer) Recenser les initiatives de développement social… voir si \
cela n'est pas plus lié à l'action 14. Voir un rééquilibrage des budgets entre \
actions 12 (150 K€) et 14 (30 K€), il faut flécher un budget global pour une action \
transverse.
- Action 13 : (compléter) … favoriser l'usage des logiciels libres et des formats \
ouverts.

Plus que modifier des actions spécifiques, il faut faire de ces points un thème \
transverse. Formaliser de ces propositions des exigences à intégrer dans les projets \
issus du STN.

Le groupe fait les modifications de l'avis à transmettre à Solenn pour intégration \
dans le document officiel, ensuite transmission aux élus et par la suite \
organisation d'un point presse."""

#: Philippe Ladame's amendments: (plan action, kind, text, the group's remark).
AMENDMENTS = [
    (
        7,
        AmendmentKind.complete,
        "Définir une stratégie de diffusion des données publiques, particulièrement "
        "celles contribuant à la transparence et à la démocratie citoyenne.",
        "Le groupe : … particulièrement celle contribuant à la transparence et à la "
        "démocratie.",
    ),
    (
        12,
        AmendmentKind.replace,
        "Recenser les initiatives d'accompagnement social aux apprentissages et "
        "usages de base de l'informatique connectée et les conforter par des "
        "dispositifs de soutien financier à hauteur de 25% du budget total qui sera "
        "mobilisé dans le cadre du STN.",
        "Le groupe : Recenser les initiatives de développement social… voir si cela "
        "n'est pas plus lié à l'action 14. Voir un rééquilibrage des budgets entre "
        "actions 12 (150 K€) et 14 (30 K€), il faut flécher un budget global pour "
        "une action transverse.",
    ),
    (
        13,
        AmendmentKind.complete,
        "Favoriser le développement des outils numériques sur des solutions "
        "innovantes et encourager l'usage des logiciels libres et des formats ouverts.",
        "Le groupe : … favoriser l'usage des logiciels libres et des formats ouverts.",
    ),
]

#: Philippe Ladame's e-mail as the minutes quote it (Markdown: the amendments
#: are a list, as in the source).
CONTRIBUTION = """Je suis assez d'accord avec l'avis (critique) préparé par le CDPL \
(même si j'aurais peut-être ciblé davantage sur quelques critiques essentielles).

Je suggère l'ajout d'une dernière partie qui serait quelque chose du genre :

En conséquence le CDPL suggère les amendements suivants :

1. Compléter l'intitulé de l'action 7 comme suit : Définir une stratégie de \
diffusion des données publiques, particulièrement celles contribuant à la \
transparence et à la démocratie citoyenne.
2. Remplacer l'intitulé de l'action 12 par recenser les initiatives \
d'accompagnement social aux apprentissages et usages de base de l'informatique \
connectée et les conforter par des dispositifs de soutien financier à hauteur de \
25% du budget total qui sera mobilisé dans le cadre du STN.
3. Compléter l'intitulé de l'action 13 comme suit : Favoriser le développement \
des outils numériques sur des solutions innovantes et encourager l'usage des \
logiciels libres et des formats ouverts.

(Il conviendra, bien sûr, d'adapter les trois annexes décrivant les actions en \
question)"""

#: The avis's circuit as the group decided it, in order: (member or free-text
#: recipient, note in the source's words). Neither date nor means is given:
#: the steps are undated and "Autre".
CIRCUIT = [
    (("Solenn", "Bréhaut"), None, "Pour intégration dans le document officiel"),
    (None, "élus", "Ensuite transmission aux élus"),
    (None, "presse", "Par la suite organisation d'un point presse"),
]

#: The plan actions the minutes name: (number, budget). Their titles are not
#: quoted in the minutes (see UNKNOWN_TITLE); 12 and 14 have their budgets.
PLAN_ACTIONS = [
    (7, None),
    (12, Decimal("150000")),
    (13, None),
    (14, Decimal("30000")),
]

DECISION = "Mise à jour du document de réaction au STN"

#: "Actions à venir du groupe de travail", in the source's words: no owner and
#: no deadline are given.
ACTIONS = [
    (
        "Réflexion sur l'usage interne d'une base de données pour le CDPL",
        "Voir si un stage peut être envisagé pour la mise en œuvre d'un outil simple "
        "de gestion des données.",
    ),
    ("Définir des indicateurs pour le suivi du STN", None),
]


def _fold(text: str | None) -> str:
    """Names compared as a person reads them: case, accents and spacing aside."""
    return " ".join(fold(text or "").split()).rstrip(" .")


class _Loader:
    """Finds each record by its natural key, creates it only when absent, and
    never changes a record it finds (so that no history entry is written)."""

    def __init__(self) -> None:
        self.created = 0
        self._new: set[int] = set()

    def is_new(self, obj) -> bool:
        """Whether this run created ``obj`` (only then may the demo link it)."""
        return id(obj) in self._new

    def find(self, model, exact: dict, folded: dict | None = None):
        """The first ``model`` row equal to ``exact`` whose ``folded`` text fields
        read the same as given (see ``_fold``)."""
        rows = db.session.execute(sa.select(model).filter_by(**exact)).scalars()
        wanted = {name: _fold(value) for name, value in (folded or {}).items()}
        for row in rows:
            if all(_fold(getattr(row, n)) == v for n, v in wanted.items()):
                return row
        return None

    def get_or_create(self, model, exact: dict, folded: dict | None = None, **values):
        obj = self.find(model, exact, folded)
        if obj is None:
            obj = model(**exact, **(folded or {}), **values)
            db.session.add(obj)
            db.session.flush()
            self.created += 1
            self._new.add(id(obj))
        return obj

    def member(self, first: str, last: str, email: str | None = None, **values):
        """A member by e-mail (case aside) when the demo gives one, else by name."""
        if email:
            found = db.session.execute(
                sa.select(Member).where(sa.func.lower(Member.email) == email.lower())
            ).scalar_one_or_none()
            if found is not None:
                return found
        return self.get_or_create(
            Member, {}, {"first_name": first, "last_name": last}, email=email, **values
        )

    def meeting_on(self, group: WorkingGroup, day: date) -> Meeting | None:
        """The group's meeting held on ``day`` (Paris), whatever its time."""
        start = datetime.combine(day, time(0), tzinfo=PARIS)
        stmt = (
            sa.select(Meeting)
            .where(
                Meeting.group_id == group.id,
                Meeting.starts_at >= start,
                Meeting.starts_at < start + timedelta(days=1),
            )
            .order_by(Meeting.id)
        )
        return db.session.execute(stmt).scalars().first()


def paris(year, month, day, hour=0, minute=0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=PARIS)


def load_demo() -> int:
    """Load the demo records; return how many were created (0 when already there).

    Natural keys (text compared with case, accents and spacing aside):
    collège, structure, groupe and plan by name; member by e-mail, else by first
    and last name; participation by member + group; meeting by group + day
    (Paris), whatever its time; présence by meeting + member; décision by meeting
    + text; action by meeting + title; action du plan by plan + number;
    amendement by plan action + kind + meeting; step by amendment + status;
    document by kind + title; transmission by document + recipient.

    The meeting of 16 April 2019 is the data set's anchor: when the group
    already has a meeting that day (loaded before, or entered by a person through
    the screens), nothing at all is written, so that the demo never adds
    near-duplicates inside someone's meeting. Records found by their key are
    reused as they are, never modified.
    """
    if declared_actor() is None:
        with acting_as("demo"):
            return _load_demo()
    return _load_demo()


def _load_demo() -> int:
    ld = _Loader()
    group = ld.find(WorkingGroup, {}, {"name": GROUP_NAME})
    if group is not None and ld.meeting_on(group, MEETING_DAY) is not None:
        return 0
    for i, name in enumerate(COLLEGES, start=1):
        ld.get_or_create(College, {}, {"name": name}, position=i)
    cdpl = ld.get_or_create(
        Organisation,
        {},
        {"name": "Conseil de développement du Pays de Lorient"},
        kind=OrganisationKind.association,
        town="Lorient",
    )
    agglo = ld.get_or_create(
        Organisation,
        {},
        {"name": "Lorient Agglomération"},
        kind=OrganisationKind.local_authority,
        town="Lorient",
    )
    group = group or ld.get_or_create(
        WorkingGroup, {}, {"name": GROUP_NAME}, active=True
    )

    members: dict[tuple[str, str], Member] = {}
    for first, last in [*PRESENT, *EXCUSED, CONTRIBUTOR]:
        # Solenn integrates the avis into the official document: the staff
        # coordinator of domain.md.
        staff = (first, last) == ("Solenn", "Bréhaut")
        members[(first, last)] = ld.member(
            first,
            last,
            role=MemberRole.staff if staff else MemberRole.member,
            organisation=cdpl if staff else None,
        )
    for key in [*PRESENT, *EXCUSED]:
        ld.get_or_create(
            Membership,
            {"member_id": members[key].id, "group_id": group.id},
            role=GroupRole.member,
        )

    meeting = ld.get_or_create(
        Meeting,
        {"group_id": group.id, "starts_at": paris(2019, 4, 16)},
        time_unknown=True,
        kind=MeetingKind.working_group,
        objective=OBJECTIVE,
        author=members[AUTHOR],
        exchanges=EXCHANGES,
        status=MeetingStatus.held,
    )
    meeting.next_meeting = ld.meeting_on(group, NEXT_DAY) or ld.get_or_create(
        Meeting,
        {"group_id": group.id, "starts_at": paris(2019, 6, 11, 12, 30)},
        kind=MeetingKind.working_group,
        place=NEXT_PLACE,
        status=MeetingStatus.planned,
        documents_label=DOCUMENTS_LABEL,
    )

    for people, status in (
        (PRESENT, AttendanceStatus.present),
        (EXCUSED, AttendanceStatus.excused),
    ):
        for key in people:
            ld.get_or_create(
                Attendance,
                {"meeting_id": meeting.id, "member_id": members[key].id},
                status=status,
            )

    # "Mise à jour du document de réaction au STN, délais ASAP."
    ld.get_or_create(
        Decision, {"meeting_id": meeting.id}, {"text": DECISION}, asap=True, position=1
    )

    plan = ld.get_or_create(
        Plan,
        {},
        {"name": "Schéma Territorial du Numérique"},
        short_name="STN",
        owner=agglo,
    )
    plan_actions = {
        number: ld.get_or_create(
            PlanAction,
            {"plan_id": plan.id, "number": number},
            title=UNKNOWN_TITLE,
            budget=budget,
        )
        for number, budget in PLAN_ACTIONS
    }
    ladame = members[CONTRIBUTOR]
    for number, kind, text, remark in AMENDMENTS:
        amendment = ld.get_or_create(
            Amendment,
            {
                "plan_action_id": plan_actions[number].id,
                "kind": kind,
                "meeting_id": meeting.id,
            },
            text=text,
            proposed_by=ladame,
            # "Le groupe fait les modifications de l'avis".
            status=AmendmentStatus.adopted_by_group,
            rationale=remark,
            # "à hauteur de 25% du budget total qui sera mobilisé dans le cadre du STN"
            proposed_share=Decimal("25") if number == 12 else None,
        )
        # The e-mail's date is not given: both steps carry the meeting's day.
        for previous, status, note in (
            (None, AmendmentStatus.proposed, "Courriel de Philippe Ladame"),
            (
                AmendmentStatus.proposed,
                AmendmentStatus.adopted_by_group,
                "Réunion du groupe du 16 avril 2019",
            ),
        ):
            ld.get_or_create(
                AmendmentStep,
                {"amendment_id": amendment.id, "to_status": status},
                from_status=previous,
                changed_at=meeting.starts_at,
                actor_label="demo",
                note=note,
            )

    for title, description in ACTIONS:
        ld.get_or_create(
            Action,
            {"meeting_id": meeting.id},
            {"title": title},
            description=description,
            group=group,
            status=ActionStatus.todo,
        )

    avis = ld.get_or_create(
        Document,
        {"kind": DocumentKind.opinion},
        {"title": "Avis du groupe de travail sur le STN"},
        # Being modified by the group before it goes round the circuit.
        status=DocumentStatus.review,
        group=group,
        meeting=meeting,
    )
    for person, text, note in CIRCUIT:
        member = members[person] if person else None
        ld.get_or_create(
            Transmission,
            {
                "document_id": avis.id,
                "member_id": member.id if member else None,
                "recipient_text": text,
            },
            means=TransmissionMeans.other,
            note=note,
        )
    contribution = ld.get_or_create(
        Document,
        {"kind": DocumentKind.contribution},
        {"title": "Courriel de Philippe Ladame sur l'avis du groupe de travail"},
        # "Voir mail transmis ci-dessous".
        status=DocumentStatus.sent,
        body=CONTRIBUTION,
        quote_in_minutes=True,
        author=ladame,
        group=group,
        meeting=meeting,
    )
    if ld.is_new(contribution):
        contribution.plan_actions = [plan_actions[n] for n, *_ in AMENDMENTS]
    db.session.commit()
    return ld.created
