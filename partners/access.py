"""Who may do what with organisations, their contacts, tokens and people
(docs/permissions.md)."""

from __future__ import annotations

from django.db.models import Exists, OuterRef

from core.actors import actor_organisation_id, is_administrator, is_partner

from .models import Organisation, StaffMembership


def may_create_organisation(actor) -> bool:
    """Administrators and any staff user may register a new organisation (docs/permissions.md)."""
    if is_partner(actor) or not getattr(actor, "is_authenticated", False):
        return False
    return is_administrator(actor) or getattr(actor, "role", None) == "staff"


def may_manage_organisation(actor, organisation) -> bool:
    """Edit or deactivate an organisation, its contacts and its API tokens, and see its token and
    staff lists: administrators and the people who work for that organisation — and the staff
    user who registered it, until an administrator assigns it staff of its own (otherwise nobody
    but an administrator could add the first contact of a newly registered organisation)."""
    if is_partner(actor) or not getattr(actor, "is_authenticated", False):
        return False
    if is_administrator(actor):
        return True
    organisation_id = getattr(organisation, "pk", organisation)
    if organisation_id is None:
        return False
    if actor_organisation_id(actor) == organisation_id:
        return True
    return getattr(actor, "role", None) == "staff" and is_unstaffed_registrant(actor, organisation)


def is_unstaffed_registrant(actor, organisation) -> bool:
    """`actor` registered `organisation` (its creation in the audit history is theirs) and no
    staff membership links anyone to it yet. Remembered on the organisation instance, so a page
    that asks several times queries once."""
    organisation_id = getattr(organisation, "pk", organisation)
    cache = getattr(organisation, "_registrant_cache", None)
    if cache is not None and actor.pk in cache:
        return cache[actor.pk]
    answer = (
        Organisation.objects.filter(pk=organisation_id)
        .filter(
            Exists(
                Organisation.history.filter(
                    id=OuterRef("pk"), history_type="+", history_user_id=actor.pk
                )
            )
        )
        .exclude(Exists(StaffMembership.objects.filter(organisation_id=OuterRef("pk"))))
        .exists()
    )
    if isinstance(organisation, Organisation):
        organisation._registrant_cache = {**(cache or {}), actor.pk: answer}
    return answer


def may_manage_people(actor) -> bool:
    """Users, roles and staff memberships are administrators' business."""
    return is_administrator(actor)
