"""Parsing of imported cells into typed values, with French error messages."""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from app.exports.readers import normalise_header
from app.exports.spreadsheets import FORMULA_TRIGGERS
from app.normalisers import is_blank

TRUE_WORDS = {"oui", "o", "vrai", "yes", "y", "true", "1", "x"}
FALSE_WORDS = {"non", "n", "faux", "no", "false", "0"}


def as_text(value) -> str | None:
    """A cell as stripped text; the apostrophe our CSV exports add is removed."""
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value)
    # A CSV export writes "'=..." so that spreadsheets do not run the cell; read
    # back, the value is the text as it was typed.
    if text[:1] == "'" and text[1:2] in FORMULA_TRIGGERS and len(text) > 1:
        text = text[1:]
    text = text.strip()
    # Spaces and zero-width characters only: empty (a required name is missing).
    return None if is_blank(text) else text


def parse_date(value) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip()
    for fmt in ("%Y-%m-%d", "%d/%m/%Y", "%d/%m/%y", "%d-%m-%Y", "%d.%m.%Y"):
        try:
            return datetime.strptime(
                text[:10] if fmt == "%Y-%m-%d" else text, fmt
            ).date()
        except ValueError:
            continue
    raise ValueError(f"Date invalide « {text} » (attendu : JJ/MM/AAAA ou AAAA-MM-JJ).")


def parse_decimal(value) -> Decimal | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValueError("Nombre attendu.")
    if isinstance(value, int | Decimal):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(str(value))
    text = str(value).strip().replace("\u202f", "").replace("\xa0", "").replace(" ", "")
    text = text.replace("€", "")
    if "," in text and "." in text:
        text = text.replace(".", "").replace(",", ".")  # 1.234,56
    else:
        text = text.replace(",", ".")
    try:
        number = Decimal(text)
    except InvalidOperation as exc:
        raise ValueError(f"Nombre invalide « {value} ».") from exc
    if not number.is_finite():
        raise ValueError(f"Nombre invalide « {value} ».")
    return number


def parse_int(value) -> int | None:
    number = parse_decimal(value)
    if number is None:
        return None
    if number != number.to_integral_value():
        raise ValueError(f"Nombre entier attendu, pas « {value} ».")
    return int(number)


def parse_bool(value) -> bool | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return value
    word = normalise_header(value)
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ValueError(f"Valeur « {value} » non comprise (attendu : Oui ou Non).")


def enum_parser(enum_cls: type[enum.Enum]):
    """Accept the French label or the stored code, ignoring case and accents."""
    lookup = {}
    for member in enum_cls:
        lookup[normalise_header(member.name)] = member
        lookup[normalise_header(member.value)] = member
        # "Présent·e" is also typed "présent" or "présente".
        base = str(member.value).split("·")[0]
        lookup.setdefault(normalise_header(base), member)
    choices = ", ".join(str(m.value) for m in enum_cls)

    def parse(value):
        if value is None or value == "":
            return None
        key = normalise_header(value)
        found = lookup.get(key)
        if found is None and key.endswith("e"):
            found = lookup.get(key[:-1])
        if found is None:
            raise ValueError(
                f"Valeur « {value} » inconnue (valeurs possibles : {choices})."
            )
        return found

    return parse
