"""Field normalisers shared by forms and imports: e-mail addresses, phone numbers,
text free of control characters, web links, decimals a column can hold.

They sit below both layers (a screen's validator and an import's row check call the
same function), so they import nothing of the application.
"""

from __future__ import annotations

import re
import unicodedata
from decimal import ROUND_HALF_UP, Decimal, localcontext
from urllib.parse import urlsplit

#: Scripts whose letters look like Latin ones (Cyrillic "о" and Latin "o").
LOOKALIKE_SCRIPTS = ("LATIN", "CYRILLIC", "GREEK")


def mixed_scripts(text: str) -> bool:
    """True if ``text`` has letters of two look-alike scripts (``sоlenn`` with a
    Cyrillic "о"): two such addresses look the same and are distinct."""
    scripts = set()
    for char in text:
        if char.isalpha():
            name = unicodedata.name(char, "")
            scripts |= {s for s in LOOKALIKE_SCRIPTS if name.startswith(s)}
    return len(scripts) > 1


def normalise_email(raw: str | None) -> str | None:
    """Validate an e-mail address; return it lower-cased, or raise ValueError (French).

    Addresses mixing Latin with Cyrillic or Greek letters are refused: they pass
    for another person's address.
    """
    if raw is None or not raw.strip():
        return None
    if mixed_scripts(raw):
        raise ValueError(
            "Adresse électronique mêlant des alphabets différents (lettres "
            "cyrilliques ou grecques semblables aux lettres latines) : retapez-la."
        )
    # email-validator and phonenumbers (~1.6 MB resident with their tables) are
    # loaded by the first address or number checked, not at start-up: pages
    # that only read never need them (lists take display_phone's fast path).
    from email_validator import EmailNotValidError, validate_email

    try:
        result = validate_email(raw.strip(), check_deliverability=False)
    except EmailNotValidError as exc:
        raise ValueError(
            "Adresse électronique invalide (exemple : prenom.nom@exemple.fr)."
        ) from exc
    return result.normalized.lower()


def normalise_phone(raw: str | None, region: str = "FR") -> str | None:
    """Parse a phone number (French by default) and return it in E.164 form."""
    if raw is None or not raw.strip():
        return None
    # Loaded where used (see normalise_email).
    import phonenumbers

    try:
        number = phonenumbers.parse(raw.strip(), region)
    except phonenumbers.NumberParseException as exc:
        raise ValueError(
            "Numéro de téléphone invalide (exemple : 02 97 00 00 00)."
        ) from exc
    if not phonenumbers.is_valid_number(number):
        raise ValueError("Numéro de téléphone invalide (exemple : 02 97 00 00 00).")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def display_phone(value: str | None) -> str:
    """Show an E.164 number in national format for French numbers."""
    if not value:
        return ""
    if len(value) == 12 and value.startswith("+33") and value[3:].isdigit():
        # Fast path for the usual case (lists show 50 of them per page): the
        # national format of a French number is 0X XX XX XX XX.
        digits = "0" + value[3:]
        return " ".join(digits[i : i + 2] for i in range(0, 10, 2))
    # Loaded where used (see normalise_email).
    import phonenumbers

    try:
        number = phonenumbers.parse(value, "FR")
    except phonenumbers.NumberParseException:
        return value
    if number.country_code == 33:
        return phonenumbers.format_number(
            number, phonenumbers.PhoneNumberFormat.NATIONAL
        )
    return phonenumbers.format_number(
        number, phonenumbers.PhoneNumberFormat.INTERNATIONAL
    )


#: C0 and C1 control characters but tab, newline and carriage return (browsers send
#: CRLF), and DEL: XML 1.0 (XLSX, ODS, ODT) cannot hold them, calendars fold on them.
CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
#: Characters that print nothing: a name made of them only looks empty.
INVISIBLE_CHARS = re.compile(
    r"[\u00ad\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]"
)
CONTROL_MESSAGE = (
    "Ce texte contient des caractères de contrôle invisibles (saut de ligne "
    "manuel de Word, par exemple) : retapez-le ou collez-le sans mise en forme."
)


def has_control_chars(text: str | None) -> bool:
    """True if ``text`` holds a character no export or feed can carry."""
    return bool(text) and CONTROL_CHARS.search(text) is not None


def without_control_chars(text: str | None) -> str | None:
    """``text`` with those characters replaced by a space (for values stored
    before they were refused: an export must still be written)."""
    if not text:
        return text
    return CONTROL_CHARS.sub(" ", text)


#: Word's manual line break (Maj+Entrée), pasted as a vertical tab.
SOFT_BREAK = "\x0b"


def soft_lines(text: str | None) -> list[str]:
    """``text`` cut at Word's soft line breaks, every other control character
    dropped: the lines a document paragraph shows (XML 1.0, hence ODT and ODS,
    cannot hold the characters themselves)."""
    return [CONTROL_CHARS.sub("", part) for part in (text or "").split(SOFT_BREAK)]


def is_blank(text: str | None) -> bool:
    """Empty once white space and invisible characters (zero-width space...) go."""
    return not INVISIBLE_CHARS.sub("", text or "").strip()


def is_web_link(text: str | None) -> bool:
    """An ``http`` or ``https`` address with a host, nothing else (no
    ``javascript:``, ``data:``, control characters or spaces)."""
    if not text or CONTROL_CHARS.search(text) or re.search(r"\s", text):
        return False
    try:
        parts = urlsplit(text)
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.hostname)


def fit_integer(value: int, bits: int = 32) -> int:
    """``value`` if a signed integer column of ``bits`` holds it, else
    ``ValueError`` (French): PostgreSQL refuses 10**29, SQLite overflows."""
    top = 2 ** (bits - 1) - 1
    if not -top <= value <= top:
        raise ValueError(f"Nombre trop grand (au plus {top:,}).".replace(",", " "))
    return value


NOT_FINITE_MESSAGE = "Saisissez un nombre (par exemple 1500,50)."


def fit_decimal(
    value: Decimal, precision: int | None, scale: int | None, *, round_extra=False
) -> Decimal:
    """``value`` as a ``Numeric(precision, scale)`` column holds it, or
    ``ValueError`` (French): not finite (``NaN``, ``Infinity``), more digits
    before the point than the column has (``1e30``), or more decimals than its
    scale — refused, or with ``round_extra`` rounded half away from zero as
    PostgreSQL rounds (the float artefacts of a spreadsheet, 0.30000000000000004).
    """
    if not value.is_finite():
        raise ValueError(NOT_FINITE_MESSAGE)
    if precision is None:
        return value
    places = scale or 0
    digits = precision - places
    # Checked before quantize: 1e30 to four places has more digits than the
    # decimal context allows.
    if value and value.adjusted() >= digits:
        raise ValueError(f"Nombre trop grand (au plus {'9' * digits}).")
    with localcontext() as context:
        context.prec = max(context.prec, precision + 1)
        rounded = value.quantize(Decimal(1).scaleb(-places), ROUND_HALF_UP)
    if rounded != value:
        if not round_extra:
            raise ValueError(f"{places} décimale(s) au plus.")
        if rounded and rounded.adjusted() >= digits:  # 99.995 rounds to 100.00
            raise ValueError(f"Nombre trop grand (au plus {'9' * digits}).")
    return rounded
