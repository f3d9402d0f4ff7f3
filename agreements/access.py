"""Who may do what to a collaboration and its children (docs/permissions.md, "Writing"), in one
place: the services enforce these, the views and the API ask them to decide what to offer."""

from __future__ import annotations

from core.actors import (
    actor_organisation_id,
    is_administrator,
    is_partner,
)


def _signed_in(actor) -> bool:
    return bool(getattr(actor, "is_authenticated", False))


def may_create_collaboration(actor) -> bool:
    """Administrators, commissioners and staff users; never a partner token."""
    if is_partner(actor) or not _signed_in(actor):
        return False
    return is_administrator(actor) or getattr(actor, "role", None) in {"commissioner", "staff"}


def may_manage_collaboration(actor, collaboration) -> bool:
    """A manager: an administrator, the collaboration's commissioner, or a staff user of its lead
    organisation. Managers edit the collaboration and everything in it."""
    if is_partner(actor) or not _signed_in(actor):
        return False
    if is_administrator(actor):
        return True
    if collaboration.commissioner_id is not None and collaboration.commissioner_id == actor.pk:
        return True
    organisation_id = actor_organisation_id(actor)
    return organisation_id is not None and organisation_id == collaboration.lead_organisation_id


def may_act_for(actor, organisation_id: int) -> bool:
    """Staff of `organisation_id`, or a read-write token of it: they act for that organisation
    itself (report its measurements, sign for it, mark its obligations met)."""
    if not _signed_in(actor):
        return False
    if is_partner(actor) and not actor.can_write:
        return False
    return actor_organisation_id(actor) == organisation_id


def may_report_measurement(actor, collaboration, organisation_id: int) -> bool:
    return may_manage_collaboration(actor, collaboration) or may_act_for(actor, organisation_id)


def may_sign(actor, signatory) -> bool:
    """The signatory organisation itself, or a manager recording a wet signature."""
    return may_act_for(actor, signatory.organisation_id) or may_manage_collaboration(
        actor, signatory.agreement.collaboration
    )


def may_mark_met(actor, obligation) -> bool:
    return may_act_for(actor, obligation.organisation_id) or may_manage_collaboration(
        actor, obligation.collaboration
    )
