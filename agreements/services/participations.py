"""Participations: organisations added to a collaboration, their role and contact, withdrawals,
the structure's role rules kept while the collaboration is active."""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.bounds import check_date
from core.errors import CONFLICT, DomainError
from core.events import ScanScopeNarrowed, publish
from core.integrity import integrity_conflict
from core.locking import copy_row, lock, lock_many
from core.versioning import check_version
from partners.models import Contact, Organisation

from ..access import may_manage_collaboration
from ..models import (
    Collaboration,
    Participation,
)
from ..structures import (
    problems_for_roles,
    role_not_allowed_message,
    rules_for,
    structure_problems,
)
from .common import (
    FINAL_COLLABORATION_STATUSES,
    CollaborationStatus,
    _check_dates,
    _lock_collaboration,
    _require_manager,
    _require_not_final,
    _stamp,
)


def _members_after(collaboration, *, change: Participation | None = None, remove_pk=None):
    """(role, name) of the active participants once `change` is saved or `remove_pk` leaves."""
    members = {
        p.pk: (p.role, p.organisation.name)
        for p in collaboration.participations.filter(
            status=Participation.Status.ACTIVE
        ).select_related("organisation")
    }
    if remove_pk is not None:
        members.pop(remove_pk, None)
    if change is not None:
        key = change.pk or "new"
        if change.status == Participation.Status.ACTIVE:
            members[key] = (change.role, change.organisation.name)
        else:
            members.pop(key, None)
    return list(members.values())


def _keep_rules_while_active(collaboration, members_after: list) -> None:
    """An active collaboration keeps to its structure's rules: a change that would break one
    is refused (pause the collaboration to restructure it)."""
    if collaboration.status != CollaborationStatus.ACTIVE:
        return
    before = set(structure_problems(collaboration))
    new_problems = [
        p for p in problems_for_roles(collaboration.structure, members_after) if p not in before
    ]
    if new_problems:
        raise DomainError(
            _(
                "This would break the rules of an active collaboration: %(problems)s Pause the "
                "collaboration first to restructure it."
            )
            % {"problems": " ".join(new_problems)},
            field="role",
        )


def _clean_role(collaboration, role: str) -> str:
    if role not in rules_for(collaboration.structure).roles:
        raise DomainError(role_not_allowed_message(collaboration.structure, role), field="role")
    return role


def _clean_contact(contact: Contact | None, organisation: Organisation) -> Contact | None:
    if contact is None:
        return None
    if contact.organisation_id != organisation.pk:
        raise DomainError(
            _("%(contact)s works for another organisation, not %(organisation)s.")
            % {"contact": contact.name, "organisation": organisation.name},
            field="contact",
        )
    if not contact.is_active:
        raise DomainError(
            _("%(contact)s is no longer an active contact.") % {"contact": contact.name},
            field="contact",
        )
    return contact


@transaction.atomic
def participation_add(
    *,
    actor,
    collaboration: Collaboration,
    organisation: Organisation,
    role: str,
    contact: Contact | None = None,
    joined_on: dt.date | None = None,
    status: str = Participation.Status.ACTIVE,
) -> Participation:
    collaboration = _lock_collaboration(collaboration.pk)
    _require_manager(actor, collaboration)
    _require_not_final(collaboration)
    check_date(joined_on, field="joined_on")
    if not organisation.is_active:
        raise DomainError(
            _("%(organisation)s is inactive and cannot join a collaboration.")
            % {"organisation": organisation.name},
            field="organisation",
        )
    existing = collaboration.participations.filter(organisation=organisation).first()
    if existing is not None:
        if existing.status == Participation.Status.WITHDRAWN:
            message = _(
                "%(organisation)s withdrew from this collaboration; edit its participation to "
                "let it rejoin."
            )
        else:
            message = _("%(organisation)s already takes part in this collaboration.")
        raise DomainError(message % {"organisation": organisation.name}, field="organisation")
    _clean_role(collaboration, role)
    if status not in (Participation.Status.ACTIVE, Participation.Status.INVITED):
        raise DomainError(_("A new participant is either invited or active."), field="status")
    if contact is None:
        # Unless someone else is named, the organisation's primary contact speaks for it.
        contact = organisation.contacts.filter(is_primary=True, is_active=True).first()
    participation = Participation(
        collaboration=collaboration,
        organisation=organisation,
        role=role,
        status=status,
        contact=_clean_contact(contact, organisation),
        joined_on=joined_on or timezone.localdate(),
    )
    _keep_rules_while_active(collaboration, _members_after(collaboration, change=participation))
    _stamp(participation, actor)
    try:
        with transaction.atomic():
            participation.save()
    except IntegrityError as exc:
        # Only without the lock (SQLite's database lock is taken at BEGIN, PostgreSQL's row
        # lock above): a twin request added it first.
        raise integrity_conflict(exc) from exc
    return participation


PARTICIPATION_FIELDS = ("role", "contact", "joined_on", "status")


def handover_candidates(*, actor, participation: Participation) -> list[Participation]:
    """The organisation's other participations that still name `participation`'s named contact,
    when that contact is no longer active: where a successor named here can be named too. Only
    those `actor` manages, not withdrawn, in collaborations that can still change."""
    departed = participation.contact
    if departed is None or departed.is_active:
        return []
    others = (
        Participation.objects.filter(
            organisation_id=participation.organisation_id, contact=departed
        )
        .exclude(pk=participation.pk)
        .select_related("collaboration")
        .order_by("collaboration__title", "pk")
    )
    return [o for o in others if _takes_successor(actor, o, o.collaboration, departed.pk)]


