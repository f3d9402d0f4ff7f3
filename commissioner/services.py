"""Every write of the commissioner app: the engagement scan and the flags it raises, the
commissioners' actions on flags, interventions and check-ins, meetings and attendance, the
engagement policy, digests and reminders. `activity_record` is the one entry point other apps use
to log a partner's sign of life.

Each service checks who may act (commissioner/access.py), validates, then writes inside a
transaction; mail and enqueued tasks go out on commit. A refused business rule is a DomainError
naming the input at fault; an actor who may not act at all gets PermissionDenied."""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from django.conf import settings
from django.core import mail
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, OuterRef, Q, Subquery
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from agreements.models import Agreement, Collaboration, Obligation, Participation
from agreements.rules import require_open_for_partner_writes
from collabhub.bounds import check_date, shift
from collabhub.bulk import Row, upsert
from collabhub.errors import CONFLICT, DomainError
from collabhub.i18n import recipient_language, written_in
from collabhub.locking import lock
from partners.models import Contact, User
from partners.principals import actor_organisation_id, is_partner

from .access import may_commission, may_manage_collaboration, may_set_default_policy
from .engagement import (
    EARLY_WARNING_FIELDS,
    POLICY_FIELDS,
    SIGNALS,
    Assessment,
    Day,
    Figures,
    ParticipationRow,
    Policy,
    assess,
    default_policy,
    policies_for,
    read_figures,
    thaw,
)
from .models import (
    Activity,
    Attendance,
    EngagementPolicy,
    EngagementSnapshot,
    Flag,
    Intervention,
    Meeting,
    Reminder,
    State,
)
from .trends import SEVERITY, Previous, Watch, trend_figures, watch

logger = logging.getLogger(__name__)

MAX_NOTE = 5000
# Collaborations whose partners are scanned, and whose obligations and agreements get reminders.
SCANNED_COLLABORATION_STATUSES = (Collaboration.Status.ACTIVE,)
CLOSED_COLLABORATION_STATUSES = (Collaboration.Status.CONCLUDED, Collaboration.Status.DISSOLVED)
# How long after a meeting a partner may still confirm its attendance.
PARTNER_CONFIRMATION_DAYS = 30


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


