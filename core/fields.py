"""The model is the one source of field rules. A service takes a person's value for a model field
and gets it back cleaned by that field's own declaration — its length (a TextField without one
is bounded by MAX_TEXT), whether it may be blank, its digits — with the field's verbose name in
the message, named on the field. Forms and serializers check only the shape of the input.

`text` and `amount` read the field; `plain_text` is for inputs that are not a model field (a
reason given for a correction, which the history keeps)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.db import models
from django.utils.translation import gettext as _

from .errors import DomainError

# The bound of any text without a declared length.
MAX_TEXT = 20_000
# Largest magnitude a DecimalField(max_digits=14, decimal_places=2) holds: every amount's bound.
MAX_AMOUNT = Decimal("999999999999.99")


def largest_amount(field: models.DecimalField) -> Decimal:
    """The largest magnitude `field` holds (999999999999.99 for 14 digits, 2 places): the bound
    the services, the forms and the serializers all check."""
    places = field.decimal_places
    return Decimal(10) ** (field.max_digits - places) - Decimal(10) ** -places


def text_length(field: models.Field) -> int:
    """The most characters a text field takes: its max_length, MAX_TEXT for one without."""
    return field.max_length or MAX_TEXT


def _field(model: type[models.Model], name: str):
    return model._meta.get_field(name)


def plain_text(value, *, field: str, label: str, max_length: int, required: bool = False) -> str:
    value = ("" if value is None else str(value)).strip()
    if required and not value:
        raise DomainError(_("Enter the %(label)s.") % {"label": label}, field=field)
    if len(value) > max_length:
        raise DomainError(
            _("The %(label)s is too long: at most %(max)s characters.")
            % {"label": label, "max": max_length},
            field=field,
        )
    return value


def text(
    model: type[models.Model],
    name: str,
    value,
    *,
    required: bool | None = None,
    label: str | None = None,
    field: str | None = None,
) -> str:
    """`value` for the text field `model.name`: stripped, required unless the field may be blank
    (or as `required` says), at most the field's max_length."""
    model_field = _field(model, name)
    return plain_text(
        value,
        field=field or name,
        label=label or str(model_field.verbose_name),
        max_length=text_length(model_field),
        required=(not model_field.blank) if required is None else required,
    )


def amount(
    model: type[models.Model],
    name: str,
    value,
    *,
    required: bool | None = None,
    label: str | None = None,
) -> Decimal | None:
    """`value` for the decimal field `model.name`: a finite number within the field's digits,
    rounded to its decimal places; None when left out of a field that may be blank."""
    model_field = _field(model, name)
    label = label or str(model_field.verbose_name)
    required = (not model_field.blank) if required is None else required
    if value is None or value == "":
        if required:
            raise DomainError(_("Enter the %(label)s.") % {"label": label}, field=name)
        return None
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError) as exc:
        raise DomainError(
            _("Enter a number for the %(label)s.") % {"label": label}, field=name
        ) from exc
    largest = largest_amount(model_field)
    if not number.is_finite() or abs(number) > largest:
        raise DomainError(
            _("The %(label)s must be a number below one trillion.") % {"label": label},
            field=name,
        )
    return number.quantize(Decimal(10) ** -model_field.decimal_places)
