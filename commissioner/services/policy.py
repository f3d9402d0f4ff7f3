"""The engagement policy: the default, a collaboration's own, and one tried before it is set."""

from __future__ import annotations

from dataclasses import asdict

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from agreements.models import Collaboration
from core.errors import DomainError

from ..access import may_set_default_policy
from ..engagement import (
    EARLY_WARNING_FIELDS,
    POLICY_FIELDS,
    SIGNALS,
    Policy,
    policy_in_force,
)
from ..models import (
    EngagementPolicy,
)
from .common import _require_commissioner

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
    "drift_contact_left": (0, 1000),
    "flag_after_scans": (1, 30),
    "sharp_drop": (1, 100),
    "release_margin": (0, 30),
    "reopen_days": (0, 365),
    "new_partner_days": (0, 365),
    "new_partner_meetings": (0, 24),
}


WEIGHT_FIELDS = [f"weight_{signal}" for signal in SIGNALS]


def policy_limits(name: str) -> tuple[int, int]:
    """The lowest and highest value a policy setting takes (a weight: 0 to 100)."""
    return POLICY_LIMITS.get(name, (0, 100))


def out_of_limits(name: str) -> str:
    """The message for a value of `name` outside its limits (the form and the services say the
    same)."""
    low, high = policy_limits(name)
    return _("Enter a number from %(low)s to %(high)s.") % {"low": low, "high": high}


def clean_policy(values: dict) -> dict:
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
        low, high = policy_limits(name)
        if not low <= value <= high:
            raise DomainError(out_of_limits(name), field=name)
        cleaned[name] = value
    if not any(cleaned[name] for name in WEIGHT_FIELDS):
        raise DomainError(_("At least one weight must be above zero."), field="weight_attendance")
    if cleaned["engaged_min"] <= cleaned["at_risk_min"]:
        raise DomainError(
            _("The engaged band must start above the at-risk band."), field="engaged_min"
        )
    if "drift_contact_left" in cleaned and "drift_evidence" in cleaned:
        _check_contact_left(cleaned["drift_contact_left"], cleaned["drift_evidence"])
    return cleaned


def _check_contact_left(contact_left: int, evidence: int) -> None:
    """A contact gone or changed lowers the bar for drifting; it cannot make every such partner
    drifting on its own."""
    if contact_left >= evidence:
        raise DomainError(
            _("Enter a number under the drift evidence at which a partner is drifting (%(n)s).")
            % {"n": evidence},
            field="drift_contact_left",
        )


def policy_trial(*, actor, collaboration: Collaboration, values: dict) -> Policy:
    """A policy to try in the backtest, not saved: `values` over the policy in force (only
    commissioners; the same rules as policy_set)."""
    _require_commissioner(actor)
    current, _own = policy_in_force(collaboration=collaboration)
    given = {name: value for name, value in values.items() if value not in (None, "")}
    return Policy(**clean_policy({**asdict(current), **given}))


@transaction.atomic
def policy_set(*, actor, collaboration: Collaboration | None = None, **values) -> EngagementPolicy:
    """Set the system default (collaboration None: administrators) or a collaboration's own
    policy (administrators and commissioners). Every threshold is given."""
    if collaboration is None and not may_set_default_policy(actor):
        raise PermissionDenied(_("Only administrators set the default engagement policy."))
    if collaboration is not None:
        _require_commissioner(actor)
    cleaned = clean_policy(values)
    policy = (
        EngagementPolicy.objects.select_for_update().filter(collaboration=collaboration).first()
    )
    if policy is None:
        policy = EngagementPolicy(collaboration=collaboration)
    for name, value in cleaned.items():
        setattr(policy, name, value)
    # Either may have been left out (it keeps its value): checked together once merged.
    _check_contact_left(policy.drift_contact_left, policy.drift_evidence)
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