# Activity -------------------------------------------------------------------------------------


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
) -> Activity:
    """A commissioner logs a check-in with a partner: a sign of life like any other."""
    _require_commissioner(actor)
    if participation.status != Participation.Status.ACTIVE:
        raise DomainError(
            _("%(organisation)s no longer takes an active part in this collaboration.")
            % {"organisation": participation.organisation},
            field="participation",
        )
    description = _text(
        description,
        field="description",
        label=_("what was discussed"),
        max_length=300,
        required=True,
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


# Meetings and attendance ----------------------------------------------------------------------


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
    # Locked and re-read (collabhub/locking.py): a collaboration concluded at this moment
    # gets no new meeting.
    collaboration = lock(Collaboration, collaboration.pk)
    if collaboration.status in CLOSED_COLLABORATION_STATUSES:
        raise DomainError(
            _("This collaboration has ended; no more meetings can be recorded."), field=None
        )
    title = _text(title, field="title", label=_("a title"), max_length=200, required=True)
    location = _text(location, field="location", label=_("location"), max_length=200)
    notes = _text(notes, field="notes", label=_("notes"), max_length=MAX_NOTE)
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
    # Lock order (collabhub/locking.py): collaboration, participation, then the attendance row.
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
    # Lock order (collabhub/locking.py): the collaboration, then the participation, which
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


# Engagement policy ----------------------------------------------------------------------------

POLICY_LIMITS = {
    "window_days": (7, 730),
    "inactivity_days": (1, 730),
    "overdue_grace_days": (1, 730),
    "engaged_min": (1, 100),
    "at_risk_min": (0, 99),
    "trend_days": (7, 365),
    "attendance_grace_days": (0, 90),
    "drift_points": (1, 200),
    "drift_evidence": (1, 5000),
    "flag_after_scans": (1, 30),
    "sharp_drop": (1, 100),
    "release_margin": (0, 30),
    "reopen_days": (0, 365),
    "new_partner_days": (0, 365),
    "new_partner_meetings": (0, 24),
}
WEIGHT_FIELDS = [f"weight_{signal}" for signal in SIGNALS]


def _clean_policy(values: dict) -> dict:
    cleaned = {}
    for name in POLICY_FIELDS:
        value = values.get(name)
        if value in (None, "") and name in EARLY_WARNING_FIELDS:
            continue
        if value is None or isinstance(value, bool):
            raise DomainError(_("Enter a whole number."), field=name)
        try:
            value = int(value)
        except (TypeError, ValueError) as exc:
            raise DomainError(_("Enter a whole number."), field=name) from exc
        low, high = POLICY_LIMITS.get(name, (0, 100))
        if not low <= value <= high:
            raise DomainError(
                _("Enter a number from %(low)s to %(high)s.") % {"low": low, "high": high},
                field=name,
            )
        cleaned[name] = value
    if not any(cleaned[name] for name in WEIGHT_FIELDS):
        raise DomainError(_("At least one weight must be above zero."), field="weight_attendance")
    if cleaned["engaged_min"] <= cleaned["at_risk_min"]:
        raise DomainError(
            _("The engaged band must start above the at-risk band."), field="engaged_min"
        )
    return cleaned


def policy_trial(*, actor, collaboration: Collaboration, values: dict) -> Policy:
    """A policy to try in the backtest, not saved: `values` over the policy in force (only
    commissioners; the same rules as policy_set)."""
    _require_commissioner(actor)
    current, _own = policy_in_force(collaboration=collaboration)
    given = {name: value for name, value in values.items() if value not in (None, "")}
    return Policy(**_clean_policy({**asdict(current), **given}))


@transaction.atomic
def policy_set(*, actor, collaboration: Collaboration | None = None, **values) -> EngagementPolicy:
    """Set the system default (collaboration None: administrators) or a collaboration's own
    policy (administrators and commissioners). Every threshold is given."""
    if collaboration is None and not may_set_default_policy(actor):
        raise PermissionDenied(_("Only administrators set the default engagement policy."))
    if collaboration is not None:
        _require_commissioner(actor)
    cleaned = _clean_policy(values)
    policy = (
        EngagementPolicy.objects.select_for_update().filter(collaboration=collaboration).first()
    )
    if policy is None:
        policy = EngagementPolicy(collaboration=collaboration)
    for name, value in cleaned.items():
        setattr(policy, name, value)
    try:
        with transaction.atomic():
            policy.save()
    except IntegrityError as exc:
        raise DomainError(_("The policy changed meanwhile; try again."), field=None) from exc
    return policy


@transaction.atomic
def policy_reset(*, actor, collaboration: Collaboration) -> bool:
    """A collaboration goes back to the system default; True when it had its own policy."""
    _require_commissioner(actor)
    deleted, _details = EngagementPolicy.objects.filter(collaboration=collaboration).delete()
    return bool(deleted)


def policy_in_force(*, collaboration: Collaboration | None) -> tuple[Policy, bool]:
    """The policy that applies to a collaboration, and whether it is the collaboration's own."""
    if collaboration is not None:
        own = EngagementPolicy.objects.filter(collaboration=collaboration).first()
        if own is not None:
            return Policy.from_row(own), True
    return default_policy(), False


# Flags and interventions ----------------------------------------------------------------------


@transaction.atomic
def flag_acknowledge(*, actor, flag: Flag) -> Flag:
    """A commissioner has seen the flag and is dealing with it."""
    _require_commissioner(actor)
    flag = Flag.objects.select_for_update().get(pk=flag.pk)
    if flag.status != Flag.Status.OPEN:
        raise DomainError(
            _("This flag is already %(status)s.") % {"status": flag.get_status_display().lower()},
            field="status",
            code=CONFLICT,
        )
    flag.status = Flag.Status.ACKNOWLEDGED
    flag.acknowledged_by = actor
    flag.acknowledged_at = timezone.now()
    flag.save(update_fields=["status", "acknowledged_by", "acknowledged_at"])
    return flag


@transaction.atomic
def flag_resolve(*, actor, flag: Flag, note: str) -> Flag:
    """A person closes the flag, saying why. The scan will not raise a new one while the partner
    stays in the same band or improves (docs/engagement.md)."""
    _require_commissioner(actor)
    note = _text(
        note, field="note", label=_("how it was resolved"), max_length=MAX_NOTE, required=True
    )
    flag = Flag.objects.select_for_update().get(pk=flag.pk)
    if not flag.is_open:
        raise DomainError(_("This flag is already closed."), field="status", code=CONFLICT)
    now = timezone.now()
    flag.status = Flag.Status.RESOLVED
    flag.resolved_by = actor
    flag.resolution_note = note
    flag.closed_at = now
    flag.closed_on = (
        EngagementSnapshot.objects.filter(participation_id=flag.participation_id)
        .order_by("-scan_date")
        .values_list("scan_date", flat=True)
        .first()
    ) or timezone.localdate(now)
    if flag.acknowledged_at is None:
        flag.acknowledged_by, flag.acknowledged_at = actor, now
    flag.save(
        update_fields=[
            "status",
            "resolved_by",
            "resolution_note",
            "closed_at",
            "closed_on",
            "acknowledged_by",
            "acknowledged_at",
        ]
    )
    return flag


@transaction.atomic
def intervention_add(
    *,
    actor,
    flag: Flag,
    kind: str,
    description: str,
    due_date: dt.date | None = None,
) -> Intervention:
    """Log what was done or planned about an open flag; an open flag becomes acknowledged."""
    _require_commissioner(actor)
    flag = Flag.objects.select_for_update().get(pk=flag.pk)
    if not flag.is_open:
        raise DomainError(
            _("This flag is closed; interventions are logged on open flags."), field="flag"
        )
    if kind not in Intervention.Kind.values:
        raise DomainError(_("Choose a call, meeting, letter or escalation."), field="kind")
    description = _text(
        description,
        field="description",
        label=_("what was done or planned"),
        max_length=MAX_NOTE,
        required=True,
    )
    if due_date is not None and due_date < flag.raised_on:
        raise DomainError(
            _("The due date cannot be before the flag was raised (%(date)s).")
            % {"date": flag.raised_on.isoformat()},
            field="due_date",
        )
    intervention = Intervention.objects.create(
        flag=flag, kind=kind, description=description, due_date=due_date, created_by=actor
    )
    if flag.status == Flag.Status.OPEN:
        flag.status = Flag.Status.ACKNOWLEDGED
        flag.acknowledged_by = actor
        flag.acknowledged_at = timezone.now()
        flag.save(update_fields=["status", "acknowledged_by", "acknowledged_at"])
    return intervention


@transaction.atomic
def intervention_complete(*, actor, intervention: Intervention, outcome: str) -> Intervention:
    _require_commissioner(actor)
    outcome = _text(
        outcome, field="outcome", label=_("the outcome"), max_length=MAX_NOTE, required=True
    )
    intervention = Intervention.objects.select_for_update().get(pk=intervention.pk)
    if intervention.completed_at is not None:
        raise DomainError(
            _("This intervention is already completed."), field="outcome", code=CONFLICT
        )
    intervention.outcome = outcome
    intervention.completed_at = timezone.now()
    intervention.save(update_fields=["outcome", "completed_at"])
    return intervention


# The engagement scan --------------------------------------------------------------------------


@dataclass
class ScanResult:
    scan_date: dt.date
    batches: int = 0
    participations_scored: int = 0
    snapshots_written: int = 0
    flags_raised: int = 0
    flags_updated: int = 0
    flags_auto_closed: int = 0
    flags_reopened: int = 0
    flags_closed_not_scanned: int = 0
    digests_sent: int = 0

    def as_dict(self) -> dict:
        data = asdict(self)
        data["scan_date"] = self.scan_date.isoformat()
        return data

    def __str__(self) -> str:
        return (
            f"Engagement scan {self.scan_date}: {self.participations_scored} participations "
            f"scored in {self.batches} batches, {self.snapshots_written} snapshots written, "
            f"{self.flags_raised} flags raised, {self.flags_reopened} reopened, "
            f"{self.flags_updated} updated, "
            f"{self.flags_auto_closed} closed on recovery, {self.flags_closed_not_scanned} "
            f"closed as no longer scanned, {self.digests_sent} digests sent"
        )


SNAPSHOT_FIELDS = [
    "score",
    "band",
    "meetings_held",
    "meetings_attended",
    "meetings_apologies",
    "attendance_rate",
    "consecutive_absences",
    "obligations_due",
    "obligations_overdue",
    "max_days_overdue",
    "reports_expected",
    "reports_missing",
    "days_since_activity",
    "signatures_pending",
    "max_days_awaiting_signature",
    "meetings_unrecorded",
    "components",
    "state",
    "warning_streak",
    "clear_streak",
    "drift_evidence",
    "trend",
    "reasons",
]


def _decimal(value: Fraction | None) -> Decimal | None:
    if value is None:
        return None
    exact = Decimal(value.numerator) / Decimal(value.denominator)
    return exact.quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)


