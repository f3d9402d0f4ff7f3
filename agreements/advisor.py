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


# The flexible default first: with equal points the structure asking least of partners wins.
# Also the order of the columns of `POINTS`.
TIE_ORDER = (
    Structure.COLLABORATIVE_PARTNERSHIP,
    Structure.CONSORTIUM,
    Structure.MUTUAL,
    Structure.QUALITY_NETWORK,
    Structure.PRIME_CONTRACTOR,
    Structure.CROWDSOURCING,
)


@dataclass(frozen=True)
class Question:
    name: str
    text: Promise
    help: Promise
    # answer -> {structure: points}; the reason for an answer is given when it weighs (more
    # than one point) for the structure suggested.
    points: dict[str, dict[str, int]]
    reasons: dict[str, Promise] = field(default_factory=dict)


# The questions, in the order asked: name, question, help.
TEXTS = (
    (
        "funder_delivers",
        _("Does one body fund or commission the work while others deliver it?"),
        _("For example, a province pays for a service that a contractor runs for it."),
    ),
    (
        "natural_lead",
        _("Is there a natural lead that the other organisations are happy to follow?"),
        _("An organisation that will hold the money, sign first or speak for the group."),
    ),
    (
        "pooled_equals",
        _("Will the organisations pool ownership as equals, with nobody in charge?"),
        _("Shared assets, shared decisions and shared benefit, one member one voice."),
    ),
    (
        "open_public",
        _("Are contributions open to the public or to anyone who wants to take part?"),
        _("Residents, volunteers or any organisation may contribute ideas, data or work."),
    ),
    (
        "quality_standard",
        _("Is the main aim a shared standard of quality that every member keeps?"),
        _("For example, common service standards, accreditation or peer review."),
    ),
)

# The points an answer gives each structure, one column a structure in `TIE_ORDER`'s order; an
# answer not in the table ("not sure") gives none.
# fmt: off
POINTS: dict[tuple[str, str], tuple[int, int, int, int, int, int]] = {
    #                           partner-  consor-             quality   prime     crowd-
    #                           ship      tium      mutual    network   contr.    sourcing
    ("funder_delivers", YES):  ( 0,        0,        0,        0,        4,        0),
    ("funder_delivers", NO):   ( 0,        0,        0,        0,       -3,        0),
    ("natural_lead", YES):     ( 0,        3,       -2,        1,        0,        1),
    ("natural_lead", NO):      ( 2,       -3,        1,        0,        0,        0),
    ("pooled_equals", YES):    ( 0,       -1,        4,        0,       -2,        0),
    ("pooled_equals", NO):     ( 0,        0,       -3,        0,        0,        0),
    ("open_public", YES):      ( 0,        0,        0,        0,        0,        5),
    ("open_public", NO):       ( 0,        0,        0,        0,        0,       -3),
    ("quality_standard", YES): ( 0,        0,        0,        4,        0,        0),
    ("quality_standard", NO):  ( 0,        0,        0,       -2,        0,        0),
}
# fmt: on

# Why an answer points to a structure, said when it weighs for the suggestion (see `suggest`).
REASONS: dict[tuple[str, str], Promise] = {
    ("funder_delivers", YES): _(
        "One body funds or commissions the work and others deliver it: a prime "
        "contractor answers to the commissioning bodies and may engage subcontractors."
    ),
    ("natural_lead", YES): _("There is a natural lead: a consortium gives it the lead role."),
    ("natural_lead", NO): _(
        "No organisation is the natural lead: partners work side by side, with at most "
        "a convenor to bring them together."
    ),
    ("pooled_equals", YES): _(
        "Ownership is pooled among equals: in a mutual structure every member is an "
        "equal and there is no lead role."
    ),
    ("open_public", YES): _(
        "Contributions are open to the public: one host runs the collaboration and any "
        "number of contributors take part."
    ),
    ("quality_standard", YES): _(
        "The aim is a shared quality standard: a quality network has one coordinator "
        "who keeps the standard and members who meet it."
    ),
}


def _question(name: str, text: Promise, help: Promise) -> Question:
    return Question(
        name=name,
        text=text,
        help=help,
        points={
            answer: {s: p for s, p in zip(TIE_ORDER, row, strict=True) if p}
            for (question, answer), row in POINTS.items()
            if question == name
        },
        reasons={answer: r for (question, answer), r in REASONS.items() if question == name},
    )


QUESTIONS: tuple[Question, ...] = tuple(_question(*texts) for texts in TEXTS)

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
