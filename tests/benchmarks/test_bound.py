"""benchmarks/bound.py: its model is the cohort's (the contact chain against a brute-force sum
over every way the cohort could have drawn the same contacts; the delay distributions), and its
posterior tells a partner gone silent from a steady one."""

from __future__ import annotations

import datetime as dt
import itertools
import math
from types import SimpleNamespace

import numpy as np
import pytest

from benchmarks import bound, cohort, evaluate

MONDAY = dt.date(2025, 1, 6)


def brute_force(contacts: dict[int, int], rhythm: float, horizon: int) -> float:
    """P(exactly these contacts on days 0..horizon) for a steady partner joining on day 0, by
    summing over every first due day, gap and kept-or-skipped contact (cohort._plan_partner)."""
    pmf = bound.gap_pmf(rhythm)

    def shifted(day: int) -> int:
        weekday = (MONDAY + dt.timedelta(days=day)).weekday()
        return day + (7 - weekday if weekday >= 5 else 0)

    def paths(due: int, seen: dict[int, int]) -> float:
        if due > horizon:
            return float(all(seen.get(d, 0) == contacts.get(d, 0) for d in range(horizon + 1)))
        total = 0.0
        on = shifted(due)
        for kept, p_keep in ((True, bound.KEEP), (False, 1 - bound.KEEP)):
            now = dict(seen)
            if kept and on <= horizon:
                now[on] = now.get(on, 0) + 1
            if any(now.get(d, 0) > contacts.get(d, 0) for d in now):
                continue
            for gap, p_gap in enumerate(pmf, start=1):
                if p_gap:
                    total += p_keep * p_gap * paths(due + gap, now)
        return total

    return sum(paths(first, {}) / 7 for first in range(7))


@pytest.mark.parametrize(
    "contacts",
    [{}, {1: 1}, {2: 1, 7: 1}, {0: 1, 3: 1, 7: 2}, {3: 1, 9: 1, 14: 1}],
    ids=["none", "one", "two", "a Monday with two", "three"],
)
def test_the_contact_chain_is_the_cohorts_contact_process(contacts):
    horizon = 15
    plan = SimpleNamespace(start=MONDAY, scans_to=MONDAY + dt.timedelta(days=horizon))
    partner = SimpleNamespace(joined=MONDAY, holiday=None, away=None)
    loglik = bound.contact_loglik(partner, plan, bound.Hypotheses(1, 0), contacts, 4.0)
    expected = brute_force(contacts, 4.0, horizon)
    assert expected > 0
    assert loglik[0, horizon] == pytest.approx(math.log(expected), abs=1e-9)


def test_the_gap_and_delay_distributions_are_the_cohorts():
    gaps = bound.gap_pmf(10.0)  # round(10 x U(0.6, 1.4)): 6 to 14, the ends half as likely
    assert gaps.sum() == pytest.approx(1)
    assert np.flatnonzero(gaps).tolist() == list(range(5, 14))
    assert gaps[5] == pytest.approx(gaps[6] / 2)
    usual = bound.report_pmf(100)  # 2 to 14 days (88 %), 20 to 39 (12 %)
    delays = np.flatnonzero(usual) - bound.OFFSET
    assert (delays.min(), delays.max()) == (2, 39)
    assert usual.sum() == pytest.approx(1)
    # Under 0.3 of its usual self a partner sends no report with probability 1 - v.
    assert bound.report_pmf(20).sum() == pytest.approx(0.2)
    # Half its usual self: 7.5 to 22.5 days later on top.
    assert (np.arange(bound.SPAN) - bound.OFFSET) @ bound.report_pmf(50) == pytest.approx(
        (np.arange(bound.SPAN) - bound.OFFSET) @ usual + 15, abs=0.05
    )
    # The rising-hazard report model (line 6h): a gamma of shape 3 around 10 days floored to
    # whole days (about 9.5 on average), 90 % of it, and the drifting one around 30, 10 %; the
    # other way round when drifting.
    days = np.arange(bound.SPAN) - bound.OFFSET
    for v100, mean in ((100, 0.9 * 9.5 + 0.1 * 29.5), (50, 0.1 * 9.5 + 0.9 * 29.5)):
        hazard = bound.hazard_report_pmf(v100)
        assert hazard.sum() == pytest.approx(1, abs=1e-5)
        assert days @ hazard == pytest.approx(mean, abs=0.01)
    met = bound.obligation_pmf(100)  # N(-3, 4) (90 %) or U(10, 30) (10 %)
    assert met.sum() == pytest.approx(1)
    assert (np.arange(bound.SPAN) - bound.OFFSET) @ met == pytest.approx(
        0.9 * -3 + 0.1 * 20, abs=0.05
    )


@pytest.fixture(scope="module")
def seed_one():
    """The evaluation's first cohort, and every change on a day of its scans."""
    plan = cohort.build(1)
    return plan, bound.Hypotheses.for_plan(plan)


