"""An amendment read against the text it changes: the title after the change and
the words added or removed, word by word (difflib)."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

from app.models.plans import AmendmentKind

#: Words, runs of spaces and single punctuation marks: the diff's units.
_TOKENS = re.compile(r"\s+|\w+(?:['’]\w+)*|[^\w\s]", re.UNICODE)
#: What people type to say "the current title, then…" ("… particulièrement").
_ELLIPSIS = re.compile(r"^\s*(?:…|\.\.\.)\s*")


@dataclass(frozen=True)
class Segment:
    """A piece of text: ``op`` is "equal", "insert" (added) or "delete" (removed)."""

    op: str
    text: str


@dataclass
class Reading:
    """What an amendment does to an action's title."""

    kind: AmendmentKind
    current: str
    proposed: str
    #: Current title with removed words marked (left column).
    before: list[Segment]
    #: Proposed title with added words marked (right column).
    after: list[Segment]
    #: Both in one text: removed then added words where they differ.
    inline: list[Segment]

    @property
    def unchanged(self) -> bool:
        return all(s.op == "equal" for s in self.inline)

    @property
    def side_by_side(self) -> bool:
        """Replacements read best in two columns; additions in one."""
        return self.kind in (AmendmentKind.replace, AmendmentKind.delete)


def proposed_title(kind: AmendmentKind, current: str, text: str) -> str:
    """The title once the amendment is applied.

    - compléter: the text is the completed title ("Compléter l'intitulé … comme
      suit : …"); a text starting with "…" is added after the current title;
    - remplacer: the text is the new title;
    - ajouter: the text is added after the current title;
    - supprimer: the text is the words taken out (empty: the whole action).
    """
    current = (current or "").strip()
    text = (text or "").strip()
    if kind == AmendmentKind.replace:
        return text
    if kind == AmendmentKind.delete:
        if not text:
            return ""
        index = current.casefold().find(text.casefold())
        if index < 0:
            return current
        rest = current[:index] + current[index + len(text) :]
        return " ".join(rest.split()).replace(" ,", ",").replace(" .", ".")
    if kind == AmendmentKind.complete and not _ELLIPSIS.match(text):
        return text or current
    addition = _ELLIPSIS.sub("", text)
    if not addition:
        return current
    joiner = "" if addition[0] in ",.;:" else " "
    return f"{current}{joiner}{addition}" if current else addition


def _tokens(text: str) -> list[str]:
    return _TOKENS.findall(text)


def _merge(segments: list[Segment]) -> list[Segment]:
    out: list[Segment] = []
    for seg in segments:
        if not seg.text:
            continue
        if out and out[-1].op == seg.op:
            out[-1] = Segment(seg.op, out[-1].text + seg.text)
        else:
            out.append(seg)
    return out


def diff_words(
    old: str, new: str
) -> tuple[list[Segment], list[Segment], list[Segment]]:
    """Word diff of two texts: (old with deletions, new with insertions, inline).

    Words compare without case so that "recenser" matches "Recenser"; spaces
    between two changed words stay inside the change.
    """
    a, b = _tokens(old), _tokens(new)
    matcher = difflib.SequenceMatcher(
        None, [t.casefold() for t in a], [t.casefold() for t in b], autojunk=False
    )
    before: list[Segment] = []
    after: list[Segment] = []
    inline: list[Segment] = []
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        old_part, new_part = "".join(a[i1:i2]), "".join(b[j1:j2])
        if op == "equal":
            before.append(Segment("equal", old_part))
            after.append(Segment("equal", new_part))
            inline.append(Segment("equal", new_part))
            continue
        if old_part:
            before.append(Segment("delete", old_part))
            inline.append(Segment("delete", old_part))
        if new_part:
            after.append(Segment("insert", new_part))
            inline.append(Segment("insert", new_part))
    return _absorb_spaces(before), _absorb_spaces(after), _absorb_spaces(inline)


def _absorb_spaces(segments: list[Segment]) -> list[Segment]:
    """A lone space between two changes of the same kind joins them."""
    merged = _merge(segments)
    out: list[Segment] = []
    i = 0
    while i < len(merged):
        seg = merged[i]
        if (
            seg.op == "equal"
            and not seg.text.strip()
            and out
            and i + 1 < len(merged)
            and out[-1].op == merged[i + 1].op != "equal"
        ):
            out[-1] = Segment(out[-1].op, out[-1].text + seg.text)
            i += 1
            continue
        out.append(seg)
        i += 1
    return _merge(out)


def read_amendment(kind: AmendmentKind, current: str, text: str) -> Reading:
    """The amendment's reading: proposed title and the marked differences."""
    current = current or ""
    proposed = proposed_title(kind, current, text)
    before, after, inline = diff_words(current, proposed)
    return Reading(kind, current, proposed, before, after, inline)
