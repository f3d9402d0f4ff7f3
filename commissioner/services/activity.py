"""A partner's signs of life: activities, API use credited to the collaboration it touched, and
the commissioners' check-ins."""

from __future__ import annotations

import datetime as dt
import logging

from django.core.cache import cache
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from agreements.models import Participation
from core import fields
from core.errors import DomainError

from ..models import (
    Activity,
)
from .common import _require_commissioner

logger = logging.getLogger(__name__)


def activity_record(
    *,
    participation: Participation | None = None,
    collaboration_id: int | None = None,
    organisation_id: int | None = None,
    kind: str,
    description: str = "",
    occurred_at=None,
    recorded_by=None,
) -> Activity | None:
    """Record a sign of life. Pass the participation, or the collaboration and organisation ids
    (then nothing is recorded when the organisation does not take part)."""
    if participation is None:
        if collaboration_id is None or organisation_id is None:
            return None
        participation = Participation.objects.filter(
            collaboration_id=collaboration_id, organisation_id=organisation_id
        ).first()
        if participation is None:
            return None
    return Activity.objects.create(
        participation=participation,
        kind=kind,
        description=description[:300],
        occurred_at=occurred_at or timezone.now(),
        recorded_by=recorded_by if getattr(recorded_by, "pk", None) else None,
    )


def api_use_record(*, organisation_id: int, collaboration_id: int, when=None) -> int:
    """Log API use that touched `collaboration_id` as a sign of life of the organisation's
    active participation in it, at most once per day (the cache answers repeats without a
    query; the NOT EXISTS keeps concurrent requests to one row a day in practice)."""
    when = when or timezone.now()
    local = timezone.localtime(when)
    key = f"api-use:{organisation_id}:{collaboration_id}:{local.date().isoformat()}"
    try:
        if cache.get(key):
            return 0
    except Exception:  # a cache that is down only costs the query below
        logger.warning("cache unavailable for API use", exc_info=False)
    day_start = local.replace(hour=0, minute=0, second=0, microsecond=0)
    logged_today = Activity.objects.filter(
        participation=OuterRef("pk"), kind=Activity.Kind.API_CALL, occurred_at__gte=day_start
    )
    participation_ids = list(
        Participation.objects.filter(
            organisation_id=organisation_id,
            collaboration_id=collaboration_id,
            status=Participation.Status.ACTIVE,
        )
        .exclude(Exists(logged_today))
        .values_list("pk", flat=True)
    )
    Activity.objects.bulk_create(
        Activity(
            participation_id=pk, kind=Activity.Kind.API_CALL, occurred_at=when, recorded_at=when
        )
        for pk in participation_ids
    )

    def remember() -> None:
        try:
            cache.set(key, 1, timeout=24 * 3600)
        except Exception:
            logger.warning("cache unavailable for API use", exc_info=False)

    # Only once the activity is committed: a request rolled back leaves nothing to remember.
    transaction.on_commit(remember)
    return len(participation_ids)


@transaction.atomic
def checkin_log(
    *, actor, participation: Participation, description: str, occurred_at=None
) -> Activity | None:
    """A commissioner logs a check-in with a partner: a sign of life like any other."""
    _require_commissioner(actor)
    if participation.status != Participation.Status.ACTIVE:
        raise DomainError(
            _("%(organisation)s no longer takes an active part in this collaboration.")
            % {"organisation": participation.organisation},
            field="participation",
        )
    description = fields.text(
        Activity, "description", description, required=True, label=_("what was discussed")
    )
    occurred_at = occurred_at or timezone.now()
    if occurred_at > timezone.now() + dt.timedelta(minutes=5):
        raise DomainError(_("A check-in cannot be in the future."), field="occurred_at")
    return activity_record(
        participation=participation,
        kind=Activity.Kind.CHECK_IN,
        description=description,
        occurred_at=occurred_at,
        recorded_by=actor,
    )
