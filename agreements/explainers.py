"""Plain-language explainers of the six collaborative structures, one page each
(/collaborations/structures/<structure>/), linked wherever a structure is named. The roles and
the rules come from structures.py, so an explainer never disagrees with what the app checks."""

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
    what: Promise
    fits_when: tuple[Promise, ...]
    watch_for: tuple[Promise, ...]
    example: Promise

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

    def get_absolute_url(self) -> str:
        return explainer_url(self.structure)


EXPLAINERS: dict[str, Explainer] = {
    Structure.CONSORTIUM: Explainer(
        structure=Structure.CONSORTIUM,
        what=_(
            "Several organisations join forces on one piece of work, and one of them leads: it "
            "holds the agreement, reports for the group and speaks for it."
        ),
        fits_when=(
            _("One organisation is the natural lead and the others are happy to follow."),
            _("The partners bring complementary skills to a single project or bid."),
        ),
        watch_for=(
            _("Members can drift when the lead does all the work: agree what each one brings."),
            _("If the lead leaves, the consortium needs a new one before it can stay active."),
        ),
        example=_(
            "Three municipalities run one transit service, with the largest of them as lead."
        ),
    ),
    Structure.COLLABORATIVE_PARTNERSHIP: Explainer(
        structure=Structure.COLLABORATIVE_PARTNERSHIP,
        what=_(
            "Partners work side by side on shared goals, each keeping its own decisions, money "
            "and staff. A convenor may bring them together, but nobody is in charge."
        ),
        fits_when=(
            _("No organisation is the natural lead."),
            _("The partners want to coordinate without pooling ownership."),
        ),
        watch_for=(
            _("Without a lead, agree who calls meetings and chases reports (the convenor)."),
            _("Shared goals need named owners, or progress reports go missing."),
        ),
        example=_("A First Nation and a municipality coordinate their emergency planning."),
    ),
    Structure.MUTUAL: Explainer(
        structure=Structure.MUTUAL,
        what=_(
            "The members pool ownership and share the benefit as equals: one member, one voice, "
            "and no lead role at all."
        ),
        fits_when=(
            _("The members will own something together: a facility, a fund, a service."),
            _("Equality matters more than speed of decision."),
        ),
        watch_for=(
            _(
                "Decisions by equals take longer: write down how you decide and how you resolve "
                "disagreements."
            ),
            _("A member that stops taking part weakens every decision."),
        ),
        example=_("Rural councils jointly own and run a shared records centre."),
    ),
    Structure.QUALITY_NETWORK: Explainer(
        structure=Structure.QUALITY_NETWORK,
        what=_(
            "Members agree to meet a shared standard of quality; a coordinator keeps the "
            "standard, reviews members against it and helps them improve."
        ),
        fits_when=(
            _("The aim is a common standard, accreditation or peer review."),
            _("Each member still delivers its own service."),
        ),
        watch_for=(
            _("The standard needs measurable goals, or the network becomes a mailing list."),
            _("The coordinator must have the time and the standing to hold members to it."),
        ),
        example=_("Regional libraries keep a common service standard, coordinated by one of them."),
    ),
    Structure.PRIME_CONTRACTOR: Explainer(
        structure=Structure.PRIME_CONTRACTOR,
        what=_(
            "One or more commissioning bodies pay for a service; one prime contractor delivers "
            "it for them and may engage subcontractors, answering for their work."
        ),
        fits_when=(
            _("Those who fund the work are not those who deliver it."),
            _("One organisation can take responsibility for delivery as a whole."),
        ),
        watch_for=(
            _("Obligations flow both ways: the commissioners' funding as well as the delivery."),
            _("Subcontractors depend on the prime contractor; watch for them going quiet."),
        ),
        example=_(
            "A province and two councils commission a non-profit to run a youth employment "
            "service, with local agencies as subcontractors."
        ),
    ),
    Structure.CROWDSOURCING: Explainer(
        structure=Structure.CROWDSOURCING,
        what=_(
            "A host opens the collaboration to contributions from the public or from any "
            "organisation that wants to take part, and looks after what they contribute."
        ),
        fits_when=(
            _("Contributions are open to anyone: ideas, data, volunteers."),
            _("The number of contributors is not known in advance."),
        ),
        watch_for=(
            _("The host carries the whole collaboration: plan for it to change hands."),
            _("Contributors come and go; measure outcomes, not attendance."),
        ),
        example=_("A city hosts an open data challenge that residents and firms contribute to."),
    ),
}


def url_part(structure: str) -> str:
    """`collaborative_partnership` -> `collaborative-partnership` (a web address's spelling)."""
    return structure.replace("_", "-")


def explainer_url(structure: str) -> str:
    return reverse(f"agreements:structure_{structure}")


def explainers() -> list[Explainer]:
    return list(EXPLAINERS.values())
