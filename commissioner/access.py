"""Who may do what in the commissioner app (docs/permissions.md), in the vocabulary of
core.actors; managers of a collaboration are decided by agreements.access."""

from __future__ import annotations

from agreements.access import may_manage_collaboration
from core.actors import commissions, is_administrator, is_partner, signed_in

__all__ = [
    "may_commission",
    "may_manage_collaboration",
    "may_set_default_policy",
    "signed_in",
]


def may_commission(actor) -> bool:
    """The dashboard, flags, interventions, check-ins, "scan now" and per-collaboration policies:
    administrators and commissioners; never staff or partner tokens."""
    return commissions(actor)


def may_set_default_policy(actor) -> bool:
    """The system-wide engagement policy is the administrators' (README: roles)."""
    return not is_partner(actor) and signed_in(actor) and is_administrator(actor)
