"""What the commissioner's services share: bounds, the collaboration statuses scanned and closed,
the commissioner check, absolute links for mail."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from agreements.models import Collaboration

from ..access import may_commission

# Collaborations whose partners are scanned, and whose obligations and agreements get reminders.
SCANNED_COLLABORATION_STATUSES = Collaboration.SCANNED_STATUSES


CLOSED_COLLABORATION_STATUSES = Collaboration.CLOSED_STATUSES


def _require_commissioner(actor) -> None:
    if not may_commission(actor):
        raise PermissionDenied(_("Only administrators and commissioners may do that."))


def site_url(path: str) -> str:
    """An absolute link for an e-mail: the deployment's SITE_URL followed by `path`."""
    return f"{settings.SITE_URL.rstrip('/')}{path}"
