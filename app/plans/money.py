"""Euros and percentages written the French way, in both directions.

The plans' own spreadsheets write budgets as "150 000 €", "150 K€", "30 k€" or
"1,5 M€"; the pages show them as "150 000 €" (narrow no-break space between
thousands, as in French typography).
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

NNBSP = "\u202f"
#: Multipliers of the suffixes people type after an amount ("30 k€", "1,5 M€").
SCALES = {"": 1, "k": 1_000, "m": 1_000_000, "md": 1_000_000_000}
_AMOUNT = re.compile(
    r"^(?P<sign>[-+−]?)(?P<number>[0-9][0-9 .,]*)\s*(?P<scale>k|m|md|mds)?\s*"
    r"(?:€|eur|euros?)?(?:\s*(?:ht|ttc))?$"
)


def parse_euros(value) -> Decimal | None:
    """An amount in euros from a cell or a form: "150 000 €", "30 k€", "1,5 M€".

    Numbers pass through; an empty value gives None; anything else raises
    ``ValueError`` with a French message.
    """
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueError("Montant attendu.")
    if isinstance(value, int | Decimal):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(str(value))
    raw = str(value)
    text = raw.replace(NNBSP, " ").replace("\xa0", " ").strip().casefold()
    if not text:
        return None
    text = re.sub(r"\s+", " ", text)
    match = _AMOUNT.match(text)
    if match is None:
        raise ValueError(
            f"Montant invalide « {raw.strip()} » (exemples : 150 000 €, 30 k€)."
        )
    number = match["number"].replace(" ", "").rstrip(".,")
    if "," in number and "." in number:
        number = number.replace(".", "").replace(",", ".")  # 1.234,56
    elif number.count(".") > 1 or re.fullmatch(r"\d{1,3}(\.\d{3})+", number):
        number = number.replace(".", "")  # 150.000 written with dots
    else:
        number = number.replace(",", ".")
    try:
        amount = Decimal(number)
    except InvalidOperation as exc:
        raise ValueError(
            f"Montant invalide « {raw.strip()} » (exemples : 150 000 €, 30 k€)."
        ) from exc
    scale = SCALES[(match["scale"] or "").rstrip("s")]
    amount *= scale
    if match["sign"] in ("-", "−"):
        amount = -amount
    return amount


def _group(digits: str) -> str:
    parts = []
    while len(digits) > 3:
        parts.insert(0, digits[-3:])
        digits = digits[:-3]
    parts.insert(0, digits)
    return NNBSP.join(parts)


def format_number(value: Decimal | int | float | None, places: int = 0) -> str:
    """A number in French form: "150 000", "12,5" (empty for None)."""
    if value is None:
        return ""
    value = Decimal(str(value)) if isinstance(value, float) else Decimal(value)
    quantum = Decimal(1).scaleb(-places)
    rounded = value.quantize(quantum, rounding=ROUND_HALF_UP)
    sign = "−" if rounded < 0 else ""
    text = f"{abs(rounded):f}"
    whole, _, frac = text.partition(".")
    out = sign + _group(whole)
    if frac and frac.strip("0"):
        out += "," + frac.rstrip("0") if places else ""
    return out


def format_euros(value: Decimal | int | None, signed: bool = False) -> str:
    """ "150 000 €" (cents shown only when there are some); empty for None."""
    if value is None:
        return ""
    value = Decimal(value)
    places = 0 if value == value.to_integral_value() else 2
    text = format_number(value, places)
    if places:
        whole, _, frac = text.partition(",")
        text = f"{whole},{frac.ljust(2, '0')}"
    if signed and value > 0:
        text = "+" + text
    return f"{text}{NNBSP}€"


def format_percent(value: Decimal | float | None, places: int = 1) -> str:
    """ "25 %", "12,5 %" (French spacing); empty for None."""
    if value is None:
        return ""
    return f"{format_number(Decimal(str(value)), places)}{NNBSP}%"


def share_of(part: Decimal | None, total: Decimal | None) -> Decimal | None:
    """Percentage of ``part`` in ``total``; None when either is missing or the
    total is zero (a plan without budgets has no shares, never a division error)."""
    if part is None or total is None or total == 0:
        return None
    return (Decimal(part) * 100 / Decimal(total)).quantize(Decimal("0.01"))


def amount_of_share(share: Decimal | None, total: Decimal | None) -> Decimal | None:
    """Euros that ``share`` % of ``total`` represents (None when unknown)."""
    if share is None or total is None:
        return None
    return (Decimal(share) * Decimal(total) / 100).quantize(Decimal("0.01"))


_PERCENT = re.compile(r"^(?P<sign>[-+−]?)(?P<number>[0-9]+(?:[.,][0-9]+)?)\s*%?$")


def parse_percent(value) -> Decimal | None:
    """A percentage typed as "25", "25 %" or "12,5 %" (None when empty)."""
    if value is None:
        return None
    if isinstance(value, int | Decimal) and not isinstance(value, bool):
        return Decimal(value)
    raw = str(value)
    text = raw.replace(NNBSP, " ").replace("\xa0", " ").strip()
    if not text:
        return None
    match = _PERCENT.match(text)
    if match is None:
        raise ValueError(f"Pourcentage invalide « {raw.strip()} » (exemple : 25 %).")
    number = Decimal(match["number"].replace(",", "."))
    return -number if match["sign"] in ("-", "−") else number
