"""Form fields of the plan screens: euros and percentages typed the French way.

Both are French decimal text boxes (``FrenchDecimalField``) that read and show
their value with the plans' own money and percentage rules.
"""

from __future__ import annotations

from decimal import Decimal

from app.admin.fields import FrenchDecimalField
from app.plans.money import format_number, parse_euros, parse_percent


class EurosField(FrenchDecimalField):
    """A budget typed as "150 000 €", "150000", "30 k€" or "1,5 M€"."""

    def parse(self, text: str) -> Decimal | None:
        return parse_euros(text)

    def shown(self, value: Decimal) -> str:
        return format_number(value, 2 if value % 1 else 0)


class PercentField(FrenchDecimalField):
    """A percentage typed as "25", "25 %" or "12,5 %"."""

    def parse(self, text: str) -> Decimal | None:
        return parse_percent(text)

    def shown(self, value: Decimal) -> str:
        return format_number(value, 2)
