"""Who is acting: a signed-in User, or a partner organisation through its API token.

Selectors and services take an `actor` and ask these helpers, so the rules of who may see and do
what live in one vocabulary."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .models import ApiToken, Organisation


@dataclass(eq=False)
class PartnerPrincipal:
    """The caller of an API request authenticated by an organisation token (request.user)."""

    token: ApiToken

    is_authenticated = True
    is_anonymous = False
    is_active = True
    is_staff = False
    is_superuser = False
    role = "partner"
    pk = None
    id = None

    @property
    def organisation(self) -> Organisation:
        return self.token.organisation

    @property
    def organisation_id(self) -> int:
        return self.token.organisation_id

    @property
    def can_write(self) -> bool:
        return self.token.write_enabled

    def __str__(self) -> str:
        return f"{self.organisation} (token {self.token.prefix})"

    def has_perm(self, perm, obj=None) -> bool:
        return False


def is_partner(actor) -> bool:
    return isinstance(actor, PartnerPrincipal)


def actor_organisation_id(actor) -> int | None:
    """The organisation an actor belongs to: a token's organisation, a staff user's employer."""
    if is_partner(actor):
        return actor.organisation_id
    membership = getattr(actor, "staff_membership", None)
    return membership.organisation_id if membership is not None else None


def is_administrator(actor) -> bool:
    return not is_partner(actor) and bool(getattr(actor, "is_administrator", False))


def is_commissioner(actor) -> bool:
    return not is_partner(actor) and getattr(actor, "role", None) == "commissioner"


def sees_everything(actor) -> bool:
    """Administrators and commissioners read the whole portfolio; so do staff users (municipal
    staff browse the directory and every collaboration). Partner tokens are scoped."""
    return not is_partner(actor) and bool(getattr(actor, "is_authenticated", False))


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
    from django.db.models import Exists, OuterRef

    from .models import Organisation, StaffMembership

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