def snapshot_values(assessment: Assessment, policy: Policy) -> dict:
    """The columns of an EngagementSnapshot for one assessment."""
    f = assessment.figures
    return {
        "score": assessment.score,
        "band": assessment.band,
        "meetings_held": f.meetings_held,
        "meetings_attended": f.meetings_present,
        "meetings_apologies": f.meetings_apologies,
        "attendance_rate": _decimal(assessment.attendance_rate),
        "consecutive_absences": f.consecutive_absences,
        "obligations_due": f.obligations_due,
        "obligations_overdue": f.obligations_overdue,
        "max_days_overdue": f.max_days_overdue,
        "reports_expected": f.reports_expected,
        "reports_missing": f.reports_missing,
        "days_since_activity": f.days_since_activity,
        "signatures_pending": f.signatures_pending,
        "max_days_awaiting_signature": f.max_days_awaiting_signature,
        "meetings_unrecorded": f.meetings_unrecorded,
        "components": {
            signal: {"value": round(numerator / denominator, 4), "weight": weight}
            for (signal, (numerator, denominator)), weight in zip(
                assessment.ratios.items(), policy.weights, strict=True
            )
        },
    }


def _next_batch(
    *, after: int, day: Day, size: int, collaboration_ids=None
) -> list[ParticipationRow]:
    """The next `size` scanned participations by id (keyset pagination: no OFFSET)."""
    participations = Participation.objects.filter(
        pk__gt=after,
        status=Participation.Status.ACTIVE,
        collaboration__status__in=SCANNED_COLLABORATION_STATUSES,
        joined_on__lte=day.date,
    )
    if collaboration_ids is not None:
        participations = participations.filter(collaboration_id__in=collaboration_ids)
    return [
        ParticipationRow(*values)
        for values in participations.order_by("pk").values_list(
            "pk", "collaboration_id", "organisation_id", "joined_on"
        )[:size]
    ]


def _store_snapshots(day: Day, rows: list[Row]) -> int:
    """Upsert the batch's snapshots in one statement; the database leaves a row whose figures
    are unchanged alone, so a second scan on the same day writes nothing. Returns the rows
    written. (collabhub.bulk rather than bulk_create(update_conflicts=True): the same
    statement without the ORM's per-value cost, which dominated the scan at national scale.)"""
    return upsert(
        EngagementSnapshot,
        rows,
        conflict=["participation_id", "scan_date"],
        update=[*SNAPSHOT_FIELDS, "computed_at"],
        compare=SNAPSHOT_FIELDS,
    )


# The previous scan is the latest within this many days (a deployment may scan less than daily).
PREVIOUS_SCAN_DAYS = 31


def json_safe(value):
    """Dates and decimals as JSON text (the snapshot's JSON columns)."""
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


def _read_previous(rows, day: Day, policies) -> tuple[dict[int, Previous], dict[int, int]]:
    """The latest earlier snapshot of each participation within PREVIOUS_SCAN_DAYS (its state
    and streaks),
    and its score `trend_days` before the scan date (the latest within a week before that):
    two indexed reads of the batch's range."""
    in_range = {"participation_id__gte": rows[0].pk, "participation_id__lte": rows[-1].pk}
    previous = {}
    for pk, on, state, warning, clear, score, evidence in (
        EngagementSnapshot.objects.filter(
            **in_range,
            scan_date__gte=day.date - dt.timedelta(days=PREVIOUS_SCAN_DAYS),
            scan_date__lt=day.date,
        )
        .order_by("participation_id", "scan_date")
        .values_list(
            "participation_id",
            "scan_date",
            "state",
            "warning_streak",
            "clear_streak",
            "score",
            "drift_evidence",
        )
    ):
        previous[pk] = Previous(state, warning, clear, score, evidence, (day.date - on).days)
    spans = {policies[row.collaboration_id].trend_days for row in rows}
    then: dict[tuple[int, int], int] = {}
    for span in spans:
        target = day.date - dt.timedelta(days=span)
        for pk, score in (
            EngagementSnapshot.objects.filter(
                **in_range,
                scan_date__gte=target - dt.timedelta(days=7),
                scan_date__lte=target,
            )
            .order_by("participation_id", "scan_date")
            .values_list("participation_id", "score")
        ):
            then[(span, pk)] = score
    return previous, {
        row.pk: then[key]
        for row in rows
        if (key := (policies[row.collaboration_id].trend_days, row.pk)) in then
    }


