"""One participation's figures turned into components, a score, a band and reasons: pure
functions, in integers, the same in the scan, the backtest and the evaluation."""

from __future__ import annotations

import datetime as dt
import functools
import math
from dataclasses import dataclass, field
from fractions import Fraction

from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _

from ..models import Band
from ..reasons import SIGNAL_FIGURES, coded, render_all
from ..trends import Trend
from .policy import SIGNALS, SURVEY_LOW, Policy


# Plain, not frozen: built for every partner (see trends.Trend).
@dataclass(unsafe_hash=True)
class Figures:
    """Everything the scan read about one participation on one scan date."""

    meetings_held: int = 0
    meetings_present: int = 0
    meetings_apologies: int = 0
    consecutive_absences: int = 0
    obligations_due: int = 0
    # Days overdue of each outstanding obligation whose due date has passed.
    overdue_days: tuple[int, ...] = ()
    reports_expected: int = 0
    reports_made: int = 0
    days_since_activity: int = 0
    signatures_pending: int = 0
    max_days_awaiting_signature: int = 0
    # Days late of each obligation met late in the window (they weigh half of an outstanding one).
    late_met_days: tuple[int, ...] = ()
    # Held meetings with no attendance recorded yet, within the grace period: not counted.
    meetings_unrecorded: int = 0
    days_since_joining: int = 10_000
    meetings_since_joining: int = 10_000
    # Hashable (nothing assigns to a Trend once built): one shared default is safe.
    trend: Trend = Trend()  # noqa: RUF009
    # The partnership health survey's figures (commissioner/survey/signals.py), frozen.
    survey: tuple = ()

    @property
    def meetings_missed(self) -> int:
        return self.meetings_held - self.meetings_present

    @property
    def obligations_overdue(self) -> int:
        return len(self.overdue_days)

    @property
    def max_days_overdue(self) -> int:
        return max(self.overdue_days, default=0)

    @property
    def reports_missing(self) -> int:
        return self.reports_expected - self.reports_made

    @property
    def late_met(self) -> int:
        return len(self.late_met_days)

    @property
    def max_late_met(self) -> int:
        return max(self.late_met_days, default=0)


# Plain, not frozen: built for every partner (see trends.Trend).
@dataclass
class Assessment:
    figures: Figures
    # Each signal's component as an exact (numerator, denominator); see ratios_for.
    ratios: dict[str, tuple[int, int]]
    score: int
    band: str
    # Why it lost points, as codes and figures (commissioner/reasons.py).
    codes: list[dict] = field(default_factory=list)

    @property
    def reasons(self) -> list[str]:
        """The reasons in the active language."""
        return render_all(self.codes)

    @property
    def components(self) -> dict[str, Fraction]:
        return {signal: Fraction(n, d) for signal, (n, d) in self.ratios.items()}

    @property
    def attendance_rate(self) -> Fraction | None:
        # One Fraction, not the five of `components`: the scan reads it for every partner.
        # The share attended, even of a meeting too few to be scored (ratios_for).
        f = self.figures
        if not f.meetings_held:
            return None
        return Fraction(2 * f.meetings_present + f.meetings_apologies, 2 * f.meetings_held)


def ratios_for(figures: Figures, policy: Policy) -> dict[str, tuple[int, int]]:
    """Each signal as an exact ratio (numerator, denominator > 0) in [0, 1]; 1 is perfect.
    Integers rather than Fractions: the scan scores every partner every day."""
    f = figures
    if f.meetings_held >= max(1, policy.new_partner_meetings):
        # Present counts 1, apologies ½.
        attendance = (2 * f.meetings_present + f.meetings_apologies, 2 * f.meetings_held)
    else:
        # No meeting, or too few to judge: one meeting missed is one event, not a record
        # (a new partner is never flagged from one event; docs/engagement.md).
        attendance = (1, 1)
    # 1 - Σ min(days / grace, 1) / max(1, due), at least 0.
    grace = max(1, policy.overdue_grace_days)
    whole = grace * max(1, f.obligations_due)
    late = 2 * sum(min(days, grace) for days in f.overdue_days)
    late += sum(min(days, grace) for days in f.late_met_days)
    # In halves: an obligation met late weighs half of one still outstanding as late.
    obligations = (max(0, 2 * whole - late), 2 * whole)
    reporting = (f.reports_made, f.reports_expected) if f.reports_expected else (1, 1)
    inactivity = max(1, policy.inactivity_days)
    # Days of silence beyond the partner's own usual gap between signs of life (when it has one):
    # a monthly correspondent quiet for three weeks has lost nothing; a weekly one has.
    usual = round(f.trend.usual_gap) if f.trend.usual_gap is not None else 0
    silent = max(0, f.days_since_activity - usual)
    recency = (max(0, inactivity - silent), inactivity)
    signatures = (0, 1) if f.signatures_pending else (1, 1)
    return {
        "attendance": attendance,
        "obligations": obligations,
        "reporting": reporting,
        "recency": recency,
        "signatures": signatures,
    }


