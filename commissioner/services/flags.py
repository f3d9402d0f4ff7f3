"""The commissioners' actions on flags and the interventions they take."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core import fields
from core.errors import CONFLICT, DomainError

from ..models import (
    EngagementSnapshot,
    Flag,
    Intervention,
)
from .common import _require_commissioner


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
    note = fields.text(
        Flag, "resolution_note", note, required=True, label=_("how it was resolved"), field="note"
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
    description = fields.text(Intervention, "description", description)
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
    outcome = fields.text(Intervention, "outcome", outcome, required=True)
    intervention = Intervention.objects.select_for_update().get(pk=intervention.pk)
    if intervention.completed_at is not None:
        raise DomainError(
            _("This intervention is already completed."), field="outcome", code=CONFLICT
        )
    intervention.outcome = outcome
    intervention.completed_at = timezone.now()
    intervention.save(update_fields=["outcome", "completed_at"])
    return intervention
