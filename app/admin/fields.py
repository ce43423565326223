"""Form fields and converters: French labels for enums, Paris time for timestamps."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation

import sqlalchemy as sa
from flask_admin.contrib.sqla import filters as sqla_filters
from flask_admin.contrib.sqla.filters import FilterConverter
from flask_admin.contrib.sqla.form import AdminModelConverter
from flask_admin.form import Select2Field
from flask_admin.form.fields import DateTimeField
from flask_admin.model import filters as model_filters
from flask_admin.model.form import converts
from wtforms import ValidationError
from wtforms.fields import DecimalField
from wtforms.validators import StopValidation
from wtforms.widgets import TextInput

from app.normalisers import (
    CONTROL_MESSAGE,
    fit_decimal,
    fit_integer,
    has_control_chars,
    is_blank,
    is_web_link,
    normalise_email,
    normalise_phone,
)
from app.timezone import PARIS


class ParisDateTimeField(DateTimeField):
    """Entered and shown in Europe/Paris time; handed to the model in UTC."""

    def __init__(self, label=None, validators=None, format=None, **kwargs):
        super().__init__(label, validators, format or "%Y-%m-%d %H:%M", **kwargs)

    def _value(self) -> str:
        if self.raw_data:
            return " ".join(self.raw_data)
        if isinstance(self.data, datetime):
            value = self.data
            if value.tzinfo is not None:
                value = value.astimezone(PARIS)
            return value.strftime(self.format[0])
        return ""

    def process_formdata(self, valuelist) -> None:
        if not valuelist or not " ".join(valuelist).strip():
            self.data = None
            return
        text = " ".join(valuelist).strip()
        for fmt in (
            *self.format,
            "%Y-%m-%d %H:%M:%S",
            "%Y-%m-%dT%H:%M",
            "%d/%m/%Y %H:%M",
        ):
            try:
                naive = datetime.strptime(text, fmt)
            except ValueError:
                continue
            self.data = naive.replace(tzinfo=PARIS).astimezone(UTC)
            return
        self.data = None
        raise ValueError(
            "Date et heure invalides : utilisez le format AAAA-MM-JJ HH:MM."
        )


#: Spaces people type or paste between thousands (space, no-break, narrow no-break).
_GROUPING = re.compile(r"[ \u00a0\u202f]")
DECIMAL_MESSAGE = "Nombre invalide : écrivez par exemple 4,5 ou 1250."


def parse_french_decimal(text: str) -> Decimal:
    """ "4,5", "4.5" and "1 250,75" as Decimal; ValueError (French) otherwise.

    A comma and a point together ("1,250.5") are refused rather than guessed.
    """
    cleaned = _GROUPING.sub("", text.strip())
    if "," in cleaned and "." in cleaned or cleaned.count(",") > 1:
        raise ValueError(DECIMAL_MESSAGE)
    try:
        value = Decimal(cleaned.replace(",", "."))
    except InvalidOperation:
        raise ValueError(DECIMAL_MESSAGE) from None
    if not value.is_finite():
        raise ValueError(DECIMAL_MESSAGE)
    return value


class FrenchDecimalField(DecimalField):
    """A decimal typed with a comma or a point, whatever the browser's language.

    A text input (``inputmode="decimal"``): an ``<input type="number">`` in an
    English-language browser turned "4,5" into 45 before the server saw it.
    """

    widget = TextInput()

    def __init__(self, *args, render_kw=None, **kwargs):
        render_kw = {"inputmode": "decimal", "autocomplete": "off", **(render_kw or {})}
        super().__init__(*args, render_kw=render_kw, **kwargs)

    def parse(self, text: str) -> Decimal | None:
        """The number typed (French ``ValueError`` if unreadable); subclasses read
        euros or percentages."""
        return parse_french_decimal(text)

    def shown(self, value: Decimal) -> str:
        """The stored number as the field shows it."""
        return format(value.normalize(), "f").replace(".", ",")

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        if self.data is None:
            return ""
        return self.shown(Decimal(self.data))

    def process_formdata(self, valuelist) -> None:
        if not valuelist or not valuelist[0].strip():
            self.data = None
            return
        try:
            self.data = self.parse(valuelist[0])
        except ValueError as exc:
            self.data = None
            raise ValueError(str(exc)) from None


class MeetingStartField(ParisDateTimeField):
    """A meeting's start: a date and a time, or a date alone ("16/04/2019"), which
    the source documents sometimes give; ``date_only`` then tells the view."""

    date_only = False

    def _value(self) -> str:
        if not self.raw_data and self.date_only and isinstance(self.data, datetime):
            value = self.data.astimezone(PARIS) if self.data.tzinfo else self.data
            return value.strftime("%Y-%m-%d")
        return super()._value()

    def process_formdata(self, valuelist) -> None:
        text = " ".join(valuelist or ()).strip()
        for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
            try:
                day = datetime.strptime(text, fmt)
            except ValueError:
                continue
            self.date_only = True
            self.data = day.replace(tzinfo=PARIS).astimezone(UTC)
            return
        self.date_only = False
        super().process_formdata(valuelist)


def enum_coerce(enum_cls):
    def coerce(value):
        if value is None or value == "" or value == "__None":
            return None
        if isinstance(value, enum_cls):
            return value
        try:
            return enum_cls[value]
        except KeyError:
            return value

    return coerce


class EnumSelectField(Select2Field):
    """A select of a LabelledEnum: codes as values, French labels shown."""

    def pre_validate(self, form) -> None:
        if self.data is None and self.allow_blank:
            return
        for value, _label in self.choices:
            if self.coerce(value) == self.data:
                return
        raise ValidationError("Choix invalide.")


#: Dates a person may type: beyond, a typo (0001, 20190) that breaks feeds and
#: exports (a meeting in year 1 made every calendar feed fail).
FIRST_YEAR, LAST_YEAR = 1900, 2199
REQUIRED_MESSAGE = "Ce champ est requis."


def clean_text(form, field) -> None:
    """No control characters but tab and newline: exports and feeds cannot hold them."""
    if isinstance(field.data, str) and has_control_chars(field.data):
        raise ValidationError(CONTROL_MESSAGE)


def not_blank(form, field) -> None:
    """A required text is more than spaces and invisible characters; a required
    value that did not parse (a date of spaces) is missing too."""
    data = field.data
    if data is None or (isinstance(data, str) and is_blank(data)):
        # A value that did not parse already says why.
        raise StopValidation(None if field.process_errors else REQUIRED_MESSAGE)


def date_in_range(form, field) -> None:
    """Dates and times between FIRST_YEAR and LAST_YEAR."""
    data = field.data
    if isinstance(data, date) and not FIRST_YEAR <= data.year <= LAST_YEAR:
        raise ValidationError(
            f"Date hors des limites acceptées (années {FIRST_YEAR} à {LAST_YEAR})."
        )


def integer_range(bits: int = 32):
    """Integers the database column can hold (PostgreSQL refuses the rest)."""

    def check(form, field) -> None:
        if isinstance(field.data, int):
            try:
                fit_integer(field.data, bits)
            except ValueError as exc:
                raise ValidationError(str(exc)) from None

    return check


def finite_decimal(precision: int | None, scale: int | None):
    """A number, finite (no ``NaN``, ``Infinity``, ``1e30``), that the column's
    precision holds; more decimals than the scale are refused, not rounded."""

    def check(form, field) -> None:
        if isinstance(field.data, Decimal):
            try:
                fit_decimal(field.data, precision, scale)
            except ValueError as exc:
                raise StopValidation(str(exc)) from None

    return check


def _add(field_args, *checks) -> None:
    # First in the chain: a later check (NumberRange on NaN) could fail on the value.
    field_args["validators"] = [*checks, *field_args.get("validators", [])]


def required_if_not_null(column, field_args) -> None:
    """A column the database requires is required in the form, blank text refused."""
    if not column.nullable and column.default is None and column.server_default is None:
        validators = field_args.get("validators", [])
        if not_blank not in validators:
            field_args["validators"] = [not_blank, *validators]


class FrenchModelConverter(AdminModelConverter):
    """Form converter: enums with French choices, UTC timestamps entered in Paris time,
    and every typed value checked against what exports and the database can hold."""

    @converts("String")
    def conv_String(self, column, field_args, **extra):
        _add(field_args, clean_text)
        required_if_not_null(column, field_args)
        return super().conv_String(column=column, field_args=field_args, **extra)

    @converts("Text")
    def conv_Text(self, field_args, **extra):
        _add(field_args, clean_text)
        column = extra.get("column")
        if column is not None:
            required_if_not_null(column, field_args)
        return super().conv_Text(field_args=field_args, **extra)

    @converts("Date")
    def convert_date(self, field_args, **extra):
        _add(field_args, date_in_range)
        return super().convert_date(field_args=field_args, **extra)

    @converts("Integer")
    def handle_integer_types(self, column, field_args, **extra):
        bits = 64 if isinstance(column.type, sa.BigInteger) else 32
        _add(field_args, integer_range(bits))
        return super().handle_integer_types(
            column=column, field_args=field_args, **extra
        )

    @converts("Numeric")
    def handle_decimal_types(self, column, field_args, **extra):
        # Typed the French way ("4,5") whatever the browser's language, and
        # finite within the column's precision (no NaN, Infinity or 1e30).
        precision = getattr(column.type, "precision", None)
        scale = getattr(column.type, "scale", None)
        _add(field_args, finite_decimal(precision, scale))
        field_args.setdefault("places", None)
        return FrenchDecimalField(**field_args)

    @converts("sqlalchemy.sql.sqltypes.Enum")
    def convert_enum(self, column, field_args, **extra):
        enum_cls = column.type.enum_class
        if column.nullable:
            field_args["allow_blank"] = True
        self._nullable_common(column, field_args)
        if enum_cls is None:
            field_args["choices"] = [(v, v) for v in column.type.enums]
            return Select2Field(**field_args)
        field_args["choices"] = [(m.name, str(m.value)) for m in enum_cls]
        field_args["coerce"] = enum_coerce(enum_cls)
        return EnumSelectField(**field_args)

    @converts("UTCDateTime")
    def convert_utc_datetime(self, field_args, **extra):
        _add(field_args, date_in_range)
        column = extra.get("column")
        if column is not None:
            required_if_not_null(column, field_args)
        return ParisDateTimeField(**field_args)


def _paris_filter(base):
    """Subclass a datetime filter so that values typed in Paris time compare in UTC."""

    def clean(self, value):
        cleaned = base.clean(self, value)
        if isinstance(cleaned, list):
            return [v.replace(tzinfo=PARIS).astimezone(UTC) for v in cleaned]
        return cleaned.replace(tzinfo=PARIS).astimezone(UTC)

    return type(f"Paris{base.__name__}", (base,), {"clean": clean})


PARIS_DATETIME_FILTERS = tuple(
    _paris_filter(f) if f is not sqla_filters.FilterEmpty else f
    for f in FilterConverter.datetime_filters
)


class FrenchFilterConverter(FilterConverter):
    """Filters on enums list the French labels; UTC timestamps filter in Paris time."""

    @model_filters.convert("UTCDateTime")
    def conv_utc_datetime(self, column, name, **kwargs):
        return [f(column, name, **kwargs) for f in PARIS_DATETIME_FILTERS]

    def conv_enum(self, column, name, options=None, **kwargs):
        if not options and getattr(column.type, "enum_class", None) is not None:
            options = [(m.name, str(m.value)) for m in column.type.enum_class]
        return super().conv_enum(column, name, options, **kwargs)

    conv_enum._converter_for = FilterConverter.conv_enum._converter_for  # type: ignore[attr-defined]


def email_validator(form, field) -> None:
    """WTForms validator that normalises the e-mail in place."""
    try:
        field.data = normalise_email(field.data)
    except ValueError as exc:
        raise ValidationError(str(exc)) from exc


def phone_validator(form, field) -> None:
    """WTForms validator that normalises the phone number in place."""
    try:
        field.data = normalise_phone(field.data)
    except ValueError as exc:
        raise ValidationError(str(exc)) from exc


BOTH_DEADLINES = "Choisissez une date ou « dès que possible », pas les deux."


def add_error(field, message: str) -> None:
    """Attach a French message to a field (shown next to it; the input is kept)."""
    field.errors = [*list(field.errors or []), message]


def check_deadline(form) -> bool:
    """A deadline is a date or "dès que possible", not both (``due_on``/``asap``)."""
    if form.asap.data and form.due_on.data:
        add_error(form.due_on, BOTH_DEADLINES)
        return False
    return True


def check_decision(form) -> bool:
    """A decision needs text, and a date or "dès que possible" but not both."""
    ok = True
    if not (form.text.data or "").strip():
        add_error(form.text, "Le texte de la décision est requis.")
        ok = False
    return check_deadline(form) and ok


WEB_LINK_MESSAGE = "Adresse web invalide (https://…)."


def web_link(form, field) -> None:
    """WTForms validator: empty, or an http(s) address (never ``javascript:``)."""
    if field.data and not is_web_link(field.data.strip()):
        raise ValidationError(WEB_LINK_MESSAGE)
