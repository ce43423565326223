"""Form fields and converters: French labels for enums, Paris time for timestamps."""

from __future__ import annotations

from datetime import UTC, datetime

from flask_admin.contrib.sqla import filters as sqla_filters
from flask_admin.contrib.sqla.filters import FilterConverter
from flask_admin.contrib.sqla.form import AdminModelConverter
from flask_admin.form import Select2Field
from flask_admin.form.fields import DateTimeField
from flask_admin.model import filters as model_filters
from flask_admin.model.form import converts
from wtforms import ValidationError

from app.normalisers import normalise_email, normalise_phone
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


class FrenchModelConverter(AdminModelConverter):
    """Form converter: enums with French choices, UTC timestamps entered in Paris time."""

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
