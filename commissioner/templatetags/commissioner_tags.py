"""Labels the commissioner's templates show for stored codes (bands, attendance, signals)."""

from django import template
from django.utils.translation import gettext_lazy as _

from commissioner.models import Attendance, Band, State

register = template.Library()

# Bands and the watch states (drifting, too early to tell) share the badges.
BAND_LABELS = {**dict(Band.choices), **dict(State.choices)}
ATTENDANCE_LABELS = dict(Attendance.Status.choices)
# A mark beside each attendance word, so the matrix does not rely on colour alone.
ATTENDANCE_MARKS = {"present": "✓", "apologies": "~", "absent": "✗"}
SIGNAL_LABELS = {
    "attendance": _("Attendance"),
    "obligations": _("Obligations"),
    "reporting": _("Goal reporting"),
    "recency": _("Recent activity"),
    "signatures": _("Signatures"),
}


@register.filter
def band_label(band: str | None) -> str:
    return str(BAND_LABELS.get(band, _("Not scored")))


@register.filter
def attendance_label(status: str | None) -> str:
    return str(ATTENDANCE_LABELS.get(status, _("Not recorded")))


@register.filter
def attendance_mark(status: str | None) -> str:
    return ATTENDANCE_MARKS.get(status, "-")


@register.filter
def signal_label(signal: str) -> str:
    return str(SIGNAL_LABELS.get(signal, signal))


@register.filter
def component_value(components: dict | None, signal: str):
    """A snapshot's component as a percentage (0-100), or None."""
    entry = (components or {}).get(signal)
    if not entry:
        return None
    return round(float(entry.get("value", 0)) * 100)


@register.filter
def component_weight(components: dict | None, signal: str):
    entry = (components or {}).get(signal)
    return entry.get("weight") if entry else None


@register.filter
def lookup(mapping, key):
    return mapping.get(key) if hasattr(mapping, "get") else None
