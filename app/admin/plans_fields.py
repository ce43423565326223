"""Form fields of the plan screens: euros and percentages typed the French way."""

from __future__ import annotations

from decimal import Decimal

from wtforms import DecimalField
from wtforms.widgets import TextInput

from app.plans.money import format_number, parse_euros, parse_percent


class EurosField(DecimalField):
    """A budget typed as "150 000 €", "150000", "30 k€" or "1,5 M€".

    A text box, not WTForms' ``type="number"`` (which refuses spaces, "€" and "k"
    in the browser), with the numeric keyboard on phones.
    """

    widget = TextInput()

    def __init__(self, *args, render_kw=None, **kwargs):
        render_kw = {"inputmode": "decimal", "autocomplete": "off", **(render_kw or {})}
        super().__init__(*args, render_kw=render_kw, **kwargs)

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        if self.data is None:
            return ""
        return format_number(Decimal(self.data), 2 if self.data % 1 else 0)

    def process_formdata(self, valuelist) -> None:
        if not valuelist:
            return
        try:
            self.data = parse_euros(valuelist[0])
        except ValueError as exc:
            self.data = None
            raise ValueError(str(exc)) from exc


class PercentField(DecimalField):
    """A percentage typed as "25", "25 %" or "12,5 %" (a text box, see EurosField)."""

    widget = TextInput()

    def __init__(self, *args, render_kw=None, **kwargs):
        render_kw = {"inputmode": "decimal", "autocomplete": "off", **(render_kw or {})}
        super().__init__(*args, render_kw=render_kw, **kwargs)

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        if self.data is None:
            return ""
        return format_number(Decimal(self.data), 2)

    def process_formdata(self, valuelist) -> None:
        if not valuelist:
            return
        try:
            self.data = parse_percent(valuelist[0])
        except ValueError as exc:
            self.data = None
            raise ValueError(str(exc)) from exc