def _handle_flags(
    day: Day,
    watches: dict[int, tuple[Assessment, Watch]],
    policies: dict[int, Policy],
    collaboration_of: dict[int, int],
    result: ScanResult,
    now,
) -> None:
    """Raise, refresh, close or reopen each scored participation's flag (docs/engagement.md,
    "Flags"): two reads and at most three bulk writes per batch.

    - raised when a warning state (drifting, at risk, disengaged) has held for
      `flag_after_scans` consecutive scans, or at once on a drop of `sharp_drop` points;
    - closed only when the partner has been clear — engaged, not drifting, and at least
      `release_margin` points above engaged_min — for `flag_after_scans` scans (hysteresis);
    - raised again within `reopen_days` of closing: the same flag reopens, keeping its history,
      and is not announced as new; a flag a person resolved stands until the partner has been
      out of warning since, or gets worse."""
    ids = sorted(watches)
    in_range = Q(participation_id__gte=ids[0], participation_id__lte=ids[-1])
    flags = {
        flag.participation_id: flag
        for flag in Flag.objects.filter(in_range, status__in=Flag.OPEN_STATUSES).only(
            "pk", "participation_id", "band", "state", "score", "reasons", "notified_at", "status"
        )
    }
    wanted = [
        pk for pk, (_assessment, state) in watches.items() if pk not in flags and state.is_warning
    ]
    latest: dict[int, Flag] = {}
    if wanted:
        for flag in (
            Flag.objects.filter(participation_id__in=wanted)
            .order_by("participation_id", "created_at", "pk")
            .only("pk", "participation_id", "status", "state", "closed_on", "reopened_count")
        ):
            latest[flag.participation_id] = flag
    changed, created = [], []
    for pk, (assessment, state) in watches.items():
        policy = policies[collaboration_of[pk]]
        flag = flags.get(pk)
        if flag is not None:
            if state.clear_streak >= policy.flag_after_scans:
                flag.status, flag.closed_at = Flag.Status.AUTO_CLOSED, now
                flag.closed_on = day.date
                changed.append(flag)
                result.flags_auto_closed += 1
            elif state.is_warning and (
                (flag.state, flag.band, flag.score, flag.reasons)
                != (state.state, assessment.band, assessment.score, assessment.reasons)
            ):
                if SEVERITY[state.state] > SEVERITY[flag.state]:
                    flag.notified_at = None  # worse: the next digest says so
                flag.state, flag.band = state.state, assessment.band
                flag.score, flag.reasons = assessment.score, assessment.reasons
                changed.append(flag)
                result.flags_updated += 1
            continue
        if not state.is_warning:
            continue
        sharp = (
            state.previous_score is not None
            and state.previous_score - assessment.score >= policy.sharp_drop
        )
        if state.warning_streak < policy.flag_after_scans and not sharp:
            continue
        before = latest.get(pk)
        closed_on = before.closed_on if before is not None else None
        if (
            before is not None
            and before.status == Flag.Status.RESOLVED
            and closed_on is not None
            # In warning every scan since a person resolved it, and no worse: it stands.
            and state.warning_streak > (day.date - closed_on).days
            and SEVERITY[state.state] <= SEVERITY[before.state]
        ):
            continue
        if (
            before is not None
            and before.status == Flag.Status.AUTO_CLOSED
            and closed_on is not None
            and (day.date - closed_on).days <= policy.reopen_days
        ):
            before.status, before.closed_at, before.closed_on = Flag.Status.OPEN, None, None
            before.reopened_count += 1
            before.reopened_on = day.date
            before.state, before.band = state.state, assessment.band
            before.score, before.reasons = assessment.score, assessment.reasons
            changed.append(before)
            result.flags_reopened += 1
            continue
        created.append(
            Flag(
                participation_id=pk,
                band=assessment.band,
                state=state.state,
                score=assessment.score,
                reasons=assessment.reasons,
                status=Flag.Status.OPEN,
                raised_on=day.date,
            )
        )
    if changed:
        Flag.objects.bulk_update(
            changed,
            [
                "status",
                "closed_at",
                "closed_on",
                "state",
                "band",
                "score",
                "reasons",
                "notified_at",
                "reopened_count",
                "reopened_on",
            ],
        )
    # A concurrent scan may have raised the same flag: the one-open-flag constraint keeps one.
    Flag.objects.bulk_create(created, ignore_conflicts=True)
    result.flags_raised += len(created)


def flags_close_not_scanned(
    *, collaboration_id: int | None = None, participation_id: int | None = None, now=None
) -> int:
    """Close, as NOT_SCANNED, the open flags of participations the scan no longer visits: a
    partner withdrawn (or back to invited), a collaboration paused, concluded or dissolved. One
    UPDATE. The scan runs it over everything after its batches; the services that change a
    participation's or a collaboration's status run it over theirs at once. So such a flag
    never lingers open, is not counted on the dashboard and is never announced."""
    flags = Flag.objects.filter(status__in=Flag.OPEN_STATUSES).filter(
        ~Q(participation__status=Participation.Status.ACTIVE)
        | ~Q(participation__collaboration__status__in=SCANNED_COLLABORATION_STATUSES)
    )
    if collaboration_id is not None:
        flags = flags.filter(participation__collaboration_id=collaboration_id)
    if participation_id is not None:
        flags = flags.filter(participation_id=participation_id)
    return flags.update(status=Flag.Status.NOT_SCANNED, closed_at=now or timezone.now())