def band_for(score: int, policy: Policy) -> str:
    if score >= policy.engaged_min:
        return Band.ENGAGED
    if score >= policy.at_risk_min:
        return Band.AT_RISK
    return Band.DISENGAGED


# The figures each reason quotes: reason_for caches its text on these.
REASON_FIGURES = {
    "attendance": (
        "meetings_missed",
        "meetings_held",
        "meetings_apologies",
        "consecutive_absences",
    ),
    "obligations": ("obligations_overdue", "max_days_overdue", "late_met", "max_late_met"),
    "reporting": ("reports_missing", "reports_expected"),
    "recency": ("days_since_activity",),
    "signatures": ("signatures_pending", "max_days_awaiting_signature"),
}


def reason_for(signal: str, figures: Figures, language: str | None = None) -> str:
    """Why `signal` lost points, in words, in `language` (by default the active one)."""
    numbers = tuple(getattr(figures, name) for name in REASON_FIGURES[signal])
    return _reason_text(language or get_language(), signal, numbers)


def reason_code(signal: str, figures: Figures) -> dict:
    """Why `signal` lost points, as a code and the figures its text quotes (reasons.py)."""
    numbers = (getattr(figures, name) for name in REASON_FIGURES[signal])
    return coded(signal, **dict(zip(SIGNAL_FIGURES[signal], numbers, strict=True)))


@functools.lru_cache(maxsize=4096)
def _reason_text(language: str | None, signal: str, numbers: tuple[int, ...]) -> str:
    """Cached per language and figures: Django's (n)gettext walks every catalogue on each call,
    which cost the scan more than its arithmetic; the same few hundred sentences recur."""
    if signal == "attendance":
        missed, held, apologies, in_a_row = numbers
        text = _("missed %(missed)s of the last %(held)s meetings") % {
            "missed": missed,
            "held": held,
        }
        if apologies:
            text += " " + (
                ngettext(
                    "(apologies sent for %(count)s)",
                    "(apologies sent for %(count)s)",
                    apologies,
                )
                % {"count": apologies}
            )
        if 2 <= in_a_row < held:
            text += ", " + _("the last %(count)s in a row") % {"count": in_a_row}
        return text
    if signal == "obligations":
        overdue, days, late_met, late_days = numbers
        parts = []
        if overdue == 1:
            parts.append(
                ngettext(
                    "1 obligation overdue by %(days)s day",
                    "1 obligation overdue by %(days)s days",
                    days,
                )
                % {"days": days}
            )
        elif overdue:
            parts.append(
                _("%(count)s obligations overdue, oldest %(days)s days")
                % {"count": overdue, "days": days}
            )
        if late_met:
            parts.append(
                ngettext(
                    "%(count)s obligation met late, by up to %(days)s days",
                    "%(count)s obligations met late, by up to %(days)s days",
                    late_met,
                )
                % {"count": late_met, "days": late_days}
            )
        return "; ".join(parts)
    if signal == "reporting":
        missing, expected = numbers
        return ngettext(
            "%(missing)s of %(expected)s goal report missing",
            "%(missing)s of %(expected)s goal reports missing",
            expected,
        ) % {"missing": missing, "expected": expected}
    if signal == "recency":
        (days,) = numbers
        return ngettext("no activity in %(days)s day", "no activity in %(days)s days", days) % {
            "days": days
        }
    if signal == "signatures":
        pending, days = numbers
        if pending == 1:
            return ngettext(
                "1 agreement awaiting signature for %(days)s day",
                "1 agreement awaiting signature for %(days)s days",
                days,
            ) % {"days": days}
        return _("%(count)s agreements awaiting signature, oldest %(days)s days") % {
            "count": pending,
            "days": days,
        }
    raise ValueError(signal)


