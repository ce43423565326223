"""What a person typed, turned into words and phrases that are safe to search.

Nothing typed reaches the database as query syntax: FTS5 and tsquery operators
(``"``, ``*``, ``-``, ``:``, parentheses, NEAR, AND, OR...) are separators or
plain words here, and each word is made of letters and digits only. The
database-specific expressions are built from these parts in
``app.search.matching``.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

#: Longer input is cut (a search box, not a document).
MAX_CHARS = 200
#: Words searched at most; the rest are ignored (and the person told).
MAX_TERMS = 8
#: Shortest word searched, except numbers ("action 7").
MIN_WORD = 2

#: A word: letters and digits (the underscore, \w's odd one out, separates).
_WORD = re.compile(r"[^\W_]+")
#: A phrase in straight, French or curly quotes.
_PHRASE = re.compile(r"[\"«“„]([^\"«»“”„]*)[\"»”]")
#: "action 12", "action n° 12", "n°12", "12": a plan action by its number.
_NUMBER = re.compile(r"^\s*(?:action\s*)?(?:n\s*[°o]\s*)?(\d{1,6})\s*$", re.I)


@dataclass
class Query:
    """A parsed search: every word and every phrase is required."""

    text: str = ""
    #: Words (letters and digits), searched as prefixes; numbers exactly.
    words: list[str] = field(default_factory=list)
    #: Phrases: their words, in order and next to each other.
    phrases: list[list[str]] = field(default_factory=list)
    #: The number of "action 12" or "12", looked up in plan action numbers.
    number: int | None = None
    #: French explanation when the input was cut, ignored or too short.
    hint: str | None = None

    @property
    def empty(self) -> bool:
        return not self.words and not self.phrases

    def terms(self) -> list[str]:
        """Every word, phrase words included (for highlighting extracts)."""
        return [*self.words, *(w for phrase in self.phrases for w in phrase)]

    def parts(self) -> list[Query]:
        """One query per word or phrase (list searches spanning two records)."""
        out = [Query(text=w, words=[w]) for w in self.words]
        out += [Query(text=" ".join(p), phrases=[p]) for p in self.phrases]
        return out


def clean(text: str | None) -> str:
    """Input as a search sees it: NFC, no control characters (NUL...), cut."""
    text = unicodedata.normalize("NFC", text or "")
    text = "".join(
        " " if unicodedata.category(ch)[0] in "CZ" and ch != " " else ch for ch in text
    )
    return text.strip()


def is_number(word: str) -> bool:
    return word.isascii() and word.isdigit()


def parse(text: str | None) -> Query:
    """Words and quoted phrases of ``text``; never raises."""
    raw = clean(text)
    hints = []
    if len(raw) > MAX_CHARS:
        raw = raw[:MAX_CHARS]
        hints.append(
            f"La recherche a été limitée à ses {MAX_CHARS} premiers caractères."
        )
    query = Query(text=raw)
    match = _NUMBER.match(raw)
    if match:
        query.number = int(match.group(1))
    rest = raw
    for found in _PHRASE.finditer(raw):
        words = [w.casefold() for w in _WORD.findall(found.group(1))]
        if len(words) > 1:
            query.phrases.append(words)
        elif words:
            query.words.append(words[0])
        rest = rest.replace(found.group(0), " ", 1)
    short = False
    for word in _WORD.findall(rest):
        word = word.casefold()
        if len(word) < MIN_WORD and not is_number(word):
            short = True
            continue
        if word not in query.words:
            query.words.append(word)
    count = len(query.words) + sum(len(p) for p in query.phrases)
    if count > MAX_TERMS:
        hints.append(f"Seuls les {MAX_TERMS} premiers mots ont été cherchés.")
        query.words = query.words[: max(MAX_TERMS - len(query.phrases), 0)]
        query.phrases = query.phrases[:MAX_TERMS]
    if query.empty:
        if raw and short:
            hints.append("Tapez au moins deux lettres (ou un numéro).")
        elif raw:
            hints.append(
                "Aucun mot à chercher : tapez des lettres ou des chiffres "
                "(les signes de ponctuation sont ignorés)."
            )
    query.hint = " ".join(hints) or None
    return query


def fold(text: str) -> str:
    """Lower case without accents, one character per character of ``text``
    (so that positions found in the folded text are positions in ``text``)."""
    out = []
    for ch in text:
        base = unicodedata.normalize("NFKD", ch)
        base = "".join(c for c in base if not unicodedata.combining(c))
        folded = base.casefold()
        out.append(folded[0] if len(folded) == 1 else ch.lower()[:1] or " ")
    return "".join(out)
