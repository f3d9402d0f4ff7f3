"""Every write of the commissioner app. `activity_record` is the one entry point other apps use
to log a partner's sign of life."""

from django.db.models import Exists, OuterRef
from django.utils import timezone

from agreements.models import Participation

from .models import Activity


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


def api_use_record(*, organisation_id: int, when=None) -> int:
    """Log API use as a sign of life in each of the organisation's active collaborations, at most
    once per participation per day (set-based: one query to find, one bulk insert)."""
    when = when or timezone.now()
    day_start = timezone.localtime(when).replace(hour=0, minute=0, second=0, microsecond=0)
    logged_today = Activity.objects.filter(
        participation=OuterRef("pk"), kind=Activity.Kind.API_CALL, occurred_at__gte=day_start
    )
    participation_ids = list(
        Participation.objects.filter(
            organisation_id=organisation_id, status=Participation.Status.ACTIVE
        )
        .exclude(Exists(logged_today))
        .values_list("pk", flat=True)
    )
    Activity.objects.bulk_create(
        Activity(participation_id=pk, kind=Activity.Kind.API_CALL, occurred_at=when)
        for pk in participation_ids
    )
    return len(participation_ids)
