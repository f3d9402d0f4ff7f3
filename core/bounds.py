"""Sane ranges for what people and programs may enter: dates between 1900 and 2200, datetimes
that stay in that range once converted to UTC, at most MAX_IDS ids in a list. The services check
them (the rule holds whatever the entry point), and the forms and serializers check them first
so a bad value is a field error before any database work."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .errors import DomainError

MIN_DATE = dt.date(1900, 1, 1)
MAX_DATE = dt.date(2200, 12, 31)
# A list field (signatory organisations, ...) names at most this many ids.
MAX_IDS = 200
# The largest id a bigint primary key holds: a larger number is a 400, never a database error.
MAX_ID = 2**63 - 1

RANGE_MESSAGE = gettext_lazy("Enter a date between 1900-01-01 and 2200-12-31.")


def date_in_range(value) -> bool:
    if value is None:
        return True
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            try:
                value = value.astimezone(dt.UTC)
            except (OverflowError, ValueError):
                return False
        value = value.date()
    return MIN_DATE <= value <= MAX_DATE


def validate_date_range(value) -> None:
    """A model / form field validator."""
    if not date_in_range(value):
        raise ValidationError(RANGE_MESSAGE, code="date_range")


def check_date(value, *, field: str) -> None:
    """A service's check: a DomainError naming `field` when `value` is out of range."""
    if not date_in_range(value):
        raise DomainError(_("Enter a date between 1900-01-01 and 2200-12-31."), field=field)


def clamp_date(value: dt.date) -> dt.date:
    """`value` within the range: arithmetic on dates stored before the range was enforced
    (year 1, year 9999) must not overflow."""
    return min(max(value, MIN_DATE), MAX_DATE)


def shift(value: dt.date, days: int) -> dt.date:
    """`value` moved by `days`, clamped to the range instead of overflowing."""
    try:
        return clamp_date(value + dt.timedelta(days=days))
    except OverflowError:
        return MIN_DATE if days < 0 else MAX_DATE