# Distinct (figures, policy) pairs a scan keeps scored: enough for the common ones (perfect
# attendance, nothing overdue...), bounded so a national scan's memory stays flat.
MEMO_SIZE = 50_000


def _scan_batch(
    rows: list[ParticipationRow],
    day: Day,
    default: Policy,
    result: ScanResult,
    memo: dict[tuple[Figures, Policy], tuple[Assessment, dict]] | None = None,
    policy: Policy | None = None,
):
    """Score one batch and write its snapshots and flags in one transaction: a scan stopped
    between batches leaves whole batches behind, and a rerun recomputes the same values.
    `memo` carries the scores of distinct figures from batch to batch (never mutated);
    `policy`, when given, replaces every collaboration's (the backtest's trial policy)."""
    now = timezone.now()
    memo = {} if memo is None else memo
    if len(memo) > MEMO_SIZE:
        memo.clear()
    with transaction.atomic():
        if policy is None:
            policies = policies_for({row.collaboration_id for row in rows}, default=default)
        else:
            policies = dict.fromkeys({row.collaboration_id for row in rows}, policy)
        figures = read_figures(rows, policies, day)
        previous, score_then = _read_previous(rows, day, policies)
        watches, snapshots = {}, []
        for row in rows:
            row_policy = policies[row.collaboration_id]
            key = (figures[row.pk], row_policy)
            if key not in memo:
                assessment = assess(figures[row.pk], row_policy)
                memo[key] = (assessment, snapshot_values(assessment, row_policy))
            assessment, values = memo[key]
            state = watch(assessment, row_policy, previous.get(row.pk), score_then.get(row.pk))
            reasons = [*assessment.reasons, *state.reasons]
            if state.reasons:
                assessment = replace(assessment, reasons=reasons)
            watches[row.pk] = (assessment, state)
            snapshots.append(
                Row(
                    {
                        "participation_id": row.pk,
                        "scan_date": day.date,
                        "computed_at": now,
                        "state": state.state,
                        "warning_streak": state.warning_streak,
                        "clear_streak": state.clear_streak,
                        "drift_evidence": state.evidence,
                        "trend": {
                            **trend_figures(figures[row.pk].trend, state),
                            "survey": json_safe(thaw(figures[row.pk].survey)),
                        },
                        "reasons": reasons,
                    },
                    values,
                )
            )
        result.snapshots_written += _store_snapshots(day, snapshots)
        _handle_flags(
            day,
            watches,
            policies,
            {row.pk: row.collaboration_id for row in rows},
            result,
            now,
        )
    result.participations_scored += len(rows)
    result.batches += 1


def engagement_scan(
    *,
    scan_date: dt.date | None = None,
    batch_size: int = 5000,
    send_digests: bool = True,
    collaboration_ids=None,
    policy: Policy | None = None,
) -> ScanResult:
    """Score every active participation of every active collaboration on `scan_date` (today by
    default), store one snapshot each, raise / refresh / close flags, then send each commissioner
    one digest of the flags they have not been told about. Open flags of participations it no
    longer scans (withdrawn partners, collaborations no longer active) are closed as NOT_SCANNED
    in one UPDATE after the batches. `collaboration_ids` and `policy` narrow and override it
    (the backtest).

    Set-based: per batch of participations a fixed number of queries, whatever the batch size.
    Idempotent: a second run on the same day changes nothing. Interruptible: batches commit one
    by one and a rerun recomputes the same values, then sends the digest the first run did not."""
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    day = Day.of(scan_date or timezone.localdate())
    result = ScanResult(scan_date=day.date)
    with translation.override(settings.LANGUAGE_CODE):
        default = default_policy()
        memo: dict[tuple[Figures, Policy], tuple[Assessment, dict]] = {}
        after = 0
        while True:
            rows = _next_batch(
                after=after, day=day, size=batch_size, collaboration_ids=collaboration_ids
            )
            if rows:
                _scan_batch(rows, day, default, result, memo, policy)
                after = rows[-1].pk
            if len(rows) < batch_size:
                break
        if collaboration_ids is None:
            # The batches visit only scanned participations: close the flags they cannot reach.
            result.flags_closed_not_scanned = flags_close_not_scanned()
            _refresh_statistics()
        if send_digests:
            result.digests_sent = flag_digests_send()
    logger.info("%s", result)
    return result


def engagement_scan_finish(*, today: dt.date | None = None) -> ScanResult | None:
    """Complete today's scan if one began and stopped part-way — its worker killed, its machine
    lost — within the hour, rather than when the broker redelivers it hours later. Run hourly
    by beat: when today's scan is whole (or has not begun) it costs two indexed queries and
    does nothing; when some scanned participation has no snapshot today it reruns the scan,
    which keeps what the first run wrote and completes the rest, digest included."""
    day = today or timezone.localdate()
    if not EngagementSnapshot.objects.filter(scan_date=day).exists():
        return None
    missing = (
        Participation.objects.filter(
            status=Participation.Status.ACTIVE,
            collaboration__status__in=SCANNED_COLLABORATION_STATUSES,
            joined_on__lte=day,
        )
        .exclude(
            Exists(EngagementSnapshot.objects.filter(participation=OuterRef("pk"), scan_date=day))
        )
        .exists()
    )
    if not missing:
        return None
    logger.warning("Today's engagement scan stopped part-way: completing it")
    return engagement_scan(scan_date=day)


