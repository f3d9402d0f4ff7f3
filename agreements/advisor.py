"""The structure advisor: five plain questions asked when a collaboration is set up, and the
structure they point to, with the reasons (the answers that led there) and the role rules that
structure brings (from structures.py). It writes nothing; skipping it is always possible.

Each answer adds or takes away points from the structures it speaks for or against; the structure
with the most points is suggested, ties going to the order of `TIE_ORDER` (the more flexible
structure first). With no telling answer the suggestion is the collaborative partnership, the
structure that asks least of its partners."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from .models import Structure
from .structures import STRUCTURES, StructureRules

YES, NO, UNSURE = "yes", "no", "unsure"
ANSWERS = ((YES, _("Yes")), (NO, _("No")), (UNSURE, _("Not sure")))


@dataclass(frozen=True)
class Question:
    name: str
    text: Promise
    help: Promise
    # answer -> {structure: points}; the reason for an answer is given when it weighs (more
    # than one point) for the structure suggested.
    points: dict[str, dict[str, int]]
    reasons: dict[str, Promise] = field(default_factory=dict)


QUESTIONS: tuple[Question, ...] = (
    Question(
        name="funder_delivers",
        text=_("Does one body fund or commission the work while others deliver it?"),
        help=_("For example, a province pays for a service that a contractor runs for it."),
        points={
            YES: {Structure.PRIME_CONTRACTOR: 4},
            NO: {Structure.PRIME_CONTRACTOR: -3},
        },
        reasons={
            YES: _(
                "One body funds or commissions the work and others deliver it: a prime "
                "contractor answers to the commissioning bodies and may engage subcontractors."
            ),
        },
    ),
    Question(
        name="natural_lead",
        text=_("Is there a natural lead that the other organisations are happy to follow?"),
        help=_("An organisation that will hold the money, sign first or speak for the group."),
        points={
            YES: {
                Structure.CONSORTIUM: 3,
                Structure.QUALITY_NETWORK: 1,
                Structure.CROWDSOURCING: 1,
                Structure.MUTUAL: -2,
            },
            NO: {
                Structure.COLLABORATIVE_PARTNERSHIP: 2,
                Structure.MUTUAL: 1,
                Structure.CONSORTIUM: -3,
            },
        },
        reasons={
            YES: _("There is a natural lead: a consortium gives it the lead role."),
            NO: _(
                "No organisation is the natural lead: partners work side by side, with at most "
                "a convenor to bring them together."
            ),
        },
    ),
    Question(
        name="pooled_equals",
        text=_("Will the organisations pool ownership as equals, with nobody in charge?"),
        help=_("Shared assets, shared decisions and shared benefit, one member one voice."),
        points={
            YES: {
                Structure.MUTUAL: 4,
                Structure.CONSORTIUM: -1,
                Structure.PRIME_CONTRACTOR: -2,
            },
            NO: {Structure.MUTUAL: -3},
        },
        reasons={
            YES: _(
                "Ownership is pooled among equals: in a mutual structure every member is an "
                "equal and there is no lead role."
            ),
        },
    ),
    Question(
        name="open_public",
        text=_("Are contributions open to the public or to anyone who wants to take part?"),
        help=_("Residents, volunteers or any organisation may contribute ideas, data or work."),
        points={
            YES: {Structure.CROWDSOURCING: 5},
            NO: {Structure.CROWDSOURCING: -3},
        },
        reasons={
            YES: _(
                "Contributions are open to the public: one host runs the collaboration and any "
                "number of contributors take part."
            ),
        },
    ),
    Question(
        name="quality_standard",
        text=_("Is the main aim a shared standard of quality that every member keeps?"),
        help=_("For example, common service standards, accreditation or peer review."),
        points={
            YES: {Structure.QUALITY_NETWORK: 4},
            NO: {Structure.QUALITY_NETWORK: -2},
        },
        reasons={
            YES: _(
                "The aim is a shared quality standard: a quality network has one coordinator "
                "who keeps the standard and members who meet it."
            ),
        },
    ),
)

# The flexible default first: with equal points the structure asking least of partners wins.
TIE_ORDER = (
    Structure.COLLABORATIVE_PARTNERSHIP,
    Structure.CONSORTIUM,
    Structure.MUTUAL,
    Structure.QUALITY_NETWORK,
    Structure.PRIME_CONTRACTOR,
    Structure.CROWDSOURCING,
)
BASELINE = {Structure.COLLABORATIVE_PARTNERSHIP: 1}
DEFAULT_REASON = _(
    "Nothing in your answers calls for a particular structure: a collaborative partnership is "
    "the most flexible, with partners working side by side and an optional convenor."
)


@dataclass(frozen=True)
class Suggestion:
    structure: str
    label: str
    rules: StructureRules
    reasons: list[str]
    # The runners-up with a positive score, best first: other structures worth a look.
    alternatives: list[str]
    scores: dict[str, int]


def clean_answers(data) -> dict[str, str]:
    """The answers in `data` (a QueryDict or dict), each yes/no/unsure; anything else, or a
    missing answer, counts as unsure."""
    valid = {value for value, _label in ANSWERS}
    return {q.name: data.get(q.name) if data.get(q.name) in valid else UNSURE for q in QUESTIONS}


def suggest(answers: dict[str, str]) -> Suggestion:
    scores = {structure: BASELINE.get(structure, 0) for structure in TIE_ORDER}
    for question in QUESTIONS:
        for structure, points in question.points.get(answers.get(question.name), {}).items():
            scores[structure] += points
    ranked = sorted(TIE_ORDER, key=lambda s: (-scores[s], TIE_ORDER.index(s)))
    best = ranked[0]
    reasons = [
        str(question.reasons[answers[question.name]])
        for question in QUESTIONS
        # A reason is given for the answers that weigh for the suggestion (a point or two of
        # "also fits" is not a reason).
        if question.points.get(answers.get(question.name), {}).get(best, 0) > 1
        and answers[question.name] in question.reasons
    ]
    if not reasons:
        reasons = [str(DEFAULT_REASON)]
    return Suggestion(
        structure=best,
        label=str(Structure(best).label),
        rules=STRUCTURES[best],
        reasons=reasons,
        alternatives=[s for s in ranked[1:] if scores[s] > 0][:2],
        scores=scores,
    )
