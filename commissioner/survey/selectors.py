"""Every read of the partnership health survey that has rules: who sees which rounds, and the
results of a round — per principle the mean, the spread, each organisation's score and the
organisations that diverge from the rest — with the trend across rounds.

Scoring (docs/engagement.md, "Partnership health survey"): an organisation's score on a
principle is the mean of every 1-5 answer its respondents submitted to that principle's
statements ("don't know" counts for nothing); the principle's mean is the mean of the
organisations' scores (each organisation weighs the same, however many people answered); the
spread is the highest organisation score minus the lowest; an organisation diverges when its
score differs from the mean of the other organisations' scores by DIVERGENCE points or more.
Computed exactly (fractions), rounded only for display."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from fractions import Fraction

from django.db.models import Count, Q, QuerySet, Sum
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _

from agreements.models import Participation
from commissioner.access import may_commission
from commissioner.models import (
    SurveyAnswer,
    SurveyPrinciple,
    SurveyResponse,
    SurveyRound,
    SurveySchedule,
)
from core.actors import actor_organisation_id, is_partner
from core.scope import restrict
from partners.models import Organisation

DIVERGENCE = Fraction(3, 2)

FULL = "full"
PARTNER = "partner"


# Scoring (pure) ---------------------------------------------------------------------------------


def organisation_scores(
    totals: dict[tuple[int, str], tuple[int, int]],
) -> dict[str, dict[int, Fraction]]:
    """{(organisation, principle code): (sum of answers, number of answers)} as
    {principle code: {organisation: score}}."""
    scores: dict[str, dict[int, Fraction]] = defaultdict(dict)
    for (organisation_id, code), (total, count) in totals.items():
        if count:
            scores[code][organisation_id] = Fraction(total, count)
    return scores


def mean(values) -> Fraction | None:
    values = list(values)
    return sum(values, Fraction(0)) / len(values) if values else None


def others_mean(scores: dict[int, Fraction], organisation_id: int) -> Fraction | None:
    return mean(score for other, score in scores.items() if other != organisation_id)


def divergent(scores: dict[int, Fraction]) -> list[int]:
    """The organisations whose score differs from the others' mean by DIVERGENCE or more (none
    when fewer than two organisations answered)."""
    found = []
    for organisation_id, score in scores.items():
        others = others_mean(scores, organisation_id)
        if others is not None and abs(score - others) >= DIVERGENCE:
            found.append(organisation_id)
    return sorted(found)


def spread(scores: dict[int, Fraction]) -> Fraction | None:
    return max(scores.values()) - min(scores.values()) if scores else None


def rounded(value: Fraction | None, places: int = 2) -> float | None:
    return None if value is None else round(float(value), places)


def answer_totals(round_ids, *, submitted_before: dt.datetime | None = None):
    """{round: {(organisation, principle code): (sum, count)}} of the submitted 1-5 answers of
    `round_ids`, in one grouped query."""
    answers = SurveyAnswer.objects.filter(
        response__round_id__in=round_ids,
        response__submitted_at__isnull=False,
        dont_know=False,
    )
    if submitted_before is not None:
        answers = answers.filter(response__submitted_at__lt=submitted_before)
    grouped = (
        answers.order_by()
        .values("response__round_id", "response__organisation_id", "statement__principle__code")
        .annotate(total=Sum("value"), n=Count("pk"))
    )
    totals: dict[int, dict[tuple[int, str], tuple[int, int]]] = defaultdict(dict)
    for row in grouped:
        key = (row["response__organisation_id"], row["statement__principle__code"])
        totals[row["response__round_id"]][key] = (row["total"], row["n"])
    return totals


# Scope ------------------------------------------------------------------------------------------


def round_list_for(*, actor) -> QuerySet[SurveyRound]:
    """Rounds `actor` may read: every round for administrators and commissioners; for a partner
    token or a staff user, the rounds of collaborations its organisation takes part in."""
    return restrict(round_rows(), actor)


def round_rows() -> QuerySet[SurveyRound]:
    rounds = SurveyRound.objects.select_related("collaboration", "instrument").annotate(
        # distinct: the two joins multiply each other's rows.
        invited_count=Count(
            "respondents", filter=Q(respondents__contact__isnull=False), distinct=True
        ),
        submitted_count=Count(
            "responses", filter=Q(responses__submitted_at__isnull=False), distinct=True
        ),
    )
    return rounds


def round_get_for(*, actor, pk: int) -> SurveyRound:
    return get_object_or_404(round_list_for(actor=actor), pk=pk)


def view_of(actor, survey_round: SurveyRound) -> str | None:
    """FULL (administrators, commissioners), PARTNER (the token or staff of an organisation
    taking part), or None (the round is out of scope)."""
    if not is_partner(actor) and may_commission(actor):
        return FULL
    organisation_id = actor_organisation_id(actor)
    if (
        organisation_id is not None
        and Participation.objects.filter(
            collaboration_id=survey_round.collaboration_id, organisation_id=organisation_id
        ).exists()
    ):
        return PARTNER
    return None


def round_list_of_collaboration(*, actor, collaboration) -> list[SurveyRound]:
    return list(
        round_list_for(actor=actor)
        .filter(collaboration=collaboration)
        .order_by("-opened_on", "-pk")
    )


# Results ----------------------------------------------------------------------------------------


@dataclass
class OrganisationScore:
    organisation_id: int
    name: str
    score: float | None
    divergent: bool
    mine: bool


@dataclass
class PrincipleResult:
    code: str
    title: str
    mean: float | None
    spread: float | None
    scores: list[OrganisationScore]
    divergent_names: list[str]
    comments: list[tuple[str, str]] = field(default_factory=list)
    own_answers: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class RoundResults:
    round: SurveyRound
    view: str
    organisations: list[tuple[int, str]]
    principles: list[PrincipleResult]
    invited: int
    answered_organisations: int
    trend: dict
    trend_rows: list[tuple[str, list[float | None]]]
    chart: dict
    own_submitted: bool | None = None
    # A partner's view of a round still open: its own answers, no aggregate yet.
    provisional: bool = False

    @property
    def has_comments(self) -> bool:
        return any(p.comments for p in self.principles)

    @property
    def shows_everyone(self) -> bool:
        return self.view == FULL or self.round.share_answers


def round_results(*, survey_round: SurveyRound, actor) -> RoundResults:
    """The results of a round as `actor` may see them (view_of): FULL shows every organisation's
    score, the divergent ones by name and every comment; PARTNER shows the aggregate and its own
    score, answers and comments — the others' too when the round shares answers. Queries: a
    fixed handful, whatever the number of organisations, principles or respondents."""
    view = view_of(actor, survey_round)
    own_id = actor_organisation_id(actor) if view == PARTNER else None
    # While a round is open a partner sees its own answers only: an aggregate that moves as
    # each response arrives would tell the others' answers.
    provisional = view == PARTNER and timezone.localdate() <= survey_round.closes_on
    everyone = view == FULL or (survey_round.share_answers and not provisional)
    principles = list(
        SurveyPrinciple.objects.filter(instrument_id=survey_round.instrument_id)
        .prefetch_related("statements")
        .order_by("position")
    )
    totals = answer_totals([survey_round.pk]).get(survey_round.pk, {})
    scores = organisation_scores(totals)
    responses = list(
        SurveyResponse.objects.filter(round=survey_round, submitted_at__isnull=False)
        .select_related("organisation")
        .order_by("organisation__name", "pk")
    )
    names = {r.organisation_id: r.organisation.name for r in responses}
    invited = (
        survey_round.respondents.filter(contact__isnull=False)
        .values("organisation_id")
        .distinct()
        .count()
    )
    own_answers: dict[int, str] = {}
    if own_id is not None:
        for answer in SurveyAnswer.objects.filter(
            response__round=survey_round,
            response__organisation_id=own_id,
            response__submitted_at__isnull=False,
        ).order_by("pk"):
            shown = "?" if answer.dont_know else str(answer.value)
            own_answers[answer.statement_id] = (
                f"{own_answers[answer.statement_id]}, {shown}"
                if answer.statement_id in own_answers
                else shown
            )
    results = []
    for principle in principles:
        by_org = scores.get(principle.code, {})
        diverging = set(divergent(by_org))
        rows = [
            OrganisationScore(
                organisation_id=org_id,
                name=names.get(org_id, ""),
                score=rounded(score, 1),
                divergent=org_id in diverging and not provisional,
                mine=org_id == own_id,
            )
            for org_id, score in sorted(by_org.items(), key=lambda item: names.get(item[0], ""))
            if everyone or org_id == own_id
        ]
        comments = [
            (r.organisation.name, r.comments[principle.code])
            for r in responses
            if principle.code in (r.comments or {}) and (everyone or r.organisation_id == own_id)
        ]
        results.append(
            PrincipleResult(
                code=principle.code,
                title=_(principle.title),
                mean=None if provisional else rounded(mean(by_org.values()), 1),
                spread=None if provisional else rounded(spread(by_org), 1),
                scores=rows,
                divergent_names=[
                    names.get(o, "")
                    for o in sorted(diverging)
                    if (everyone or o == own_id) and not provisional
                ],
                comments=comments,
                own_answers=[
                    (_(statement.text), own_answers.get(statement.pk, "—"))
                    for statement in principle.statements.all()
                ]
                if own_id is not None
                else [],
            )
        )
    shown_orgs = sorted(
        ((o, n) for o, n in names.items() if everyone or o == own_id), key=lambda item: item[1]
    )
    trend = round_trend(
        survey_round=survey_round, principles=principles, include_this_one=not provisional
    )
    chart = {
        "labels": [p.title for p in results],
        "datasets": [{"label": _("Mean of the partners"), "data": [p.mean for p in results]}]
        + [
            {
                "label": name,
                "data": [
                    next((s.score for s in p.scores if s.organisation_id == org_id), None)
                    for p in results
                ],
            }
            for org_id, name in shown_orgs
        ],
    }
    return RoundResults(
        round=survey_round,
        view=view or "",
        organisations=shown_orgs,
        principles=results,
        invited=invited,
        answered_organisations=len(names),
        trend=trend,
        trend_rows=[
            (label, [dataset["data"][i] for dataset in trend["datasets"]])
            for i, label in enumerate(trend["labels"])
        ],
        chart=chart,
        own_submitted=(own_id in names) if own_id is not None else None,
        provisional=provisional,
    )


def round_trend(*, survey_round: SurveyRound, principles, include_this_one: bool = True) -> dict:
    """Each principle's mean in every round of the collaboration up to this one (oldest first),
    by principle code, so a new instrument version still compares."""
    rounds = SurveyRound.objects.filter(
        collaboration_id=survey_round.collaboration_id,
        opened_on__lte=survey_round.opened_on,
    ).order_by("opened_on", "pk")
    if not include_this_one:
        rounds = rounds.exclude(pk=survey_round.pk)
    rounds = list(rounds)
    totals = answer_totals([r.pk for r in rounds])
    labels = [r.opened_on.strftime("%Y-%m") for r in rounds]
    datasets = []
    for principle in principles:
        data = []
        for r in rounds:
            by_org = organisation_scores(totals.get(r.pk, {})).get(principle.code, {})
            data.append(rounded(mean(by_org.values()), 1))
        datasets.append({"label": _(principle.title), "data": data})
    return {"labels": labels, "datasets": datasets}


def response_of(*, respondent) -> SurveyResponse | None:
    return SurveyResponse.objects.filter(respondent=respondent).prefetch_related("answers").first()


def instrument_questions(instrument_id: int) -> list[SurveyPrinciple]:
    return list(
        SurveyPrinciple.objects.filter(instrument_id=instrument_id)
        .prefetch_related("statements")
        .order_by("position")
    )


def organisation_names(ids) -> dict[int, str]:
    return dict(Organisation.objects.filter(pk__in=ids).values_list("pk", "name"))


def takes_part(actor, collaboration) -> bool:
    """The actor's organisation takes part (or took part) in `collaboration`."""
    organisation_id = actor_organisation_id(actor)
    return (
        organisation_id is not None
        and Participation.objects.filter(
            collaboration=collaboration, organisation_id=organisation_id
        ).exists()
    )


def schedule_of(collaboration) -> SurveySchedule | None:
    return SurveySchedule.objects.filter(collaboration=collaboration).first()