def assess(figures: Figures, policy: Policy) -> Assessment:
    """Components, score, band, and one reason per component that lost points, the component
    that cost most first. In integers over a common
    denominator (exact, and several times faster than Fractions)."""
    ratios = ratios_for(figures, policy)
    weights = policy.weights
    total_weight = sum(weights)
    common = math.lcm(*(denominator for _numerator, denominator in ratios.values()))
    if total_weight == 0:
        score = 100
    else:
        weighted = sum(
            weight * numerator * (common // denominator)
            for weight, (numerator, denominator) in zip(weights, ratios.values(), strict=True)
        )
        # round(100 · weighted / (total · common)), halves up.
        score = (200 * weighted + total_weight * common) // (2 * total_weight * common)
    penalties = relationship_penalties(figures.trend, policy)
    survey = thaw(figures.survey)
    penalties += survey_penalties(survey, policy)
    score = max(0, score - sum(points for _code, points in penalties))
    lost = [
        # Points lost, scaled by the common denominator: exact, so ties fall back to the order.
        (weight * (denominator - numerator) * (common // denominator), index, signal)
        for index, (signal, weight, (numerator, denominator)) in enumerate(
            zip(SIGNALS, weights, ratios.values(), strict=True)
        )
        if numerator < denominator and weight > 0
    ]
    lost.sort(key=lambda item: (-item[0], item[1]))
    codes = [reason_code(signal, figures) for _lost, _index, signal in lost]
    codes += [
        relationship_code(code, figures.trend)
        for code, _points in penalties
        if not code.startswith("survey")
    ]
    if any(code.startswith("survey") for code, _points in penalties):
        codes.append(coded("survey", **_survey_reason_figures(survey)))
    return Assessment(
        figures=figures,
        ratios=ratios,
        score=score,
        band=band_for(score, policy),
        codes=codes,
    )


def relationship_penalties(trend: Trend, policy: Policy) -> list[tuple[str, int]]:
    """Points off the score for the relationship signals (lower weight: policy settings)."""
    penalties = []
    if trend.contact_left and policy.points_contact_left:
        penalties.append(("contact_left", policy.points_contact_left))
    if trend.single_contact and policy.points_single_contact:
        penalties.append(("single_contact", policy.points_single_contact))
    if trend.partners_withdrawn and policy.points_partner_withdrew:
        penalties.append(("partner_withdrew", policy.points_partner_withdrew))
    return penalties


def survey_penalties(survey: dict, policy: Policy) -> list[tuple[str, int]]:
    """Points off the score from the partnership health survey: the latest round not answered;
    trust or commitment rated low (under 2.5) or apart from the others (1.5 points or more);
    another principle rated apart from the others."""
    penalties = []
    if survey.get("answered_last_round") is False and policy.points_survey_unanswered:
        penalties.append(("survey_unanswered", policy.points_survey_unanswered))
    divergent = set(survey.get("divergent_principles") or ())
    low = any(
        survey.get(code) is not None and (survey[code] < SURVEY_LOW or code in divergent)
        for code in ("trust", "commitment")
    )
    if low and policy.points_survey_trust:
        penalties.append(("survey_trust", policy.points_survey_trust))
    if divergent - {"trust", "commitment"} and policy.points_survey_divergent:
        penalties.append(("survey_divergent", policy.points_survey_divergent))
    return penalties


def freeze(value):
    """A hashable copy of the survey figures (Figures are the scan's memo keys)."""
    if isinstance(value, dict):
        return tuple(sorted((key, freeze(item)) for key, item in value.items()))
    if isinstance(value, list | tuple):
        return ("__list__", *(freeze(item) for item in value))
    return value


def thaw(value):
    if isinstance(value, tuple) and value[:1] == ("__list__",):
        return [thaw(item) for item in value[1:]]
    if isinstance(value, tuple):
        return {key: thaw(item) for key, item in value}
    return value


def relationship_code(code: str, trend: Trend) -> dict:
    if code == "partner_withdrew":
        return coded(code, count=trend.partners_withdrawn)
    return coded(code)


def _survey_reason_figures(survey: dict) -> dict:
    """The survey figures its reasons quote (already _scored_survey's), as JSON."""
    return {
        key: value.isoformat() if isinstance(value, dt.date) else value
        for key, value in survey.items()
    }


def _scored_survey(figures: dict | None) -> dict:
    """What the score and the reasons read of a participation's survey figures (the round's
    id and every principle's figures aside, so that partners with the same answers share a
    memo entry)."""
    if not figures or (figures.get("last_round_id") is None and figures.get("trust") is None):
        return {}
    keep = (
        "answered_last_round",
        "last_round_opened_on",
        "trust",
        "commitment",
        "others_trust",
        "others_commitment",
        "divergent_principles",
        "principle_scores",
        "others_principle_scores",
    )
    return {key: figures.get(key) for key in keep}
