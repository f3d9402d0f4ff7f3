"""What the agreements app's pages share: the page size, the collaboration page's sections, the
manager check, sorting and status choices."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from .. import selectors
from ..access import (
    may_manage_collaboration,
)
from ..models import Collaboration

LIST_PAGE_SIZE = 25


# Sections a higher app adds to the collaboration page (the commissioner app: its meetings), so
# this app does not import it (DESIGN: apps depend one way). Each is a callable
# (request, collaboration, can_manage) -> dict with "id", "title", "template" and what the
# template reads; the app registers it in its AppConfig.ready().
COLLABORATION_PAGE_SECTIONS: list = []


def _posted(request):
    """The submitted data, or None for a GET. (`request.POST or None` would leave a form whose
    fields are all optional unbound when it is submitted empty.)"""
    return request.POST if request.method == "POST" else None


def _collaboration(request, slug) -> Collaboration:
    return selectors.collaboration_get_for(actor=request.user, slug=slug)


def _require_manager(request, collaboration) -> None:
    if not may_manage_collaboration(request.user, collaboration):
        raise PermissionDenied(_("Only the managers of this collaboration may do that."))


def _status_choices(model, statuses) -> list[tuple[str, str]]:
    return [(status, model.Status(status).label) for status in statuses]
