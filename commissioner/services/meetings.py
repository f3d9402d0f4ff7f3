"""Meetings and attendance: recorded by staff, confirmed by the partner."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from agreements.models import Collaboration, Participation
from agreements.rules import require_open_for_partner_writes
from core import fields
from core.actors import actor_organisation_id, is_partner
from core.bounds import check_date
from core.errors import CONFLICT, DomainError
from core.locking import lock

from ..access import may_manage_collaboration
from ..models import (
    Activity,
    Attendance,
    Meeting,
)
from .activity import activity_record
from .common import CLOSED_COLLABORATION_STATUSES

# How long after a meeting a partner may still confirm its attendance.
PARTNER_CONFIRMATION_DAYS = 30


@transaction.atomic
def meeting_create(
    *,
    actor,
    collaboration: Collaboration,
    title: str,
    held_at: dt.datetime,
    location: str = "",
    notes: str = "",
) -> Meeting:
    if not may_manage_collaboration(actor, collaboration):
        raise PermissionDenied(_("Only the collaboration's managers may record its meetings."))
    # Locked and re-read (core/locking.py): a collaboration concluded at this moment
    # gets no new meeting.
    collaboration = lock(Collaboration, collaboration.pk)
    if collaboration.status in CLOSED_COLLABORATION_STATUSES:
        raise DomainError(
            _("This collaboration has ended; no more meetings can be recorded."), field=None
        )
    title = fields.text(Meeting, "title", title)
    location = fields.text(Meeting, "location", location)
    notes = fields.text(Meeting, "notes", notes)
    if held_at is None or timezone.is_naive(held_at):
        raise DomainError(_("Enter the date and time of the meeting."), field="held_at")
    # 9999-12-31 23:59 local is year 10000 in UTC: stored, it broke every page showing it.
    check_date(held_at, field="held_at")
    return Meeting.objects.create(
        collaboration=collaboration, title=title, held_at=held_at, location=location, notes=notes
    )


def _check_attendance_status(meeting: Meeting, status: str) -> None:
    if status not in Attendance.Status.values:
        raise DomainError(
            _("Choose present, apologies or absent."), field="status", code="invalid_choice"
        )
    if status != Attendance.Status.APOLOGIES and meeting.held_at > timezone.now():
        raise DomainError(
            _("The meeting has not taken place yet: only apologies can be sent in advance."),
            field="status",
        )


def _attendance_write(
    *, meeting: Meeting, participation: Participation, status: str, confirmed: bool, actor
) -> Attendance:
    """Create or change one attendance, keeping the activity log in step: attending a meeting is
    a sign of life dated at the meeting."""
    attendance = (
        Attendance.objects.select_for_update()
        .filter(meeting=meeting, participation=participation)
        .first()
    )
    was_present = attendance is not None and attendance.status == Attendance.Status.PRESENT
    now = timezone.now()
    if attendance is None:
        attendance = Attendance(meeting=meeting, participation=participation, recorded_at=now)
    elif attendance.status != status:
        # A correction: the status it replaces is kept, so past days scan as recorded then.
        attendance.previous_status, attendance.changed_at = attendance.status, now
    attendance.status = status
    attendance.confirmed_by_partner = confirmed
    attendance.save()
    is_present = status == Attendance.Status.PRESENT
    if is_present and not was_present:
        activity_record(
            participation=participation,
            kind=Activity.Kind.MEETING_ATTENDED,
            description=meeting.title,
            occurred_at=meeting.held_at,
            recorded_by=actor,
        )
    elif was_present and not is_present:
        # A correction: the partner was not there after all. Withdrawn, not deleted: a scan for
        # a day before the correction still counts it.
        Activity.objects.filter(
            participation=participation,
            kind=Activity.Kind.MEETING_ATTENDED,
            occurred_at=meeting.held_at,
            withdrawn_at__isnull=True,
        ).update(withdrawn_at=now)
    return attendance


@transaction.atomic
def attendance_record(
    *, actor, meeting: Meeting, participation: Participation, status: str
) -> Attendance:
    """A manager records whether a participating organisation came to a meeting."""
    if not may_manage_collaboration(actor, meeting.collaboration):
        raise PermissionDenied(_("Only the collaboration's managers may record attendance."))
    if participation.collaboration_id != meeting.collaboration_id:
        raise DomainError(
            _("%(organisation)s does not take part in this collaboration.")
            % {"organisation": participation.organisation},
            field="participation",
        )
    # Lock order (core/locking.py): collaboration, participation, then the attendance row.
    collaboration = lock(Collaboration, meeting.collaboration_id)
    lock(Participation, participation.pk)
    require_open_for_partner_writes(
        collaboration=collaboration, organisation_id=participation.organisation_id, field="status"
    )
    _check_attendance_status(meeting, status)
    return _attendance_write(
        meeting=meeting, participation=participation, status=status, confirmed=False, actor=actor
    )


@transaction.atomic
def attendance_record_many(*, actor, meeting: Meeting, statuses: dict[int, str]) -> int:
    """The attendance form: a status for each participation id (empty: leave as it is). Returns
    how many attendances changed."""
    if not may_manage_collaboration(actor, meeting.collaboration):
        raise PermissionDenied(_("Only the collaboration's managers may record attendance."))
    collaboration = lock(Collaboration, meeting.collaboration_id)
    require_open_for_partner_writes(
        collaboration=collaboration, organisation_id=None, field="status"
    )
    participations = {
        p.pk: p
        for p in Participation.objects.filter(
            collaboration_id=meeting.collaboration_id, pk__in=list(statuses)
        ).select_related("organisation")
    }
    current = dict(
        Attendance.objects.filter(meeting=meeting).values_list("participation_id", "status")
    )
    changed = 0
    for pk, status in statuses.items():
        if not status or current.get(pk) == status:
            continue
        participation = participations.get(pk)
        if participation is None:
            raise DomainError(_("That organisation does not take part."), field="participation")
        try:
            _check_attendance_status(meeting, status)
        except DomainError as error:
            raise DomainError(
                f"{participation.organisation.name}: {error.message}", field="status"
            ) from error
        _attendance_write(
            meeting=meeting,
            participation=participation,
            status=status,
            confirmed=False,
            actor=actor,
        )
        changed += 1
    return changed


@transaction.atomic
def attendance_confirm(*, actor, meeting: Meeting, status: str) -> Attendance:
    """A partner organisation (read-write token or its staff) confirms its own attendance.

    What is recorded wins: a partner confirms a meeting where nothing is recorded for it yet, or
    confirms what is recorded; changing a recorded attendance is for the collaboration's
    managers. Apologies may be sent before the meeting; anything else is confirmed once the
    meeting has started, and for at most PARTNER_CONFIRMATION_DAYS after it."""
    organisation_id = actor_organisation_id(actor)
    if organisation_id is None or (is_partner(actor) and not actor.can_write):
        raise PermissionDenied(_("Only a participating organisation confirms its attendance."))
    # Lock order (core/locking.py): the collaboration, then the participation, which
    # serialises twenty identical confirmations: the first writes, the others find it written.
    collaboration = lock(Collaboration, meeting.collaboration_id)
    require_open_for_partner_writes(
        collaboration=collaboration, organisation_id=organisation_id, field="status"
    )
    participation = (
        Participation.objects.select_for_update(no_key=True, of=("self",))
        .filter(
            collaboration_id=meeting.collaboration_id,
            organisation_id=organisation_id,
            status=Participation.Status.ACTIVE,
        )
        .first()
    )
    if participation is None:
        raise DomainError(
            _("Your organisation does not take an active part in this collaboration."),
            field=None,
        )
    _check_attendance_status(meeting, status)
    if meeting.held_at < timezone.now() - dt.timedelta(days=PARTNER_CONFIRMATION_DAYS):
        raise DomainError(
            _(
                "This meeting was held more than %(days)s days ago: its attendance can no longer "
                "be confirmed. Ask the collaboration's managers to correct it."
            )
            % {"days": PARTNER_CONFIRMATION_DAYS},
            field="status",
        )
    recorded = (
        Attendance.objects.select_for_update()
        .filter(meeting=meeting, participation=participation)
        .first()
    )
    if recorded is not None and recorded.status != status:
        raise DomainError(
            _(
                "Your organisation's attendance at this meeting is already recorded as "
                "%(status)s; only the collaboration's managers can change it."
            )
            % {"status": recorded.get_status_display().lower()},
            field="status",
            code=CONFLICT,
        )
    return _attendance_write(
        meeting=meeting,
        participation=participation,
        status=status,
        confirmed=True,
        actor=None if is_partner(actor) else actor,
    )