def _takes_successor(actor, other: Participation, collaboration, departed_id: int) -> bool:
    """Whether a successor named in place of `departed_id` is named in `other` too: it still
    names that contact, is not withdrawn, its collaboration can still change and `actor`
    manages it. Asked when the candidates are listed and again once they are locked."""
    return (
        other.contact_id == departed_id
        and other.status != Participation.Status.WITHDRAWN
        and collaboration.status not in FINAL_COLLABORATION_STATUSES
        and may_manage_collaboration(actor, collaboration)
    )


@transaction.atomic
def participation_update(
    *,
    actor,
    participation: Participation,
    expected_version: str | None = None,
    everywhere: bool = False,
    **changes,
) -> Participation:
    """Change the role, named contact, joined date or status (invited / active; a withdrawn
    participant set active again rejoins).

    With `everywhere`, a contact named in place of one who is no longer active is named in its
    place in the organisation's other participations too (`handover_candidates`): a person who
    left an organisation left every collaboration they spoke for it in, and a participation still
    naming them reads as "no one named in its place" to the scan (commissioner/trends.py)."""
    unknown = set(changes) - set(PARTICIPATION_FIELDS)
    if unknown:
        raise TypeError(f"participation_update() got unexpected fields {sorted(unknown)}")
    others: list[Participation] = []
    departed_id = participation.contact_id
    if everywhere and changes.get("contact") is not None:
        others = handover_candidates(actor=actor, participation=participation)
    # One lock order (core/locking.py): every collaboration, then every participation, each in
    # primary-key order, so two hand-overs started from different collaborations queue instead
    # of deadlocking.
    collaborations = {
        c.pk: c
        for c in lock_many(
            Collaboration, {participation.collaboration_id, *(o.collaboration_id for o in others)}
        )
    }
    collaboration = collaborations[participation.collaboration_id]
    caller_copy = participation
    if others:
        others = lock_many(Participation, {participation.pk, *(o.pk for o in others)})
    participation = lock(Participation, participation.pk, related=("organisation",))
    participation.collaboration = collaboration
    _require_manager(actor, collaboration)
    check_version(participation, expected_version)
    _require_not_final(collaboration)
    if "role" in changes:
        participation.role = _clean_role(collaboration, changes["role"])
    if "contact" in changes:
        participation.contact = _clean_contact(changes["contact"], participation.organisation)
    if "joined_on" in changes:
        if changes["joined_on"] is None:
            raise DomainError(_("Enter the date the organisation joined."), field="joined_on")
        check_date(changes["joined_on"], field="joined_on")
        participation.joined_on = changes["joined_on"]
    if "status" in changes and changes["status"] != participation.status:
        status = changes["status"]
        if status not in (Participation.Status.ACTIVE, Participation.Status.INVITED):
            raise DomainError(
                _("Use “Withdraw” to record that an organisation left."), field="status"
            )
        if participation.status == Participation.Status.WITHDRAWN:
            participation.left_on = None  # rejoining
        participation.status = status
    _check_dates(
        participation.joined_on,
        participation.left_on,
        start_label=_("date it joined"),
        end_label=_("date it left"),
        field="joined_on",
    )
    _keep_rules_while_active(collaboration, _members_after(collaboration, change=participation))
    _stamp(participation, actor)
    participation.save(update_fields=["role", "contact", "joined_on", "status", "left_on"])
    if participation.status != Participation.Status.ACTIVE:
        publish(ScanScopeNarrowed(participation_id=participation.pk))
    if others:
        _hand_over(actor, participation, departed_id, others, collaborations)
    return copy_row(caller_copy, participation)


def _hand_over(actor, participation, departed_id, others, collaborations) -> None:
    """Name `participation`'s contact in `others` (locked) that still name `departed_id` (the
    contact no longer active that the caller saw named), as they are now the lock is held: one
    changed meanwhile, by another hand-over or by hand, keeps what it was changed to."""
    for other in others:
        collaboration = collaborations[other.collaboration_id]
        if other.pk == participation.pk or not _takes_successor(
            actor, other, collaboration, departed_id
        ):
            continue
        other.contact_id = participation.contact_id
        _stamp(other, actor, _("named in place of a contact who left"))
        other.save(update_fields=["contact"])


@transaction.atomic
def participation_withdraw(
    *, actor, participation: Participation, left_on: dt.date | None = None
) -> Participation:
    """Record that an organisation left. Locked from the collaboration down, so of two
    withdrawals at once the second sees the first and the structure's rules still hold."""
    collaboration = _lock_collaboration(participation.collaboration_id)
    caller_copy = participation
    participation = lock(Participation, participation.pk, related=("organisation",))
    participation.collaboration = collaboration
    _require_manager(actor, collaboration)
    _require_not_final(collaboration)
    if participation.status == Participation.Status.WITHDRAWN:
        raise DomainError(
            _("%(organisation)s has already withdrawn.")
            % {"organisation": participation.organisation.name},
            code=CONFLICT,
        )
    if participation.organisation_id == collaboration.lead_organisation_id:
        raise DomainError(
            _(
                "%(organisation)s leads this collaboration: choose another lead organisation "
                "before it withdraws."
            )
            % {"organisation": participation.organisation.name}
        )
    left_on = left_on or timezone.localdate()
    _check_dates(
        participation.joined_on,
        left_on,
        start_label=_("date it joined"),
        end_label=_("date it left"),
        field="left_on",
    )
    _keep_rules_while_active(
        collaboration, _members_after(collaboration, remove_pk=participation.pk)
    )
    participation.status = Participation.Status.WITHDRAWN
    participation.left_on = left_on
    _stamp(participation, actor, _("withdrawn"))
    participation.save(update_fields=["status", "left_on"])
    # Nobody scores a partner that left: its open flag closes now, not never.
    publish(ScanScopeNarrowed(participation_id=participation.pk))
    return copy_row(caller_copy, participation)
