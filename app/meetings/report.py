"""The "compte rendu" of a meeting, in the layout of the council's own minutes.

One data structure feeds the three outputs (web page, ODT, Markdown) so that they
always hold the same text in the same order.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache

import sqlalchemy as sa
from babel.dates import format_date
from markupsafe import Markup
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.meetings.attendance import attendance_lists
from app.models import (
    Action,
    Amendment,
    AttendanceStatus,
    Document,
    Meeting,
    MeetingKind,
    MeetingStatus,
    PlanAction,
)
from app.normalisers import is_web_link

_ALLOWED_TAGS = {
    "p",
    "br",
    "strong",
    "em",
    "ul",
    "ol",
    "li",
    "a",
    "code",
    "pre",
    "blockquote",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
}


@cache
def _markdown():
    """Markdown as people type it; raw HTML is not interpreted (it is shown as text)."""
    # markdown-it and nh3 (~3 MB resident) are loaded by the first page that
    # shows a compte rendu's text, not at start-up: most requests show none.
    from markdown_it import MarkdownIt

    return MarkdownIt(
        "commonmark", {"html": False, "linkify": False, "typographer": False}
    )


def markdown_tokens(text: str | None):
    return _markdown().parse(text or "")


def render_markdown(text: str | None) -> Markup:
    """Markdown to HTML, sanitised by nh3 (no script, no style, safe links only)."""
    if not (text or "").strip():
        return Markup("")
    # Loaded where used, as markdown-it in _markdown().
    import nh3

    html = _markdown().render(text or "")
    # Headings typed as "#" would outrank the page's own titles: shift them down.
    for level in (2, 1):
        html = html.replace(f"<h{level}>", f"<h{level + 2}>").replace(
            f"</h{level}>", f"</h{level + 2}>"
        )
    clean = nh3.clean(
        html,
        tags=_ALLOWED_TAGS,
        attributes={"a": {"href", "title"}},
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
    )
    return Markup(clean)


def long_date(value: date | datetime | None) -> str:
    """ "mardi 11 juin 2019"."""
    if value is None:
        return ""
    return format_date(value, "EEEE d MMMM y", locale="fr_FR")


def short_date(value: date | datetime | None) -> str:
    """ "16 avril 2019", as in the header of the minutes."""
    if value is None:
        return ""
    return format_date(value, "d MMMM y", locale="fr_FR")


def hour(value: datetime | None) -> str:
    """ "12h30"."""
    if value is None:
        return ""
    return f"{value.hour}h{value.minute:02d}"


@dataclass
class ReportPerson:
    name: str
    guest: bool = False

    def __str__(self) -> str:
        return f"{self.name} (invité·e)" if self.guest else self.name


@dataclass
class ReportItem:
    text: str
    deadline: str
    owner: str = ""
    status: str = ""


@dataclass
class ReportDocument:
    """A document of the meeting (contribution received, avis discussed…)."""

    kind: str
    title: str
    author: str = ""
    #: The document's text when it is quoted in the compte rendu (Markdown).
    quote: str = ""

    @property
    def line(self) -> str:
        """ "Contribution : Contribution de … (Philippe Ladame)"."""
        text = f"{self.kind} : {self.title}"
        return f"{text} ({self.author})" if self.author else text

    @property
    def quote_html(self) -> Markup:
        return render_markdown(self.quote)


@dataclass
class ReportAmendment:
    """An amendment discussed at the meeting: plan action, kind, proposed text."""

    action: str
    kind: str
    text: str
    proposed_by: str = ""
    status: str = ""

    @property
    def heading(self) -> str:
        """ "Action 7 du STN — compléter"."""
        return f"{self.action} — {self.kind.lower()}"

    @property
    def line(self) -> str:
        text = f"{self.heading} : « {self.text} »"
        details = [
            f"proposé par {self.proposed_by}" if self.proposed_by else "",
            self.status.lower(),
        ]
        details = [d for d in details if d]
        return f"{text} ({' ; '.join(details)})" if details else text


#: Printed instead of a time when the source gives the day only (never "0h00").
TIME_UNKNOWN = "heure non précisée"


def meeting_time(meeting: Meeting) -> str:
    """ "12h30", "12h30 – 14h00", or "heure non précisée" (``time_unknown``)."""
    if meeting.starts_at is None:
        return ""
    if meeting.time_unknown:
        return TIME_UNKNOWN
    text = hour(meeting.local_start)
    if meeting.ends_at is not None:
        text += f" – {hour(meeting.local_end)}"
    return text


@dataclass
class NextMeeting:
    date: str
    time: str
    place: str
    documents_url: str
    #: The link's name in the source ("Google Drive partagé").
    documents_label: str = ""

    @property
    def when_where(self) -> str:
        text = self.date
        if self.time == TIME_UNKNOWN:
            text += f", {self.time}"
        elif self.time:
            text += f" {self.time}"
        if self.place:
            text += f" — {self.place}"
        return text


@dataclass
class MinutesReport:
    meeting_id: int
    kind: str
    group: str
    date: str
    author: str
    objective: str
    context: str
    exchanges: str
    place: str
    time: str
    present: list[ReportPerson] = field(default_factory=list)
    excused: list[ReportPerson] = field(default_factory=list)
    decisions: list[ReportItem] = field(default_factory=list)
    actions: list[ReportItem] = field(default_factory=list)
    next_meeting: NextMeeting | None = None
    documents_url: str = ""
    documents_label: str = ""
    #: The meeting was cancelled: every output says so under the date.
    cancelled: bool = False
    documents: list[ReportDocument] = field(default_factory=list)
    amendments: list[ReportAmendment] = field(default_factory=list)

    CANCELLED = "Réunion annulée."

    @property
    def quoted_documents(self) -> list[ReportDocument]:
        return [d for d in self.documents if d.quote]

    @property
    def exchanges_html(self) -> Markup:
        return render_markdown(self.exchanges)

    @property
    def when(self) -> str:
        """ "16 avril 2019, 12h30 – 14h00" or "16 avril 2019, heure non précisée"."""
        return f"{self.date}, {self.time}" if self.time else self.date

    @property
    def heading(self) -> str:
        return self.group or self.kind

    @property
    def filename(self) -> str:
        return f"compte-rendu-reunion-{self.meeting_id}"


def _deadline(asap: bool, due_on: date | None) -> str:
    if asap:
        return "dès que possible"
    return due_on.strftime("%d/%m/%Y") if due_on else "non fixée"


def meeting_actions(meeting: Meeting) -> list[Action]:
    return list(
        db.session.execute(
            sa.select(Action).where(Action.meeting_id == meeting.id).order_by(Action.id)
        ).scalars()
    )


def meeting_documents(meeting: Meeting) -> list[ReportDocument]:
    documents = db.session.execute(
        sa.select(Document)
        .where(Document.meeting_id == meeting.id)
        .options(selectinload(Document.author))
        .order_by(Document.doc_date.is_(None), Document.doc_date, Document.id)
    ).scalars()
    return [
        ReportDocument(
            kind=d.kind.label,
            title=d.title,
            author=d.author.full_name if d.author else "",
            quote=(d.body or "").strip() if d.quote_in_minutes else "",
        )
        for d in documents
    ]


def _plan_action_label(action: PlanAction) -> str:
    plan = action.plan
    short = (plan.short_name or plan.name) if plan is not None else ""
    return f"Action {action.number} du {short}" if short else f"Action {action.number}"


def meeting_amendments(meeting: Meeting) -> list[ReportAmendment]:
    amendments = db.session.execute(
        sa.select(Amendment)
        .join(PlanAction, PlanAction.id == Amendment.plan_action_id)
        .where(Amendment.meeting_id == meeting.id)
        .options(
            selectinload(Amendment.plan_action).selectinload(PlanAction.plan),
            selectinload(Amendment.proposed_by),
        )
        .order_by(PlanAction.plan_id, PlanAction.number, Amendment.id)
    ).scalars()
    return [
        ReportAmendment(
            action=_plan_action_label(a.plan_action),
            kind=a.kind.label if a.kind else "",
            text=(a.text or "").strip(),
            proposed_by=a.proposed_by.full_name if a.proposed_by else "",
            status=a.status.label if a.status else "",
        )
        for a in amendments
    ]


def build_report(meeting: Meeting) -> MinutesReport:
    start = meeting.local_start
    lists = attendance_lists(meeting)
    report = MinutesReport(
        meeting_id=meeting.id,
        kind=meeting.kind.label if meeting.kind else MeetingKind.other.label,
        group=str(meeting.group) if meeting.group else "",
        date=short_date(start),
        author=meeting.author.full_name if meeting.author else "",
        objective=(meeting.objective or "").strip(),
        context=(meeting.context or "").strip(),
        exchanges=(meeting.exchanges or "").strip(),
        place=meeting.place or "",
        time=meeting_time(meeting),
        documents_url=_web_link(meeting.documents_url),
        documents_label=(meeting.documents_label or "").strip(),
        cancelled=meeting.status == MeetingStatus.cancelled,
    )
    for status, target in (
        (AttendanceStatus.present, report.present),
        (AttendanceStatus.excused, report.excused),
    ):
        target.extend(ReportPerson(a.member.full_name, a.guest) for a in lists[status])
    report.decisions = [
        ReportItem(d.text.strip(), _deadline(d.asap, d.due_on))
        for d in meeting.decisions
    ]
    report.actions = [
        ReportItem(
            a.title,
            _deadline(a.asap, a.due_on),
            owner=a.owner.full_name if a.owner else "",
            status=a.status.label if a.status else "",
        )
        for a in meeting_actions(meeting)
    ]
    report.documents = meeting_documents(meeting)
    report.amendments = meeting_amendments(meeting)
    nxt = meeting.next_meeting
    if nxt is not None:
        report.next_meeting = NextMeeting(
            date=long_date(nxt.local_start),
            time=TIME_UNKNOWN if nxt.time_unknown else hour(nxt.local_start),
            place=nxt.place or "",
            # The next meeting's own link, else this meeting's: name and address
            # taken together from the same meeting.
            **_documents_link(nxt if _has_link(nxt) else meeting),
        )
    return report


def _has_link(meeting: Meeting) -> bool:
    return bool(
        _web_link(meeting.documents_url) or (meeting.documents_label or "").strip()
    )


def _documents_link(meeting: Meeting) -> dict[str, str]:
    return {
        "documents_url": _web_link(meeting.documents_url),
        "documents_label": (meeting.documents_label or "").strip(),
    }


def _web_link(url: str | None) -> str:
    """The link if it is a web address; a value stored before links were checked
    (``javascript:``...) is left out of the minutes and their ODT."""
    return url if is_web_link(url) else ""


def _item_line(item: ReportItem) -> str:
    line = item.text
    if item.owner:
        line += f" — responsable : {item.owner}"
    line += f" — échéance : {item.deadline}"
    return line


def to_markdown(report: MinutesReport) -> str:
    """The compte rendu as a Markdown document (same sections as the page)."""
    out: list[str] = [f"# {report.kind}", ""]
    if report.group:
        out += [f"## {report.group}", ""]
    out += [f"**Date :** {report.when}", ""]
    if report.cancelled:
        out += [f"**{report.CANCELLED}**", ""]
    if report.author:
        out += [f"**Rédaction :** {report.author}", ""]
    out += ["## Participants", ""]
    out += [f"**Présents :** {', '.join(map(str, report.present)) or '—'}", ""]
    out += [f"**Excusés :** {', '.join(map(str, report.excused)) or '—'}", ""]
    out += ["## Éléments de contexte, déroulement et décisions", ""]
    out += [f"**Objectif de la réunion :** {report.objective or '—'}", ""]
    if report.context:
        out += ["### Éléments de contexte", "", report.context, ""]
    out += ["### Échanges et informations", "", report.exchanges or "—", ""]
    out += _markdown_documents(report)
    out += ["### Décisions", ""]
    out += [f"- {d.text}, délai : {d.deadline}" for d in report.decisions] or ["—"]
    out += ["", "### Actions à venir", ""]
    out += [f"- {_item_line(a)}" for a in report.actions] or ["—"]
    out += ["", "## Prochaine réunion", ""]
    nxt = report.next_meeting
    if nxt is None:
        out += ["Non fixée.", ""]
    else:
        out += [f"**Dates, horaires et lieu :** {nxt.when_where}", ""]
        if nxt.documents_url and nxt.documents_label:
            link = f"[{nxt.documents_label}](<{nxt.documents_url}>) (<{nxt.documents_url}>)"
            out += [f"**Lien documents :** {link}", ""]
        elif nxt.documents_url or nxt.documents_label:
            link = (
                f"<{nxt.documents_url}>" if nxt.documents_url else nxt.documents_label
            )
            out += [f"**Lien documents :** {link}", ""]
    return "\n".join(out).rstrip() + "\n"


def _quoted(text: str) -> list[str]:
    """Markdown lines of a quotation (every line, blank ones too, behind "> ")."""
    return [f"> {line}".rstrip() for line in text.splitlines()]


def _markdown_documents(report: MinutesReport) -> list[str]:
    out: list[str] = []
    if report.documents:
        out += ["#### Documents", ""]
        out += [f"- {d.line}" for d in report.documents]
        out += [""]
    for d in report.quoted_documents:
        out += [f"**{d.title}**{f' — {d.author}' if d.author else ''} :", ""]
        out += [*_quoted(d.quote), ""]
    if report.amendments:
        out += ["#### Amendements examinés", ""]
        out += [f"- {a.line}" for a in report.amendments]
        out += [""]
    return out
