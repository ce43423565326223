"""Euros and percentages the French way (issue 16): imports and screens share them."""

from __future__ import annotations

from decimal import Decimal

import pytest

from app.plans.money import (
    NNBSP,
    amount_of_share,
    format_euros,
    format_percent,
    parse_euros,
    parse_percent,
    share_of,
)


@pytest.mark.parametrize(
    ("typed", "amount"),
    [
        ("150 000 €", Decimal("150000")),
        ("150\u202f000\u00a0€", Decimal("150000")),
        ("30 k€", Decimal("30000")),
        ("150 K€", Decimal("150000")),
        ("1,5 M€", Decimal("1500000")),
        ("150000", Decimal("150000")),
        ("150.000", Decimal("150000")),
        ("1.234,56 €", Decimal("1234.56")),
        ("12,5", Decimal("12.5")),
        ("30 000 € HT", Decimal("30000")),
        (150000, Decimal("150000")),
        (30000.0, Decimal("30000")),
        ("", None),
        (None, None),
    ],
)
def test_french_amounts_are_read(typed, amount):
    assert parse_euros(typed) == amount


@pytest.mark.parametrize("typed", ["abc", "12 pommes", "€", "1,2,3 k€x", True])
def test_unreadable_amounts_give_a_french_message(typed):
    with pytest.raises(ValueError, match="Montant"):
        parse_euros(typed)


def test_amounts_and_shares_are_written_the_french_way():
    assert format_euros(Decimal("150000")) == f"150{NNBSP}000{NNBSP}€"
    assert format_euros(Decimal("1234.5")) == f"1{NNBSP}234,50{NNBSP}€"
    assert format_euros(Decimal("-105000"), signed=True) == f"−105{NNBSP}000{NNBSP}€"
    assert format_euros(Decimal("5000"), signed=True) == f"+5{NNBSP}000{NNBSP}€"
    assert format_euros(None) == ""
    assert format_percent(Decimal("25")) == f"25{NNBSP}%"
    assert format_percent(Decimal("83.333")) == f"83,3{NNBSP}%"


def test_percentages_are_read():
    assert parse_percent("25 %") == Decimal("25")
    assert parse_percent("12,5") == Decimal("12.5")
    assert parse_percent("") is None
    with pytest.raises(ValueError, match="Pourcentage invalide"):
        parse_percent("25 k€")


def test_a_share_of_a_zero_total_is_unknown_not_a_division_error():
    assert share_of(Decimal("150000"), Decimal("180000")) == Decimal("83.33")
    assert share_of(Decimal("0"), Decimal("0")) is None
    assert share_of(None, Decimal("10")) is None
    assert amount_of_share(Decimal("25"), Decimal("180000")) == Decimal("45000.00")
    assert amount_of_share(Decimal("25"), None) is None
