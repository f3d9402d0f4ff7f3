"""The survey's figures for the engagement scan (the early warning), read set-based and as known
at the end of the scan date: only rounds closed by then (closing date on or before the scan
date) and responses submitted before `day.end` count, so a replayed scan sees what was known.

`read_survey(rows, day)` costs a fixed number of queries however many participations it reads;
`survey_reasons(figures)` renders the reasons in the active language."""

from __future__ import annotations

from collections import defaultdict
from fractions import Fraction

from django.utils.formats import date_format
from django.utils.translation import gettext as _

from commissioner.models import SurveyRespondent, SurveyResponse, SurveyRound

from .instrument import PRINCIPLE_NAMES
from .selectors import DIVERGENCE, answer_totals, mean, organisation_scores, rounded

# The principles the early warning reads on their own.
TRUST, COMMITMENT = "trust", "commitment"
# An organisation rating trust or commitment below this (1-5) is a reason even when the others
# rate it low too.
LOW_SCORE = Fraction(5, 2)


def empty_figures() -> dict:
    return {
        "last_round_id": None,
        "last_round_opened_on": None,
        "last_round_closed_on": None,
        "answered_last_round": None,
        "answered_round_closed_on": None,
        "trust": None,
        "commitment": None,
        "others_trust": None,
        "others_commitment": None,
        "divergent_principles": [],
        "principle_scores": {},
        "others_principle_scores": {},
    }


def read_survey(rows, day) -> dict[int, dict]:
    """Per participation (`row.pk`), as known at `day.end`:

    - `last_round_closed_on` (date or None): the closing date of the latest round of its
      collaboration closed by `day.date` to which its organisation was invited (also
      `last_round_id`, `last_round_opened_on`); None when there is none;
    - `answered_last_round`: whether the organisation submitted a response to that round before
      `day.end` (None when there is no such round);
    - `trust`, `commitment`: the organisation's score on those principles in the latest closed
      round it answered (`answered_round_closed_on`), or None;
    - `others_trust`, `others_commitment`: the mean of the other organisations' scores there;
    - `divergent_principles`: the principle codes (instrument order) on which its score differs
      from the others' mean by 1.5 points or more;
    - `principle_scores`, `others_principle_scores`: every principle's figures, by code.

    Scores are rounded to two decimals; divergence is decided on exact values. At most five
    queries, whatever the number of rows."""
    rows = list(rows)
    figures = {row.pk: empty_figures() for row in rows}
    if not rows:
        return figures
    collaboration_ids = {row.collaboration_id for row in rows}
    organisation_ids = {row.organisation_id for row in rows}
    rounds = list(
        SurveyRound.objects.filter(
            collaboration_id__in=collaboration_ids, closes_on__lte=day.date
        ).values("pk", "collaboration_id", "opened_on", "closes_on", "instrument_id")
    )
    if not rounds:
        return figures
    round_ids = [r["pk"] for r in rounds]
    invited = set(
        SurveyRespondent.objects.filter(
            round_id__in=round_ids, organisation_id__in=organisation_ids
        ).values_list("round_id", "organisation_id")
    )
    answered = set(
        SurveyResponse.objects.filter(
            round_id__in=round_ids,
            organisation_id__in=organisation_ids,
            submitted_at__lt=day.end,
        ).values_list("round_id", "organisation_id")
    )
    totals = answer_totals(round_ids, submitted_before=day.end)
    principle_order = _principle_order({r["instrument_id"] for r in rounds})

    by_collaboration = defaultdict(list)
    for survey_round in sorted(rounds, key=lambda r: (r["closes_on"], r["pk"]), reverse=True):
        by_collaboration[survey_round["collaboration_id"]].append(survey_round)
    scores_of_round = {}
    for row in rows:
        result = figures[row.pk]
        organisation_id = row.organisation_id
        mine = [
            r
            for r in by_collaboration.get(row.collaboration_id, [])
            if (r["pk"], organisation_id) in invited or (r["pk"], organisation_id) in answered
        ]
        if not mine:
            continue
        last = mine[0]
        result["last_round_id"] = last["pk"]
        result["last_round_opened_on"] = last["opened_on"]
        result["last_round_closed_on"] = last["closes_on"]
        result["answered_last_round"] = (last["pk"], organisation_id) in answered
        answered_round = next((r for r in mine if (r["pk"], organisation_id) in answered), None)
        if answered_round is None:
            continue
        result["answered_round_closed_on"] = answered_round["closes_on"]
        if answered_round["pk"] not in scores_of_round:
            scores_of_round[answered_round["pk"]] = organisation_scores(
                totals.get(answered_round["pk"], {})
            )
        scores = scores_of_round[answered_round["pk"]]
        order = principle_order.get(answered_round["instrument_id"], [])
        divergent = []
        for code in order:
            by_org = scores.get(code, {})
            own = by_org.get(organisation_id)
            others = mean(score for org, score in by_org.items() if org != organisation_id)
            result["principle_scores"][code] = rounded(own)
            result["others_principle_scores"][code] = rounded(others)
            if own is not None and others is not None and abs(own - others) >= DIVERGENCE:
                divergent.append(code)
        result["divergent_principles"] = divergent
        result["trust"] = result["principle_scores"].get(TRUST)
        result["commitment"] = result["principle_scores"].get(COMMITMENT)
        result["others_trust"] = result["others_principle_scores"].get(TRUST)
        result["others_commitment"] = result["others_principle_scores"].get(COMMITMENT)
    return figures


