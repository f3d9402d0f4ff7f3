"""Plain-language explainers of the six collaborative structures, one page each
(/collaborations/structures/<structure>/), linked wherever a structure is named. The roles and
the rules come from structures.py, so an explainer never disagrees with what the app checks.
What a structure is (`WHAT`) is said here, since the index and the advisor show it too; the
rest of its page (when it fits, what to watch for, an example) is prose in its own template,
agreements/templates/agreements/structures/<structure>.html."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from .models import Role, Structure
from .structures import STRUCTURES, StructureRules


@dataclass(frozen=True)
class Explainer:
    structure: str
    # One or two sentences: what the structure is (the index, the advisor and the page show it).
    what: Promise

    @property
    def label(self) -> str:
        return str(Structure(self.structure).label)

    @property
    def rules(self) -> StructureRules:
        return STRUCTURES[self.structure]

    @property
    def lead_role_label(self) -> str:
        return str(Role(STRUCTURES[self.structure].lead_role).label).lower()

    @property
    def url_part(self) -> str:
        return url_part(self.structure)

    @property
    def template_name(self) -> str:
        """The page, whose prose (when the structure fits, what to watch for, an example) is
        written in its own template: agreements/templates/agreements/structures/."""
        return f"agreements/structures/{self.structure}.html"

    def get_absolute_url(self) -> str:
        return explainer_url(self.structure)


WHAT: dict[str, Promise] = {
    Structure.CONSORTIUM: _(
        "Several organisations join forces on one piece of work, and one of them leads: it "
        "holds the agreement, reports for the group and speaks for it."
    ),
    Structure.COLLABORATIVE_PARTNERSHIP: _(
        "Partners work side by side on shared goals, each keeping its own decisions, money "
        "and staff. A convenor may bring them together, but nobody is in charge."
    ),
    Structure.MUTUAL: _(
        "The members pool ownership and share the benefit as equals: one member, one voice, "
        "and no lead role at all."
    ),
    Structure.QUALITY_NETWORK: _(
        "Members agree to meet a shared standard of quality; a coordinator keeps the "
        "standard, reviews members against it and helps them improve."
    ),
    Structure.PRIME_CONTRACTOR: _(
        "One or more commissioning bodies pay for a service; one prime contractor delivers "
        "it for them and may engage subcontractors, answering for their work."
    ),
    Structure.CROWDSOURCING: _(
        "A host opens the collaboration to contributions from the public or from any "
        "organisation that wants to take part, and looks after what they contribute."
    ),
}
EXPLAINERS: dict[str, Explainer] = {s: Explainer(s, what) for s, what in WHAT.items()}


def url_part(structure: str) -> str:
    """`collaborative_partnership` -> `collaborative-partnership` (a web address's spelling)."""
    return structure.replace("_", "-")


def explainer_url(structure: str) -> str:
    return reverse(f"agreements:structure_{structure}")


def explainers() -> list[Explainer]:
    return list(EXPLAINERS.values())
