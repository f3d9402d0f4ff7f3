"""Measurements of shared goals: reported once per period by a partner or staff, corrected or
withdrawn with a reason, a repeated report answered with the row it repeats."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import cast

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core import fields
from core.actors import actor_organisation_id, is_partner
from core.bounds import check_date, shift
from core.errors import CONFLICT, DomainError
from core.events import PartnerActed, publish
from core.integrity import integrity_conflict
from core.locking import copy_row
from partners.models import Organisation

from ..access import (
    may_manage_collaboration,
    may_report_measurement,
)
from ..models import (
    Collaboration,
    Measurement,
    Participation,
    SharedGoal,
)
from ..rules import require_open_for_partner_writes
from .common import (
    _lock_collaboration,
    _not_participating_error,
    _participating,
    _stamp,
    _token,
    _user,
)


def goal_reporting_began(goal: SharedGoal) -> dt.date:
    """When reporting on `goal` began: the collaboration's start, or the day the goal was set if
    that came first (a goal may be back-filled from the collaboration's start)."""
    began = timezone.localdate(goal.created_at) if goal.created_at else timezone.localdate()
    start = goal.collaboration.start_date
    # A start stored before dates were bounded (year 1) must not overflow the arithmetic below.
    return shift(min(began, start), 0) if start is not None else began


def earliest_period_end(goal: SharedGoal) -> dt.date:
    """The earliest period end a measurement of `goal` may report: one reporting period (of its
    cadence) before reporting on it began, so the period running then may be reported."""
    return shift(goal_reporting_began(goal), -goal.cadence_days)


def reporting_organisation(
    *, actor, collaboration: Collaboration, organisation=None
) -> Organisation | None:
    """The organisation a measurement by `actor` is reported for. Partners and staff report for
    their own organisation only; a manager may report for any participant (by default their own
    organisation if it takes part, else the lead organisation)."""
    own_id = actor_organisation_id(actor)
    if is_partner(actor) or not may_manage_collaboration(actor, collaboration):
        if organisation is not None and organisation.pk != own_id:
            raise DomainError(
                _("You report for your own organisation only."), field="reported_by_organisation"
            )
        if own_id is None:
            return None
        return actor.organisation if is_partner(actor) else Organisation.objects.get(pk=own_id)
    if organisation is not None:
        return organisation
    if (
        own_id is not None
        and collaboration.participations.filter(
            organisation_id=own_id, status=Participation.Status.ACTIVE
        ).exists()
    ):
        return Organisation.objects.get(pk=own_id)
    return collaboration.lead_organisation


@transaction.atomic
def measurement_report(
    *,
    actor,
    goal: SharedGoal,
    value,
    period_end: dt.date,
    organisation: Organisation | None = None,
    evidence: str = "",
) -> Measurement:
    """Report a value of a goal's indicator for the period ending `period_end`. A sign of life
    from the reporting organisation.

    An organisation reports a goal's period once (the `measurement_once_per_period`
    constraint). The same report again (a double click, a client's retry) answers with the row
    already stored — its `is_repeat` is True — and writes nothing; a different value for a period
    already reported is a conflict (code "conflict": the API's 409)."""
    collaboration = _lock_collaboration(goal.collaboration_id)
    goal.collaboration = collaboration
    organisation = reporting_organisation(
        actor=actor, collaboration=collaboration, organisation=organisation
    )
    refusal = PermissionDenied(
        _(
            "Only the collaboration's managers and the participating organisations may report "
            "progress."
        )
    )
    if organisation is None or not may_report_measurement(actor, collaboration, organisation.pk):
        raise refusal
    require_open_for_partner_writes(
        collaboration=collaboration,
        organisation_id=organisation.pk,
        field="reported_by_organisation",
    )
    if not _participating(collaboration, organisation):
        if not may_manage_collaboration(actor, collaboration):
            raise refusal
        raise _not_participating_error(organisation, collaboration, "reported_by_organisation")
    value = fields.amount(Measurement, "value", value)
    _check_period_end(goal, period_end)
    evidence = fields.text(Measurement, "evidence", evidence)
    earlier = _measurement_reported(goal, organisation, period_end)
    if earlier is not None:
        return _repeat_or_conflict(earlier, value=value, evidence=evidence)
    measurement = Measurement(
        goal=goal,
        value=value,
        period_end=period_end,
        reported_by_organisation=organisation,
        reported_by_user=_user(actor),
        reported_by_token=_token(actor),
        evidence=evidence,
        reported_at=timezone.now(),
    )
    _stamp(measurement, actor)
    try:
        with transaction.atomic():
            measurement.save()
    except IntegrityError as exc:
        # The same report committed between the check and the insert (no row lock covers a row
        # that does not exist yet where the collaboration was not locked, e.g. SQLite).
        earlier = _measurement_reported(goal, organisation, period_end)
        if earlier is None:
            raise integrity_conflict(exc) from exc
        return _repeat_or_conflict(earlier, value=value, evidence=evidence)
    measurement.is_repeat = False
    publish(
        PartnerActed(
            collaboration_id=collaboration.pk,
            organisation_id=organisation.pk,
            kind="measurement_reported",
            description=_("Reported %(value)s %(unit)s for “%(goal)s” (period ending %(date)s)")
            % {
                "value": value,
                "unit": goal.unit,
                "goal": goal.title,
                "date": period_end.isoformat(),
            },
            recorded_by=_user(actor),
        )
    )
    return measurement


def _check_period_end(goal: SharedGoal, period_end: dt.date | None) -> None:
    """The bounds of a measurement's period end, for a report and a correction alike."""
    if period_end is None:
        raise DomainError(_("Enter the date the reported period ended."), field="period_end")
    check_date(period_end, field="period_end")
    if period_end > timezone.localdate():
        raise DomainError(
            _(
                "A measurement reports a period that has ended: the period end cannot be in the "
                "future."
            ),
            field="period_end",
        )
    earliest = earliest_period_end(goal)
    if period_end < earliest:
        raise DomainError(
            _(
                "The period end cannot be before %(date)s: reporting on this goal began on "
                "%(began)s, and a measurement may go back one reporting period before that."
            )
            % {"date": earliest.isoformat(), "began": goal_reporting_began(goal).isoformat()},
            field="period_end",
        )


def _lock_measurement(measurement_id: int) -> Measurement:
    """The measurement, withdrawn or not, locked and read afresh (after its collaboration, in
    the lock order of core/locking.py)."""
    return (
        Measurement.all_objects.select_for_update(no_key=True, of=("self",))
        .select_related("goal", "reported_by_organisation")
        .get(pk=measurement_id)
    )


def _measurement_writable(*, actor, measurement: Measurement) -> Collaboration:
    """Lock the measurement's collaboration and then the measurement; refuse whoever may not
    change it (the reporting organisation, a manager) and a collaboration or participation in a
    final state. Returns the locked collaboration; `measurement` is refreshed from the lock."""
    collaboration = _lock_collaboration(measurement.goal.collaboration_id)
    copy_row(measurement, _lock_measurement(measurement.pk))
    measurement.goal.collaboration = collaboration
    if not may_report_measurement(actor, collaboration, measurement.reported_by_organisation_id):
        raise PermissionDenied(
            _(
                "Only the organisation that reported a measurement and the collaboration's "
                "managers may correct or withdraw it."
            )
        )
    require_open_for_partner_writes(
        collaboration=collaboration,
        organisation_id=measurement.reported_by_organisation_id,
        field="reason",
    )
    if measurement.withdrawn_at is not None:
        raise DomainError(
            _("This measurement was withdrawn on %(date)s: it can no longer be changed.")
            % {"date": timezone.localtime(measurement.withdrawn_at).date().isoformat()},
            field="reason",
            code=CONFLICT,
        )
    return collaboration


MEASUREMENT_UNCHANGED = object()


def measurement_correct(
    *,
    actor,
    measurement: Measurement,
    reason: str,
    value=MEASUREMENT_UNCHANGED,
    period_end=MEASUREMENT_UNCHANGED,
) -> Measurement:
    """Correct a measurement's value or period end, with a reason. The row changes in place: the
    history keeps the reported figure, and no new "measurement reported" activity is recorded
    (a correction is not a second sign of life). The same correction again (a retry) changes
    nothing and answers with the row; a period the organisation already reported is a conflict."""
    with transaction.atomic():
        _measurement_writable(actor=actor, measurement=measurement)
        goal = measurement.goal
        reason = fields.plain_text(
            reason, field="reason", label=_("reason"), max_length=fields.MAX_TEXT, required=True
        )
        if value is MEASUREMENT_UNCHANGED and period_end is MEASUREMENT_UNCHANGED:
            raise DomainError(
                _("Give the corrected value, the corrected period end, or both."), field="value"
            )
        new_value = (
            measurement.value
            if value is MEASUREMENT_UNCHANGED
            else cast(Decimal, fields.amount(Measurement, "value", value))
        )
        new_period_end = (
            measurement.period_end if period_end is MEASUREMENT_UNCHANGED else period_end
        )
        if new_period_end != measurement.period_end:
            _check_period_end(goal, new_period_end)
        if new_value == measurement.value and new_period_end == measurement.period_end:
            return measurement
        if new_period_end != measurement.period_end:
            other = _measurement_reported(
                goal, measurement.reported_by_organisation, new_period_end
            )
            if other is not None and other.pk != measurement.pk:
                raise DomainError(
                    _(
                        "%(organisation)s already reported %(value)s for the period ending "
                        "%(date)s: correct or withdraw that measurement instead."
                    )
                    % {
                        "organisation": other.reported_by_organisation.name,
                        "value": other.value,
                        "date": other.period_end.isoformat(),
                    },
                    field="period_end",
                    code=CONFLICT,
                )
        measurement.value = new_value
        measurement.period_end = new_period_end
        measurement.corrected_at = timezone.now()
        measurement.correction_reason = reason
        _stamp(measurement, actor, reason)
        try:
            with transaction.atomic():
                measurement.save(
                    update_fields=["value", "period_end", "corrected_at", "correction_reason"]
                )
        except IntegrityError as exc:
            raise integrity_conflict(exc) from exc
    return measurement


def measurement_withdraw(*, actor, measurement: Measurement, reason: str) -> Measurement:
    """Withdraw a measurement reported in error, with a reason. It stays in the table and its
    history but counts nowhere any more, and its period may be reported again. Withdrawing one
    already withdrawn is a conflict."""
    with transaction.atomic():
        _measurement_writable(actor=actor, measurement=measurement)
        reason = fields.plain_text(
            reason, field="reason", label=_("reason"), max_length=fields.MAX_TEXT, required=True
        )
        measurement.withdrawn_at = timezone.now()
        measurement.withdrawn_reason = reason
        _stamp(measurement, actor, reason)
        measurement.save(update_fields=["withdrawn_at", "withdrawn_reason"])
    return measurement


def _measurement_reported(goal, organisation, period_end) -> Measurement | None:
    return (
        Measurement.objects.filter(
            goal=goal, reported_by_organisation=organisation, period_end=period_end
        )
        .select_related("reported_by_organisation")
        .first()
    )


def _repeat_or_conflict(earlier: Measurement, *, value: Decimal, evidence: str) -> Measurement:
    """The stored measurement when a report repeats it exactly; a conflict otherwise."""
    if earlier.value == value and earlier.evidence == evidence:
        earlier.is_repeat = True
        return earlier
    raise DomainError(
        _(
            "%(organisation)s already reported %(value)s for the period ending %(date)s. The "
            "period is already reported: to change the figure, correct that measurement "
            "(measurement %(id)s: “Correct” on the goal's page, or POST "
            "/api/v1/measurements/%(id)s/correct/) rather than reporting the period again."
        )
        % {
            "organisation": earlier.reported_by_organisation.name,
            "value": earlier.value,
            "date": earlier.period_end.isoformat(),
            "id": earlier.pk,
        },
        field="period_end",
        code="conflict",
    )
