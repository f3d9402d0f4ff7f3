"""What the commissioner's services share: bounds, the collaboration statuses scanned and closed,
the commissioner check, absolute links for mail."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from agreements.models import Collaboration
from core.errors import DomainError

from ..access import may_commission

MAX_NOTE = 5000


# Collaborations whose partners are scanned, and whose obligations and agreements get reminders.
SCANNED_COLLABORATION_STATUSES = Collaboration.SCANNED_STATUSES


CLOSED_COLLABORATION_STATUSES = Collaboration.CLOSED_STATUSES


def _text(value, *, field: str, label: str, max_length: int, required: bool = False) -> str:
    value = (value or "").strip()
    if required and not value:
        raise DomainError(_("Enter %(label)s.") % {"label": label}, field=field)
    if len(value) > max_length:
        raise DomainError(
            _("%(label)s is too long: at most %(max)s characters.")
            % {"label": label[:1].upper() + label[1:], "max": max_length},
            field=field,
        )
    return value


def _require_commissioner(actor) -> None:
    if not may_commission(actor):
        raise PermissionDenied(_("Only administrators and commissioners may do that."))


def site_url(path: str) -> str:
    """An absolute link for an e-mail: the deployment's SITE_URL followed by `path`."""
    return f"{settings.SITE_URL.rstrip('/')}{path}"