def test_the_posterior_tells_a_partner_gone_silent_from_a_steady_one(seed_one):
    plan, hyps = seed_one
    observations = bound.observations(plan)
    silent = next(
        p
        for p in plan.partners
        if p.kind == cohort.SUDDEN and p.rhythm_days < 10 and not p.uses_api
    )
    steady = next(p for p in plan.partners if p.kind == cohort.STEADY and p.holiday is None)
    odds = bound.posterior(plan, silent, hyps, observations)
    before = [v for day, v in odds.items() if day <= silent.silence]
    after = odds[silent.silence + dt.timedelta(days=21)]
    assert max(before) < 1 < after  # under 10:1 while it is its usual self, over it 3 weeks on
    assert max(bound.posterior(plan, steady, hyps, observations).values()) < 1
    # The warning is up from the first day the odds reach the threshold.
    series = bound.warnings(plan, {silent.key: odds}, 1.0)
    raised = min(series[silent.key].up)
    assert odds[raised] >= 1 and all(v < 1 for day, v in odds.items() if day < raised)


def test_every_option_of_every_variant_changes_what_the_bound_says(monkeypatch, seed_one):
    """An option misspelt in VARIANTS would be ignored without a word: each must move the odds
    of a drifter (one on leave, with goals and meetings)."""
    plan, hyps = seed_one
    observations = bound.observations(plan)
    drifter = next(
        p
        for p in plan.partners
        if p.kind == cohort.DRIFTER
        and p.holiday is not None
        and plan.scans_from <= p.holiday[0] < p.holiday[1] < p.silence
    )
    plain = bound.posterior(plan, drifter, hyps, observations)
    options = set(itertools.chain.from_iterable(o for _label, o in bound.VARIANTS.values()))
    options |= {"scan-obligations", "scan-attendance"}
    for option in sorted(options):
        monkeypatch.setattr(bound, "OPTIONS", {option})
        odds = bound.posterior(plan, drifter, hyps, bound.observations(plan))
        assert odds != plain, option


def test_a_partner_in_a_deep_dip_is_warned_and_released_once_it_is_back(seed_one):
    """A dip counts as "not its usual self" while it lasts and as "back" once it is over: the
    odds rise in the dip and fall once the partner's usual signs of life return."""
    plan, hyps = seed_one
    recoverer = next(
        p
        for p in plan.partners
        if p.kind == cohort.RECOVERER and p.depth > 0.8 and p.rhythm_days < 7
    )
    odds = bound.posterior(plan, recoverer, hyps, bound.observations(plan))
    start, end = recoverer.dip
    assert max(v for day, v in odds.items() if start <= day <= end) > 1
    assert odds[end + dt.timedelta(days=30)] < 0


def test_a_named_contact_leaving_weighs_as_the_cohort_draws_it(monkeypatch):
    """Recorded on day 100 by a partner that joined on day 0. For reasons of its own (a share
    of 0.15), its contact left on one of days 30..299 and was recorded 0..30 days later, each
    way as likely: 31 of the 270 x 31 ways give day 100, P = 0.15 / 270. A drift or a dip
    starting on day 110 began with it a third of the time: left 0..14 days before the start,
    recorded 0..30 days after that, 10 days before the start in 5 of 15 x 31 ways; P = 1/3 x
    5/465 + 2/3 x 0.15/270. A sudden silence on day 110 is found out 5..30 days after it, so
    only the other two thirds can give day 100. Before day 100 nothing is recorded yet: the
    chance it is still to come, 1 - 0.15 x (1 + ... + 21) / 8370 by day 50 for the usual self."""
    monkeypatch.setattr(bound, "OPTIONS", set())
    plan = SimpleNamespace(start=MONDAY, scans_to=MONDAY + dt.timedelta(days=389))
    partner = SimpleNamespace(joined=MONDAY)
    hyps = bound.Hypotheses(110, 110)
    days = np.array([50, 100, 120])
    loglik = bound.turnover_loglik(plan, partner, hyps, 100, days)
    own = 0.15 / 270
    kinds = {bound.NULL: own, bound.DRIFT: 5 / 465 / 3 + 2 / 3 * own}
    kinds |= {bound.DIP: kinds[bound.DRIFT], bound.SUDDEN: 2 / 3 * own}
    by_day_50 = 0.15 * 231 / 8370
    for row, kind in enumerate(hyps.kind):
        assert np.exp(loglik[row, 1:]) == pytest.approx([kinds[kind]] * 2)
        early = by_day_50 if kind == bound.NULL else 2 / 3 * by_day_50
        assert np.exp(loglik[row, 0]) == pytest.approx(1 - early)


def test_a_table_replaces_only_what_lies_between_its_markers():
    report = f"intro\n{bound.BEGIN}\nold table\n{bound.END}\nafter\n{bound.BEGIN}"
    assert evaluate.replace_block(report, bound.BEGIN, bound.END, "new") == (
        f"intro\n{bound.BEGIN}\nnew\n{bound.END}\nafter\n{bound.BEGIN}"
    )
