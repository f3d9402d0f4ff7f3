"""Who is acting: a signed-in User, or a partner organisation through its API token.

Selectors and services take an `actor` and ask these helpers, so the rules of who may see and do
what live in one vocabulary."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, TypeAlias, TypeGuard

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser
    from django.contrib.auth.models import AnonymousUser


class Token(Protocol):
    """What an actor needs of an organisation's API token (partners.models.ApiToken)."""

    organisation: object
    organisation_id: int
    write_enabled: bool
    prefix: str


@dataclass(eq=False)
class PartnerPrincipal:
    """The caller of an API request authenticated by an organisation token (request.user)."""

    token: Token

    is_authenticated = True
    is_anonymous = False
    is_active = True
    is_staff = False
    is_superuser = False
    role = "partner"
    pk = None
    id = None

    @property
    def organisation(self):
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


# Who acts: a signed-in person (partners.models.User), nobody (AnonymousUser), or a partner
# organisation through its API token. Every selector and service takes one as `actor`.
Actor: TypeAlias = "AbstractBaseUser | AnonymousUser | PartnerPrincipal"


def is_partner(actor: Actor | None) -> TypeGuard[PartnerPrincipal]:
    return isinstance(actor, PartnerPrincipal)


def actor_organisation_id(actor: Actor | None) -> int | None:
    """The organisation an actor belongs to: a token's organisation, a staff user's employer."""
    if is_partner(actor):
        return actor.organisation_id
    membership = getattr(actor, "staff_membership", None)
    return membership.organisation_id if membership is not None else None


def is_administrator(actor: Actor | None) -> bool:
    return not is_partner(actor) and bool(getattr(actor, "is_administrator", False))


def is_commissioner(actor: Actor | None) -> bool:
    return not is_partner(actor) and getattr(actor, "role", None) == "commissioner"


def sees_everything(actor: Actor | None) -> bool:
    """Administrators and commissioners read the whole portfolio; so do staff users (municipal
    staff browse the directory and every collaboration). Partner tokens are scoped."""
    return not is_partner(actor) and bool(getattr(actor, "is_authenticated", False))


def signed_in(actor: Actor | None) -> bool:
    return bool(getattr(actor, "is_authenticated", False))


def commissions(actor: Actor | None) -> bool:
    """Administrators and commissioners: the whole portfolio, flags and interventions included;
    never staff users or partner tokens."""
    if is_partner(actor) or not signed_in(actor):
        return False
    return is_administrator(actor) or is_commissioner(actor)