def _principle_order(instrument_ids) -> dict[int, list[str]]:
    from commissioner.models import SurveyPrinciple

    order = defaultdict(list)
    for instrument_id, code in (
        SurveyPrinciple.objects.filter(instrument_id__in=instrument_ids)
        .order_by("instrument_id", "position")
        .values_list("instrument_id", "code")
    ):
        order[instrument_id].append(code)
    return order


def _one_decimal(value: float) -> str:
    return f"{value:.1f}"


def survey_reasons(figures: dict) -> list[str]:
    """Reasons in the reader's language from one participation's figures (read_survey):
    "did not answer the October round"; "rated trust 2.0 of 5 where the others rated 4.1" (trust
    or commitment low, or divergent); "saw purpose differently from the others (4.8 of 5
    against 2.9)" for another divergent principle."""
    reasons = []
    if figures.get("answered_last_round") is False and figures.get("last_round_opened_on"):
        reasons.append(
            _("did not answer the %(month)s round")
            % {"month": date_format(figures["last_round_opened_on"], "F")}
        )
    divergent = list(figures.get("divergent_principles") or [])
    for code in (TRUST, COMMITMENT):
        own, others = figures.get(code), figures.get(f"others_{code}")
        if own is None:
            continue
        if code in divergent or own < LOW_SCORE:
            name = _(PRINCIPLE_NAMES[code])
            if others is None:
                reasons.append(
                    _("rated %(principle)s %(score)s of 5")
                    % {"principle": name, "score": _one_decimal(own)}
                )
            else:
                reasons.append(
                    _("rated %(principle)s %(score)s of 5 where the others rated %(others)s")
                    % {
                        "principle": name,
                        "score": _one_decimal(own),
                        "others": _one_decimal(others),
                    }
                )
    scores = figures.get("principle_scores") or {}
    others_scores = figures.get("others_principle_scores") or {}
    for code in divergent:
        if code in (TRUST, COMMITMENT) or scores.get(code) is None:
            continue
        reasons.append(
            _("saw %(principle)s differently from the others (%(score)s of 5 against %(others)s)")
            % {
                "principle": _(PRINCIPLE_NAMES.get(code, code)),
                "score": _one_decimal(scores[code]),
                "others": _one_decimal(others_scores[code]),
            }
        )
    return reasons
