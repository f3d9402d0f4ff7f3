"""One choke point for "who may read which rows": `restrict(queryset, actor, action)`.

Each scoped model declares how it is reached (NetBox's `RestrictedQuerySet.restrict` reads the
permission's constraints; here the model's own `scope` declares the path):

    class SharedGoal(models.Model):
        scope = Scope(via="collaboration")           # scoped like its collaboration

    class Collaboration(models.Model):
        scope = Scope(members=("participations__organisation",))   # a root: who takes part

The rules (docs/permissions.md), written here and nowhere else:

- nobody signed out reads anything;
- administrators and commissioners read every row of every scoped model;
- staff users read everything `readers=EVERYONE` (the directory, every collaboration and what
  hangs off it); for `MEMBERS` models, only the rows of collaborations their organisation takes
  part in; for `OWN` models, only their organisation's rows; nothing of `COMMISSION` models;
- a partner token reads, of `EVERYONE` and `MEMBERS` models, the rows its organisation is a member
  of (the root's `members` paths); of `OWN` models its own rows; nothing of `COMMISSION` models;
- an action other than "view" may narrow further (`actions`): a partner signs only the agreements
  its organisation is a signatory of, marks met only its own obligations, and so on.

The API's base viewset (core/api.py: ScopedViewSetMixin) applies it to every action and the HTML
views call `get_for(actor, Model, action, **lookup)`: out of scope is a 404 either way."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.db.models import ForeignObjectRel, Model, Q, QuerySet
from django.shortcuts import get_object_or_404

from .actors import actor_organisation_id, commissions, is_partner, signed_in

EVERYONE = "everyone"
MEMBERS = "members"
OWN = "own"
COMMISSION = "commission"


@dataclass(frozen=True)
class ActionRule:
    """How an action narrows the rows of an actor's organisation (`organisation_id`)."""

    where: Callable[[int], Q]
    partners_only: bool = True


@dataclass(frozen=True)
class Scope:
    via: str = ""  # path to the root model this one is scoped like ("" = it is a root)
    members: tuple[str, ...] = ()  # root only: paths from the root to member organisations
    readers: str = EVERYONE
    own: str = ""  # OWN models: the path to the organisation the row belongs to
    is_collaboration: bool = False  # the root that partners' API use is credited to
    actions: dict[str, ActionRule] = field(default_factory=dict)


def _scope_of(model: type[Model]) -> Scope:
    scope = getattr(model, "scope", None)
    if not isinstance(scope, Scope):
        raise TypeError(f"{model.__name__} declares no scope: restrict() cannot scope it")
    return scope


def _root_of(model: type[Model], via: str) -> type[Model]:
    for name in via.split("__") if via else ():
        related = model._meta.get_field(name).related_model
        if not isinstance(related, type):
            raise TypeError(f"{model.__name__}.{name} leads to no model")
        model = related
    return model


def _members_of(root: type[Model], path: str, organisation_id: int) -> Q:
    """Rows of `root` that `organisation_id` is a member of through `path`. A path that starts
    with a reverse relation is one subquery on the related table (`participations__organisation`
    on Collaboration: the collaboration ids of the organisation's participations), the plan the
    hand-written selectors used."""
    if path == "pk":
        return Q(pk=organisation_id)
    first, _, rest = path.partition("__")
    relation = root._meta.get_field(first)
    if isinstance(relation, ForeignObjectRel):  # a reverse relation
        related = relation.related_model
        ids = related._base_manager.filter(**{rest: organisation_id}).values(relation.field.attname)
        return Q(pk__in=ids)
    return Q(**{path: organisation_id})


def member_rows(model: type[Model], organisation_id: int) -> Q:
    """The rows of `model` whose root `organisation_id` is a member of."""
    scope = _scope_of(model)
    root = _root_of(model, scope.via)
    members = Q()
    for path in _scope_of(root).members:
        members |= _members_of(root, path, organisation_id)
    if not scope.via:
        return members
    return Q(**{f"{scope.via}__in": root._base_manager.filter(members).values("pk")})


def restrict(queryset: QuerySet, actor, action: str = "view") -> QuerySet:
    """The rows of `queryset` that `actor` may `action`. The actor's organisation is looked up
    only when a rule needs it (a staff user's costs a query)."""
    scope = _scope_of(queryset.model)
    if not signed_in(actor):
        return queryset.none()
    partner = is_partner(actor)
    if commissions(actor):
        pass
    elif scope.readers == COMMISSION:
        return queryset.none()
    elif partner or scope.readers != EVERYONE:
        organisation_id = actor_organisation_id(actor)
        if organisation_id is None:
            return queryset.none()
        if scope.readers == OWN:
            queryset = queryset.filter(**{scope.own: organisation_id})
        else:
            queryset = queryset.filter(member_rows(queryset.model, organisation_id))
    rule = scope.actions.get(action)
    if rule is not None and (partner or not rule.partners_only):
        organisation_id = actor_organisation_id(actor)
        if organisation_id is None:
            return queryset.none()
        queryset = queryset.filter(rule.where(organisation_id))
    return queryset


def get_for(actor, model_or_queryset, action: str = "view", **lookup):
    """One row `actor` may `action`, or a 404 (never a 403: out of scope does not exist)."""
    queryset = (
        model_or_queryset
        if isinstance(model_or_queryset, QuerySet)
        else model_or_queryset._default_manager.all()
    )
    return get_object_or_404(restrict(queryset, actor, action), **lookup)


__all__ = [
    "COMMISSION",
    "EVERYONE",
    "MEMBERS",
    "OWN",
    "ActionRule",
    "Scope",
    "get_for",
    "member_rows",
    "restrict",
]
