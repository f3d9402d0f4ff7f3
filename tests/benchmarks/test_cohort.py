"""The evaluation's cohorts (benchmarks/cohort.py): the usual one every figure of
docs/engagement.md is measured on stays the cohort it was, and the shifted one has the habits
it claims (docs/engagement.md, "On a cohort it was not tuned to")."""

import datetime as dt
import hashlib

from benchmarks import cohort


def fingerprint(plan) -> str:
    events = [(e.at, e.kind, e.partner, e.collaboration) for e in plan.events]
    return hashlib.sha256(repr(events).encode()).hexdigest()[:16]


def test_the_usual_shape_draws_the_cohort_the_documented_figures_were_measured_on():
    # Pinned when the habits were gathered into `Shape` (December 2026): the same draws, in the
    # same order, so every table of docs/engagement.md is reproduced by `make evaluate`.
    plan = cohort.build(1)
    assert (len(plan.events), fingerprint(plan)) == (9943, "c11a68bf9e78bf52")
    assert fingerprint(cohort.build(1, shape=cohort.USUAL)) == fingerprint(plan)


def test_the_shifted_cohort_takes_a_year_end_break_with_no_meeting_held():
    plan = cohort.build(1, shape=cohort.SHIFTED)
    begins, ends = cohort.SHIFTED.year_end
    held = [e.data["held"].date() for e in plan.events if e.kind == "meeting"]
    assert held and not [day for day in held if begins <= day <= ends]
    away = [p for p in plan.partners if p.away == (begins, ends)]
    assert 0.6 < len(away) / len(plan.partners) < 0.95
    # Away means away: next to no sign of life from those partners in the break.
    keys = {p.key for p in away}
    contacts = [
        e
        for e in plan.events
        if e.kind in ("checkin", "api") and e.partner in keys and begins <= e.at.date() <= ends
    ]
    assert len(contacts) < len(away)


def test_the_shifted_cohort_has_slower_correspondents_and_summer_leave():
    usual, shifted = cohort.build(2), cohort.build(2, shape=cohort.SHIFTED)
    assert max(p.rhythm_days for p in shifted.partners) > 1.2 * max(
        p.rhythm_days for p in usual.partners
    )
    summer = [
        p
        for p in shifted.partners
        if p.holiday and dt.date(2025, 7, 1) <= p.holiday[0] <= dt.date(2025, 8, 31)
    ]
    assert len(summer) > 0.5 * sum(1 for p in shifted.partners if p.holiday)
    assert {p.key for p in shifted.partners} != {p.key for p in usual.partners} or (
        fingerprint(shifted) != fingerprint(usual)
    )
