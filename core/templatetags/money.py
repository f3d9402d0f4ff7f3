"""Amounts of money in the reader's language: $1,234.50 in English, 1 234,50 $ in French."""

from decimal import Decimal, InvalidOperation

from django import template
from django.utils import formats
from django.utils.translation import get_language

register = template.Library()


def format_money(value, language: str | None = None) -> str:
    """Canadian dollars, two decimals, grouped by thousands; the sign placed as each language
    writes it (French: after the number, joined by a non-breaking space)."""
    try:
        amount = Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        return ""
    number = formats.number_format(amount, 2, use_l10n=True, force_grouping=True)
    if (language or get_language() or "en").split("-")[0] == "fr":
        return f"{number}\xa0$"
    if number.startswith("-"):
        return f"-${number[1:]}"
    return f"${number}"


@register.filter
def money(value) -> str:
    return format_money(value)
