"""The six collaborative structures as data: which roles each allows and the rules its active
participants must satisfy, and the check that explains, in words, which rules a collaboration
breaks ("A prime-contractor collaboration needs exactly one prime contractor; it has none.")."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .models import Participation, Role, Structure


@dataclass(frozen=True)
class RoleCount:
    """How many active participants may hold `role` (None: no limit). With `role=None` the rule
    counts every active participant, whatever their role."""

    role: str | None
    minimum: int = 0
    maximum: int | None = None


@dataclass(frozen=True)
class StructureRules:
    structure: str
    # How the structure is named at the start of a sentence: "A consortium", "A quality network".
    subject: str
    roles: tuple[str, ...]
    # The role the lead organisation takes when a collaboration is created.
    lead_role: str
    counts: tuple[RoleCount, ...]
    summary: str

    @property
    def role_labels(self) -> list[str]:
        return [str(Role(role).label) for role in self.roles]


STRUCTURES: dict[str, StructureRules] = {
    Structure.CONSORTIUM: StructureRules(
        structure=Structure.CONSORTIUM,
        subject=gettext_lazy("A consortium"),
        roles=(Role.LEAD, Role.MEMBER),
        lead_role=Role.LEAD,
        counts=(RoleCount(None, minimum=2), RoleCount(Role.LEAD, minimum=1, maximum=1)),
        summary=gettext_lazy("At least 2 active participants, exactly one of them the lead."),
    ),
    Structure.COLLABORATIVE_PARTNERSHIP: StructureRules(
        structure=Structure.COLLABORATIVE_PARTNERSHIP,
        subject=gettext_lazy("A collaborative partnership"),
        roles=(Role.PARTNER, Role.CONVENOR),
        lead_role=Role.PARTNER,
        counts=(RoleCount(Role.PARTNER, minimum=2), RoleCount(Role.CONVENOR, maximum=1)),
        summary=gettext_lazy("At least 2 active partners; a convenor is optional, at most one."),
    ),
    Structure.MUTUAL: StructureRules(
        structure=Structure.MUTUAL,
        subject=gettext_lazy("A mutual structure for social benefit"),
        roles=(Role.MEMBER,),
        lead_role=Role.MEMBER,
        counts=(RoleCount(Role.MEMBER, minimum=2),),
        summary=gettext_lazy("At least 2 active members, all equals: there is no lead role."),
    ),
    Structure.QUALITY_NETWORK: StructureRules(
        structure=Structure.QUALITY_NETWORK,
        subject=gettext_lazy("A quality network"),
        roles=(Role.COORDINATOR, Role.MEMBER),
        lead_role=Role.COORDINATOR,
        counts=(
            RoleCount(Role.COORDINATOR, minimum=1, maximum=1),
            RoleCount(Role.MEMBER, minimum=1),
        ),
        summary=gettext_lazy("Exactly one coordinator and at least one member."),
    ),
    Structure.PRIME_CONTRACTOR: StructureRules(
        structure=Structure.PRIME_CONTRACTOR,
        subject=gettext_lazy("A prime-contractor collaboration"),
        roles=(Role.COMMISSIONING_BODY, Role.PRIME_CONTRACTOR, Role.SUBCONTRACTOR),
        lead_role=Role.COMMISSIONING_BODY,
        counts=(
            RoleCount(Role.PRIME_CONTRACTOR, minimum=1, maximum=1),
            RoleCount(Role.COMMISSIONING_BODY, minimum=1),
        ),
        summary=gettext_lazy(
            "Exactly one prime contractor and at least one commissioning body; "
            "subcontractors are optional."
        ),
    ),
    Structure.CROWDSOURCING: StructureRules(
        structure=Structure.CROWDSOURCING,
        subject=gettext_lazy("A crowdsourcing collaboration"),
        roles=(Role.HOST, Role.CONTRIBUTOR),
        lead_role=Role.HOST,
        counts=(RoleCount(Role.HOST, minimum=1, maximum=1),),
        summary=gettext_lazy("Exactly one host and any number of contributors."),
    ),
}


def rules_for(structure: str) -> StructureRules:
    return STRUCTURES[structure]


def allowed_roles(structure: str) -> tuple[str, ...]:
    return STRUCTURES[structure].roles


def role_choices(structure: str) -> list[tuple[str, str]]:
    return [(role, Role(role).label) for role in allowed_roles(structure)]


# Plural role names for "needs at least 2 partners" (a rule counting more than one holder).
ROLE_PLURALS = {
    Role.LEAD: gettext_lazy("leads"),
    Role.MEMBER: gettext_lazy("members"),
    Role.PARTNER: gettext_lazy("partners"),
    Role.CONVENOR: gettext_lazy("convenors"),
    Role.COORDINATOR: gettext_lazy("coordinators"),
    Role.COMMISSIONING_BODY: gettext_lazy("commissioning bodies"),
    Role.PRIME_CONTRACTOR: gettext_lazy("prime contractors"),
    Role.SUBCONTRACTOR: gettext_lazy("subcontractors"),
    Role.HOST: gettext_lazy("hosts"),
    Role.CONTRIBUTOR: gettext_lazy("contributors"),
}


def _join(labels: Iterable[str]) -> str:
    """ "A", "A and B", "A, B and C"."""
    labels = [str(label) for label in labels]
    if len(labels) <= 1:
        return "".join(labels)
    return _("%(first)s and %(last)s") % {"first": ", ".join(labels[:-1]), "last": labels[-1]}


def role_not_allowed_message(structure: str, role: str) -> str:
    rules = STRUCTURES[structure]
    return _("%(subject)s has the roles %(roles)s; “%(role)s” is not one of them.") % {
        "subject": rules.subject,
        "roles": _join(rules.role_labels),
        "role": Role(role).label if role in Role.values else role,
    }


def _count_words(count: int) -> str:
    if count == 0:
        return _("none")
    return str(count)


def _noun(rule: RoleCount, count: int) -> str:
    """ "lead" / "leads", or "active participant(s)" for a rule on every participant."""
    if rule.role is None:
        return _("active participant") if count == 1 else _("active participants")
    if count == 1:
        return str(Role(rule.role).label).lower()
    return str(ROLE_PLURALS[rule.role])


def role_problems(structure: str, members: list[tuple[str, str]]) -> list[str]:
    """Participants, given as (role, organisation name), whose role `structure` does not have."""
    rules = STRUCTURES[structure]
    return [
        _("%(name)s has the role “%(role)s”, which %(subject)s does not have (%(roles)s).")
        % {
            "name": name,
            "role": Role(role).label if role in Role.values else role,
            "subject": str(rules.subject).lower(),
            "roles": _join(rules.role_labels),
        }
        for role, name in members
        if role not in rules.roles
    ]


def problems_for_roles(structure: str, members: list[tuple[str, str]]) -> list[str]:
    """What breaks `structure`'s rules, given its active participants as (role, organisation
    name) pairs. An empty list means the rules hold."""
    rules = STRUCTURES[structure]
    problems = role_problems(structure, members)
    for rule in rules.counts:
        holders = [name for role, name in members if rule.role is None or role == rule.role]
        count = len(holders)
        exact = rule.maximum is not None and rule.maximum == rule.minimum
        if exact and count != rule.minimum:
            message = _("%(subject)s needs exactly %(number)s %(noun)s; it has %(count)s.") % {
                "subject": rules.subject,
                "number": _("one") if rule.minimum == 1 else rule.minimum,
                "noun": _noun(rule, rule.minimum),
                "count": _count_words(count),
            }
            if count > rule.minimum:
                message = f"{message[:-1]}: {_join(sorted(holders))}."
            problems.append(message)
        elif count < rule.minimum:
            problems.append(
                _("%(subject)s needs at least %(number)s %(noun)s; it has %(count)s.")
                % {
                    "subject": rules.subject,
                    "number": _("one") if rule.minimum == 1 else rule.minimum,
                    "noun": _noun(rule, rule.minimum),
                    "count": _count_words(count),
                }
            )
        elif rule.maximum is not None and count > rule.maximum:
            problems.append(
                _("%(subject)s may have at most %(number)s %(noun)s; it has %(count)s: %(names)s.")
                % {
                    "subject": rules.subject,
                    "number": _("one") if rule.maximum == 1 else rule.maximum,
                    "noun": _noun(rule, rule.maximum),
                    "count": count,
                    "names": _join(sorted(holders)),
                }
            )
    return problems


def structure_problems(collaboration, participations: Iterable[Participation] | None = None):
    """Human-readable reasons `collaboration` breaks its structure's rules, from its active
    participations only. Pass `participations` already fetched (with their organisations) to
    avoid a query; otherwise they are read."""
    members = getattr(collaboration, "active_members", None)  # selectors.with_active_members
    if members is None:
        if participations is None:
            participations = collaboration.participations.filter(
                status=Participation.Status.ACTIVE
            ).select_related("organisation")
        members = [
            (p.role, p.organisation.name)
            for p in participations
            if p.status == Participation.Status.ACTIVE
        ]
    return problems_for_roles(collaboration.structure, members)