def _refresh_statistics() -> None:
    """Tell PostgreSQL's planner about the day's snapshots and flags right away. Until
    autovacuum gets round to it, the statistics say no snapshot has today's date, and the
    dashboard's queries on the latest scan pick plans made for one row, not for thousands:
    33 s instead of milliseconds for a portfolio at F=0.1 (docs/performance.md)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE commissioner_engagementsnapshot, commissioner_flag")


# Digests --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DigestLine:
    """What a digest says of one flag (read as values: a national scan announces thousands)."""

    pk: int
    band: str
    score: int
    reasons: list[str]
    organisation: str
    collaboration: str


def _digest_message(commissioner: User, lines_of: list[DigestLine]) -> mail.EmailMessage:
    count = len(lines_of)
    subject = ngettext(
        "CollabHub: %(count)s partner needs attention",
        "CollabHub: %(count)s partners need attention",
        count,
    ) % {"count": count}
    lines = [
        _("Hello %(name)s,") % {"name": commissioner.get_full_name() or commissioner.username},
        "",
        ngettext(
            "The engagement scan flagged %(count)s partner on your collaborations (newly, or "
            "worse than when you were last told):",
            "The engagement scan flagged %(count)s partners on your collaborations (newly, or "
            "worse than when you were last told):",
            count,
        )
        % {"count": count},
        "",
    ]
    # Labels translated and the link reversed once per message, not once per flag.
    bands = {value: str(label) for value, label in State.choices}
    score = _("score")
    link = site_url(reverse("commissioner:flag_detail", kwargs={"pk": 0}))
    before, after = link.rsplit("/0/", 1)
    for flag in lines_of:
        lines.append(
            f"- {flag.organisation} — {flag.collaboration}: {bands[flag.band]} ({score} "
            f"{flag.score})"
        )
        lines.extend(f"    · {reason}" for reason in flag.reasons)
        lines.append(f"    {before}/{flag.pk}/{after}")
    lines += [
        "",
        _("The flag inbox lists every open flag: %(link)s")
        % {"link": site_url(reverse("commissioner:flag_list"))},
    ]
    return mail.EmailMessage(subject=subject, body="\n".join(lines), to=[commissioner.email])


# A message to send and what to undo when the mail server does not take it.
Outgoing = tuple[mail.EmailMessage, Callable[[], None]]


def _send_each(outgoing: list[Outgoing], what: str) -> list[bool]:
    """Send each message on its own over one connection; returns, per message, whether the mail
    server took it. A message it did not take (an error, or a backend reporting 0 sent) has its
    undo run, so what is recorded as sent is exactly what went out and the next run sends the
    rest."""
    delivered: list[bool] = []
    if not outgoing:
        return delivered
    mail_connection = mail.get_connection()
    try:
        mail_connection.open()
    except Exception:
        # The backend opens again on the first send; if the server is really down, each
        # message's failure is handled below.
        logger.warning("Could not open the mail connection for %s; trying each message", what)
    try:
        for message, undo in outgoing:
            try:
                sent = bool(mail_connection.send_messages([message]))
            except Exception:
                logger.exception("Could not send %s to %s; the next run retries", what, message.to)
                sent = False
            if not sent:
                undo()
            delivered.append(sent)
    finally:
        try:
            mail_connection.close()
        except Exception:
            logger.warning("Could not close the mail connection after sending %s", what)
    return delivered


def _send_on_commit(outgoing: list[Outgoing], what: str) -> list[bool]:
    """Send `outgoing` once the current transaction commits. The list returned says, per
    message, whether it went out — once that has happened (until then, every one counts)."""
    delivered = [True] * len(outgoing)

    def send() -> None:
        delivered[:] = _send_each(outgoing, what)

    transaction.on_commit(send)
    return delivered


def flag_digests_send() -> int:
    """One e-mail per commissioner listing the open flags of their collaborations nobody has
    been told about. The flags are marked notified in the same transaction that locks them, and
    the mail leaves only after that commits: a flag is never announced twice. Digests are sent
    one by one; the flags of a digest the mail server refused are unmarked (only those), so the
    next scan announces them and nothing twice. Returns the digests sent."""
    marked_at = timezone.now()
    with transaction.atomic():
        rows = list(
            Flag.objects.select_for_update(of=("self",))
            .filter(
                notified_at__isnull=True,
                status__in=Flag.OPEN_STATUSES,
                # Never a partner that withdrew or a collaboration no longer active (the scan
                # closes those flags; this holds even before it has).
                participation__status=Participation.Status.ACTIVE,
                participation__collaboration__status__in=SCANNED_COLLABORATION_STATUSES,
                participation__collaboration__commissioner__isnull=False,
                participation__collaboration__commissioner__is_active=True,
            )
            .exclude(participation__collaboration__commissioner__email="")
            .order_by("participation__collaboration__title", "participation__organisation__name")
            .values_list(
                "participation__collaboration__commissioner_id",
                "participation__collaboration__commissioner__username",
                "participation__collaboration__commissioner__first_name",
                "participation__collaboration__commissioner__last_name",
                "participation__collaboration__commissioner__email",
                "participation__collaboration__commissioner__preferred_language",
                "pk",
                "state",
                "score",
                "reasons",
                "participation__organisation__name",
                "participation__collaboration__title",
            )
        )
        if not rows:
            return 0
        by_commissioner: dict[int, list[DigestLine]] = defaultdict(list)
        commissioners = {}
        for pk, username, first_name, last_name, email, language, *line in rows:
            if pk not in commissioners:
                commissioners[pk] = User(
                    pk=pk,
                    username=username,
                    first_name=first_name,
                    last_name=last_name,
                    email=email,
                    preferred_language=language,
                )
            by_commissioner[pk].append(DigestLine(*line))
        announced = [line.pk for group in by_commissioner.values() for line in group]
        Flag.objects.filter(pk__in=announced).update(notified_at=marked_at)

        def unmark(group: list[DigestLine]) -> Callable[[], None]:
            ids = [flag.pk for flag in group]
            return lambda: Flag.objects.filter(pk__in=ids, notified_at=marked_at).update(
                notified_at=None
            )

        outgoing = [
            (
                written_in(
                    recipient_language(commissioners[pk]),
                    _digest_message,
                    commissioners[pk],
                    group,
                ),
                unmark(group),
            )
            for pk, group in by_commissioner.items()
        ]
        delivered = _send_on_commit(outgoing, "an engagement digest")
    return sum(delivered)


# "Scan now" -----------------------------------------------------------------------------------


def _broker_errors() -> tuple[type[BaseException], ...]:
    from kombu.exceptions import OperationalError as KombuOperationalError

    errors: list[type[BaseException]] = [KombuOperationalError, ConnectionError, TimeoutError]
    try:
        import redis.exceptions

        errors += [redis.exceptions.ConnectionError, redis.exceptions.TimeoutError]
    except ImportError:  # pragma: no cover - redis is a dependency
        pass
    return tuple(errors)


def engagement_scan_request(*, actor) -> bool:
    """ "Scan now": queue the scan once the current transaction commits. Returns False when the
    broker could not take it (logged; the page says so) — never an error for the request."""
    _require_commissioner(actor)
    from .tasks import engagement_scan_task

    outcome = {"queued": True}

    def enqueue() -> None:
        try:
            engagement_scan_task.delay()
        except _broker_errors() as exc:
            outcome["queued"] = False
            logger.error("Could not queue the engagement scan (%s: %s)", type(exc).__name__, exc)
        except Exception:
            # Without a broker the task runs in-process; its failure must not fail the page.
            outcome["queued"] = False
            logger.exception("The engagement scan requested by %s failed", actor)

    transaction.on_commit(enqueue)
    return outcome["queued"]


# Reminders ------------------------------------------------------------------------------------


def _primary_email(organisation_ref: str, field: str = "email") -> Subquery:
    """The organisation's primary contact's e-mail (or its `field`: its preferred language)."""
    return Subquery(
        Contact.objects.filter(
            organisation_id=OuterRef(organisation_ref), is_primary=True, is_active=True
        )
        .exclude(email="")
        .order_by("pk")
        .values(field)[:1]
    )


def obligation_reminders_send(*, today: dt.date | None = None) -> int:
    """Remind each responsible organisation's primary contact of its pending obligations due
    within OBLIGATION_REMINDER_DAYS and of those overdue; each reminder goes out once (a Reminder
    row per obligation and kind, inserted before the mail leaves, so a concurrent run cannot send
    it too). One e-mail per recipient; when the mail server does not take one, its reminders are
    deleted again and the next run sends them. Returns the reminders sent."""
    today = today or timezone.localdate()
    horizon = today + dt.timedelta(days=settings.OBLIGATION_REMINDER_DAYS)
    pending = (
        Obligation.objects.filter(status=Obligation.Status.PENDING)
        .exclude(collaboration__status__in=CLOSED_COLLABORATION_STATUSES)
        .annotate(recipient=_primary_email("organisation_id"))
        .annotate(recipient_language=_primary_email("organisation_id", "preferred_language"))
        .filter(recipient__isnull=False)
        .select_related("collaboration", "organisation")
        .order_by("due_date", "pk")
    )
    kinds = [
        (Reminder.Kind.OBLIGATION_DUE_SOON, Q(due_date__gte=today, due_date__lte=horizon)),
        (Reminder.Kind.OBLIGATION_OVERDUE, Q(due_date__lt=today)),
    ]
    recorded_at = timezone.now()
    try:
        with transaction.atomic():
            reminders, by_recipient = [], defaultdict(list)
            for kind, when in kinds:
                sent = Reminder.objects.filter(obligation=OuterRef("pk"), kind=kind)
                for obligation in pending.filter(when).exclude(Exists(sent)):
                    reminders.append(
                        Reminder(
                            kind=kind,
                            obligation=obligation,
                            recipient=obligation.recipient,
                            sent_at=recorded_at,
                        )
                    )
                    by_recipient[obligation.recipient].append((kind, obligation))
            # A concurrent run inserting the same reminder makes this one roll back, unsent.
            Reminder.objects.bulk_create(reminders)
            with translation.override(settings.LANGUAGE_CODE):
                outgoing = [
                    (
                        written_in(
                            items[0][1].recipient_language,
                            _obligation_message,
                            recipient,
                            items,
                            today,
                        ),
                        _forget_reminders(
                            [Q(kind=kind, obligation_id=o.pk) for kind, o in items], recorded_at
                        ),
                    )
                    for recipient, items in by_recipient.items()
                ]
            delivered = _send_on_commit(outgoing, "obligation reminders")
    except IntegrityError:
        logger.warning("Obligation reminders are being sent by another run; skipped")
        return 0
    sizes = [len(items) for items in by_recipient.values()]
    return sum(size for size, sent in zip(sizes, delivered, strict=True) if sent)


def _forget_reminders(keys: list[Q], recorded_at) -> Callable[[], None]:
    """Undo for a reminder e-mail the mail server did not take: delete the Reminder rows this
    run recorded for it, so the next run sends it again."""

    def forget() -> None:
        which = Q()
        for key in keys:
            which |= key
        Reminder.objects.filter(which, sent_at=recorded_at).delete()

    return forget


def _obligation_message(recipient: str, items, today: dt.date) -> mail.EmailMessage:
    lines = [
        _("Hello,"),
        "",
        _("A reminder of what your organisation owes its collaborations:"),
        "",
    ]
    for kind, obligation in items:
        if kind == Reminder.Kind.OBLIGATION_OVERDUE:
            when = _("overdue since %(date)s (%(days)s days)") % {
                "date": obligation.due_date.isoformat(),
                "days": (today - obligation.due_date).days,
            }
        else:
            when = _("due on %(date)s") % {"date": obligation.due_date.isoformat()}
        lines.append(f"- {obligation.collaboration.title}: {obligation.description} — {when}")
        lines.append(
            "    "
            + site_url(
                reverse(
                    "agreements:collaboration_detail",
                    kwargs={"slug": obligation.collaboration.slug},
                )
            )
        )
    lines += ["", _("Mark an obligation met in CollabHub, or through the API, when it is done.")]
    subject = ngettext(
        "CollabHub: %(count)s obligation to attend to",
        "CollabHub: %(count)s obligations to attend to",
        len(items),
    ) % {"count": len(items)}
    return mail.EmailMessage(subject=subject, body="\n".join(lines), to=[recipient])


def agreement_renewal_reminders_send(*, today: dt.date | None = None) -> int:
    """Tell the lead organisation's primary contact (copying the commissioner) that an agreement
    in force has reached its renewal notice period (expiry_date - renewal_notice_days ≤ today);
    once per agreement (a reminder the mail server did not take is deleted again, and the next
    run sends it). Returns the reminders sent."""
    today = today or timezone.localdate()
    sent = Reminder.objects.filter(agreement=OuterRef("pk"), kind=Reminder.Kind.AGREEMENT_RENEWAL)
    candidates = (
        Agreement.objects.filter(status=Agreement.Status.IN_FORCE, expiry_date__isnull=False)
        .exclude(collaboration__status__in=CLOSED_COLLABORATION_STATUSES)
        .exclude(Exists(sent))
        .annotate(lead_email=_primary_email("collaboration__lead_organisation_id"))
        .annotate(
            lead_language=_primary_email(
                "collaboration__lead_organisation_id", "preferred_language"
            )
        )
        .select_related("collaboration__commissioner")
        .order_by("expiry_date", "pk")
    )
    # The notice period differs per agreement: bound the read by the longest one, then compare
    # exactly here (date arithmetic on a column is not portable between SQLite and PostgreSQL).
    longest = (
        candidates.order_by("-renewal_notice_days")
        .values_list("renewal_notice_days", flat=True)
        .first()
    )
    if longest is None:
        return 0
    due = [
        agreement
        for agreement in candidates.filter(expiry_date__lte=today + dt.timedelta(days=longest))
        # shift(): an expiry stored before dates were bounded (year 1) must not overflow.
        if shift(agreement.expiry_date, -agreement.renewal_notice_days) <= today
    ]
    recorded_at = timezone.now()
    try:
        with transaction.atomic():
            reminders, outgoing = [], []
            with translation.override(settings.LANGUAGE_CODE):
                for agreement in due:
                    commissioner = agreement.collaboration.commissioner
                    cc = [commissioner.email] if commissioner and commissioner.email else []
                    to = [agreement.lead_email] if agreement.lead_email else cc[:1]
                    if not to:
                        continue
                    cc = [address for address in cc if address not in to]
                    reminders.append(
                        Reminder(
                            kind=Reminder.Kind.AGREEMENT_RENEWAL,
                            agreement=agreement,
                            recipient=to[0],
                            sent_at=recorded_at,
                        )
                    )
                    key = Q(kind=Reminder.Kind.AGREEMENT_RENEWAL, agreement_id=agreement.pk)
                    outgoing.append(
                        (
                            written_in(
                                agreement.lead_language
                                if agreement.lead_email
                                else recipient_language(commissioner),
                                _renewal_message,
                                agreement,
                                to,
                                cc,
                                today,
                            ),
                            _forget_reminders([key], recorded_at),
                        )
                    )
            Reminder.objects.bulk_create(reminders)
            delivered = _send_on_commit(outgoing, "agreement renewal reminders")
    except IntegrityError:
        logger.warning("Agreement renewal reminders are being sent by another run; skipped")
        return 0
    return sum(delivered)


def _renewal_message(agreement: Agreement, to, cc, today: dt.date) -> mail.EmailMessage:
    days = (agreement.expiry_date - today).days
    if days >= 0:
        when = ngettext(
            "expires on %(date)s, in %(days)s day",
            "expires on %(date)s, in %(days)s days",
            days,
        ) % {"date": agreement.expiry_date.isoformat(), "days": days}
    else:
        when = _("expired on %(date)s") % {"date": agreement.expiry_date.isoformat()}
    body = "\n".join(
        [
            _("Hello,"),
            "",
            _(
                "“%(title)s” (version %(version)s) of %(collaboration)s %(when)s. Its renewal "
                "notice period of %(notice)s days has begun: decide whether to renew it."
            )
            % {
                "title": agreement.title,
                "version": agreement.version,
                "collaboration": agreement.collaboration.title,
                "when": when,
                "notice": agreement.renewal_notice_days,
            },
            "",
            site_url(
                reverse(
                    "agreements:agreement_detail",
                    kwargs={"slug": agreement.collaboration.slug, "pk": agreement.pk},
                )
            ),
        ]
    )
    subject = _("CollabHub: renewal notice for %(title)s") % {"title": agreement.title}
    return mail.EmailMessage(subject=subject, body=body, to=to, cc=cc)
