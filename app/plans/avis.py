"""The avis's closing part, generated from a working group's retained amendments:

    En conséquence le CDPL suggère les amendements suivants :
    1) Compléter l'intitulé de l'action 7 comme suit : …
    2) Remplacer l'intitulé de l'action 12 par …

as Markdown and as an OpenDocument text (odfpy).
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa

from app.extensions import db
from app.models import Meeting
from app.models.plans import Amendment, AmendmentKind, Plan, PlanAction
from app.plans.circuit import RETAINED
from app.plans.money import format_euros


@dataclass
class Avis:
    plan: Plan
    org: str
    group: str | None
    intro: str
    items: list[str] = field(default_factory=list)
    made_on: date = field(default_factory=date.today)

    @property
    def title(self) -> str:
        name = self.plan.short_name or self.plan.name
        return (
            f"Avis du {self.org} sur le {self.plan.name} — amendements" if name else ""
        )

    @property
    def lines(self) -> list[str]:
        """The numbered sentences: "1) Compléter l'intitulé …"."""
        return [f"{i}) {text}" for i, text in enumerate(self.items, start=1)]

    @property
    def filename(self) -> str:
        short = (self.plan.short_name or f"plan-{self.plan.id}").lower()
        return f"avis-amendements-{short}".replace(" ", "-")


def _sentence(text: str) -> str:
    text = " ".join((text or "").split())
    return text if not text or text[-1] in ".!?…" else text + "."


def _lower_first(text: str) -> str:
    """ "Recenser les …" → "recenser les …" (not "STN" → "sTN")."""
    if len(text) > 1 and text[0].isupper() and text[1].islower():
        return text[0].lower() + text[1:]
    return text


def amendment_sentence(amendment: Amendment, number: int, current_budget=None) -> str:
    """One amendment in the council's words."""
    text = (amendment.text or "").strip()
    kind = amendment.kind
    if kind == AmendmentKind.complete:
        out = f"Compléter l'intitulé de l'action {number} comme suit : {text}"
    elif kind == AmendmentKind.replace:
        out = f"Remplacer l'intitulé de l'action {number} par {_lower_first(text)}"
    elif kind == AmendmentKind.add:
        out = f"Ajouter à l'intitulé de l'action {number} : {text}"
    elif text:
        out = f"Supprimer de l'intitulé de l'action {number} les mots « {text} »"
    else:
        out = f"Supprimer l'action {number}"
    out = _sentence(out)
    if amendment.proposed_budget is not None:
        if current_budget is not None:
            out += (
                f" Porter son budget de {format_euros(current_budget)} à "
                f"{format_euros(amendment.proposed_budget)}."
            )
        else:
            out += (
                f" Lui affecter un budget de {format_euros(amendment.proposed_budget)}."
            )
    return out


def retained_amendments(plan: Plan, group_id: int | None = None) -> list[Amendment]:
    """The plan's amendments retained by the group (or later accepted / sent),
    in action number order; ``group_id`` keeps those examined in its meetings."""
    stmt = (
        sa.select(Amendment)
        .join(PlanAction, PlanAction.id == Amendment.plan_action_id)
        .where(PlanAction.plan_id == plan.id, Amendment.status.in_(RETAINED))
        .options(sa.orm.contains_eager(Amendment.plan_action))
        .order_by(PlanAction.number, Amendment.id)
    )
    if group_id is not None:
        stmt = stmt.join(Meeting, Meeting.id == Amendment.meeting_id).where(
            Meeting.group_id == group_id
        )
    return list(db.session.execute(stmt).scalars())


def build_avis(
    plan: Plan, org: str = "CDPL", group_id: int | None = None, group: str | None = None
) -> Avis:
    """The amendment list of the avis on ``plan``."""
    items = [
        amendment_sentence(a, a.plan_action.number, a.plan_action.budget)
        for a in retained_amendments(plan, group_id)
    ]
    intro = f"En conséquence le {org} suggère les amendements suivants :"
    return Avis(plan=plan, org=org, group=group, intro=intro, items=items)


def to_markdown(avis: Avis) -> str:
    """Markdown: the intro then one numbered line per amendment."""
    if not avis.items:
        return f"{avis.intro}\n\nAucun amendement retenu.\n"
    # "1)" numbering is a CommonMark ordered list and reads as the council writes.
    return avis.intro + "\n\n" + "\n".join(avis.lines) + "\n"


def to_odt(avis: Avis) -> bytes:
    """The same text as an ODT, one paragraph per amendment (the numbers are part
    of the text so the wording survives any restyling)."""
    # odfpy is heavy (XML machinery); loaded only when an ODT is asked for.
    from odf import dc
    from odf.opendocument import OpenDocumentText
    from odf.style import ParagraphProperties, Style, TextProperties
    from odf.text import H, P

    # Loaded with odfpy: app.meetings.odt imports it at its top.
    from app.meetings.odt import add_text, one_line

    doc = OpenDocumentText()
    body = Style(name="Text_20_body", displayname="Text body", family="paragraph")
    body.addElement(ParagraphProperties(marginbottom="0.25cm"))
    body.addElement(
        TextProperties(
            fontsize="11pt", fontname="Liberation Sans", language="fr", country="FR"
        )
    )
    doc.styles.addElement(body)
    heading = Style(
        name="Heading_20_2",
        displayname="Heading 2",
        family="paragraph",
        parentstylename=body,
        defaultoutlinelevel="2",
    )
    heading.addElement(TextProperties(fontsize="14pt", fontweight="bold"))
    doc.styles.addElement(heading)
    doc.meta.addElement(dc.Title(text=one_line(avis.title)))
    doc.meta.addElement(dc.Language(text="fr-FR"))
    title = H(outlinelevel=2, stylename=heading)
    add_text(title, avis.title)
    doc.text.addElement(title)
    # Amendment texts may hold control characters stored before forms refused
    # them (Word's soft line break): add_text keeps the file valid XML.
    for text in [avis.intro, *(avis.lines or ["Aucun amendement retenu."])]:
        p = P(stylename=body)
        add_text(p, text)
        doc.text.addElement(p)
    out = io.BytesIO()
    doc.write(out)
    return out.getvalue()
