"""`python -m benchmarks.bound`: the best any early warning could do on the evaluation's cohorts.

`benchmarks.frontier` replays other rules; this asks what no rule can beat. It computes, for
every partner on every scan day, the posterior odds that the partner is not its usual self that
day — it has begun to drift, gone silent, or is in a dip — against that it is (it never changed,
or its dip is over), given everything it did up to that day, under **the cohort's own model**
(`benchmarks/cohort.py`): the exact process that drew the events. The first line also knows what
no scan can know: each partner's true rhythm and its leave, and every event on the day it
happened (no recording delay). The posterior of a change under the true model is the optimal
statistic for quickest detection (Shiryaev's problem): at a given rate of false alarms no rule
warns earlier. So its trade-off between recall and lead on one side and false flags on the other
is an upper bound for the scan, to within what is approximated below.

What is exact and what is approximate:
- signs of life: the cohort's contact process itself — a renewal process (gaps of rhythm x
  U(0.6, 1.4) days, a weekend's contact moved to Monday), each contact due kept with probability
  0.9 x vigour (0.4 of that on leave) — followed by a hidden Markov model of the days to the next
  contact due (the forward algorithm);
- meetings: present 0.86 v, apologies 0.09 + 0.35 (1 - v), absent the rest; on leave apologies
  0.8 and absent 0.2;
- goal reports and obligations: the cohort's delay distributions (a report 2-14 days after the
  period, 12 % of them 20-39, plus (1 - v) U(15, 45); an obligation N(-3, 4) days from its due
  date, 10 % U(10, 30), plus (1 - v) U(20, 60); below a vigour of 0.3 / 0.25 never, with
  probability 1 - v), each outstanding one by its survival;
- the changes, each starting on any day of the scan window (a grid of every 2 days), with the
  cohort's own prior shares: drift (22 %) lasting 60 to 120 days (5 values), a step of 0.3 to
  0.5 (3 values), contact slipping from 0, 0.1 or 0.2 of the drift, the other behaviours from
  0.1 (the cohort draws each behaviour's own); sudden silence (8 %); a dip (15 %) of 21, 31 or
  42 days at 0.5, 0.3 or 0.1 of usual, then the usual self again. A recoverer does not settle
  what it let slip in its dip here (the cohort's partners do, within four weeks);
- the named contact's departure, as recorded (line 2t only): the cohort's staff turnover
  (turnover_loglik); the successor's naming is left out.

The warning is up while log10 of the posterior odds is over the threshold (and stays up until
it falls a whole unit under it). It is measured as the evaluation measures the scan
(`benchmarks.evaluate.metrics`). No database is needed: the cohort plan is rebuilt from its seed.

Variants (VARIANTS; one line of the table each), to see what the bound owes to what:
1. the oracle above;
2. as a scan could know it: the rhythm estimated from the partner's own signs of life before the
   scans (the likeliest under the contact chain; a joiner's from its first 60 days), its leave
   unknown, attendance known when it is recorded, and every delay possible (2 % of each delay
   distribution spread flat: no certainty from the cohort's hard edges);
2t. as 2, and the named contact's departure as recorded (December 2026: the cohort's staff
   turnover, which lines 1 to 7 do not read);
3. and 4. as 2, from signs of life alone, and without them;
5. as 2, but signs of life weighed as the scan weighs them (each day on its own, whatever the
   days before held) and drifting taken as the scan takes it (0.4 of usual from the change on,
   instead of the cohort's decline to silence);
6. and 7. as 5, with the scan's own model (commissioner.trends) of report delays, then of
   reports, obligations and meetings: delays exponential around the usual one (10 days for
   reports, 7 for obligations), 20 and 25 days longer when drifting; meetings present 0.8,
   apologies 0.1, absent 0.1, present halved when drifting.
Going down from 2 to 7 turns the bound into the scan's own model one piece at a time; what each
step costs is what that piece of the scan's model costs. And three lines that ask how much of
that is the cohort's own sharp edges, which a scan tried on other cohorts must not lean on:
2s. and 5s. as 2 and 5, with no delay known to the day (each day's mass of every delay
   distribution spread over the 11 days around it: a steady partner's report 15 to 19 days late,
   which this cohort never draws, is no longer nearly impossible);
6h. as 6, with report delays of a rising hazard instead of the scan's exponential ones.

    python -m benchmarks.bound [--seeds 1,2,3] [--variants oracle,realistic]
        [--extra realistic+soft] [--jobs 2] [--json FILE] [--write-docs]

About a minute per variant and seed on one core.
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import json
import math
import multiprocessing
import statistics
import sys
from collections import defaultdict
from functools import cache
from pathlib import Path

import numpy as np

from benchmarks import cohort, evaluate

BEGIN, END = "<!-- bound:begin -->", "<!-- bound:end -->"
GRID_DAYS = 2
LENGTHS = (60, 75, 90, 105, 120)
STEPS = (0.3, 0.4, 0.5)
CONTACT_SLIPS = (0.0, 0.1, 0.2)
OTHER_SLIP = 0.1
DIP_LENGTHS = (21, 31, 42)
DIP_DEPTHS = (0.5, 0.7, 0.9)
SHARES = {"drift": 0.22, "sudden": 0.08, "dip": 0.15}
NULL, DRIFT, SUDDEN, DIP = range(4)
THRESHOLDS = (0.5, 0.75, 1.0, 1.25, 1.5)
NEVER = 10_000  # a day index past every horizon
KEEP, LEAVE_KEEP = 0.9, 0.4
# The options of the variant being computed (VARIANTS, and the module's docstring).
OPTIONS: set[str] = set()
SOFT = 0.02


class Hypotheses:
    """The null (index 0: never changes) and every change point with its shape."""

    def __init__(self, first: int, last: int):
        # (kind, change day, length, step or depth, contact slip, prior weight)
        rows = [(NULL, NEVER, 0, 0.0, 0.0, 0.0)]
        n_shapes = len(LENGTHS) * len(STEPS) * len(CONTACT_SLIPS)
        n_dips = len(DIP_LENGTHS) * len(DIP_DEPTHS)
        # The change is as likely on any day of the window (each grid day stands for GRID_DAYS).
        per_day = GRID_DAYS / max(1, last - first + 1)
        for s in range(first, last + 1, GRID_DAYS):
            for length, step, slip in itertools.product(LENGTHS, STEPS, CONTACT_SLIPS):
                rows.append((DRIFT, s, length, step, slip, SHARES["drift"] * per_day / n_shapes))
            rows.append((SUDDEN, s, 0, 0.0, 0.0, SHARES["sudden"] * per_day))
            for length, depth in itertools.product(DIP_LENGTHS, DIP_DEPTHS):
                rows.append((DIP, s, length, depth, 0.0, SHARES["dip"] * per_day / n_dips))
        table = np.array(rows, dtype=float)
        self.kind = table[:, 0].astype(int)
        self.start = table[:, 1].astype(int)
        self.length = table[:, 2].astype(int)
        self.step = table[:, 3]
        self.contact_slip = table[:, 4]
        self.log_weight = np.log(np.where(table[:, 5] > 0, table[:, 5], 1.0))
        self.silence = np.where(
            self.kind == DRIFT,
            self.start + self.length,
            np.where(self.kind == SUDDEN, self.start, NEVER),
        )
        self.size = len(rows)
        # Reports, obligations and meetings do not depend on when contact slips: they are
        # computed once per (kind, change day, length, step) and spread to the contact slips.
        keys = np.stack([self.kind, self.start, self.length, self.step], axis=1)
        _unique, first_rows, inverse = np.unique(
            keys, axis=0, return_index=True, return_inverse=True
        )
        self.inverse = inverse.ravel()
        self.representatives = first_rows

    @classmethod
    def for_plan(cls, plan) -> Hypotheses:
        """Every change on a day of the plan's scans."""
        return cls((plan.scans_from - plan.start).days, (plan.scans_to - plan.start).days)

    def subset(self, rows: np.ndarray) -> Hypotheses:
        other = object.__new__(Hypotheses)
        for name in ("kind", "start", "length", "step", "contact_slip", "log_weight", "silence"):
            setattr(other, name, getattr(self, name)[rows])
        other.size = len(rows)
        return other

    def vigour(self, day: int, slip: np.ndarray | float) -> np.ndarray:
        """cohort.vigour for every hypothesis on day index `day` (1 up to the change day)."""
        length = np.maximum(self.length, 1)
        progress = (day - self.start) / length
        into = (progress - slip) / (1.0 - slip)
        early = 1.0 - self.step * into / 0.2
        late = np.maximum(0.05, (1.0 - self.step) * (1.0 - (into - 0.2) / 0.8))
        v = np.where(progress <= slip, 1.0, np.where(into < 0.2, early, late))
        if "flat-drift" in OPTIONS:  # the scan's alternative: 0.4 of usual from the change on
            v = np.where(day > self.start, 0.4, 1.0)
        # A dip: 1 - depth for its length, then the partner's usual self again.
        in_dip = (day > self.start) & (day <= self.start + self.length)
        v = np.where(self.kind == DIP, np.where(in_dip, 1.0 - self.step, 1.0), v)
        v = np.where(self.kind == NULL, 1.0, v)
        return np.where(day > self.silence, 0.0, v)


def gap_pmf(rhythm: float) -> np.ndarray:
    """P(gap = g days), g = max(1, round(rhythm x U(0.6, 1.4))), at index g - 1."""
    top = math.ceil(rhythm * 1.4 + 1)
    pmf = np.zeros(top)
    for g in range(1, top + 1):
        low, high = max(0.6, (g - 0.5) / rhythm), min(1.4, (g + 0.5) / rhythm)
        pmf[g - 1] = max(0.0, high - low) / 0.8
    return pmf / pmf.sum()


def rhythm_of(partner, plan, contacts: dict[int, int]) -> float:
    """The partner's rhythm: its true one, or (variant "estimated-rhythm") the one that makes its
    signs of life before the scans likeliest (a joiner's: its first 60 days)."""
    if "estimated-rhythm" not in OPTIONS:
        return partner.rhythm_days
    null = Hypotheses(1, 0)
    joined = (max(plan.start, partner.joined) - plan.start).days
    until = max((plan.scans_from - plan.start).days, joined + 60)
    grid = np.geomspace(3, 45, 48)
    fits = [contact_loglik(partner, plan, null, contacts, r, until)[0, until - 1] for r in grid]
    return float(grid[int(np.argmax(fits))])


def contact_loglik(
    partner, plan, hyps: Hypotheses, contacts: dict[int, int], rhythm: float, until: int = 0
) -> np.ndarray:
    """log P(signs of life up to the end of each day | hypothesis): an array (hypotheses, days).
    The hidden state is (days to the next contact due, a weekend contact kept for Monday)."""
    days = until or (plan.scans_to - plan.start).days + 1
    day0 = (max(plan.start, partner.joined) - plan.start).days
    if "bernoulli-contact" in OPTIONS:
        return _bernoulli_loglik(partner, plan, hyps, contacts, rhythm, day0, days)
    pmf = gap_pmf(rhythm)
    k = len(pmf)
    alpha = np.zeros((hyps.size, 2, k))
    alpha[:, 0, :7] = 1 / 7  # the first contact falls due 0 to 6 days after joining
    loglik = np.zeros((hyps.size, days))
    total = np.zeros(hyps.size)
    # A change on day s leaves days up to s as the null has them: a hypothesis is computed from
    # the day after its change, starting from the null's state then (hypotheses are in order of
    # their change day, the null first).
    active = 1
    for day in range(day0, days):
        ready = 1 + int(np.searchsorted(hyps.start[1:], day))
        if ready > active:
            alpha[active:ready] = alpha[0]
            total[active:ready] = total[0]
            active = ready
        a, t = alpha[:active], total[:active]
        date = plan.start + dt.timedelta(days=day)
        weekday = date.weekday()
        shifted = date + dt.timedelta(days=(7 - weekday) if weekday >= 5 else 0)
        leave = cohort.on_holiday(partner, shifted) and "no-leave" not in OPTIONS
        vigour = hyps.vigour(day, hyps.contact_slip)[:active]
        q = KEEP * vigour * (LEAVE_KEEP if leave else 1.0)
        c = contacts.get(day, 0)
        due, rest = a[:, :, 0], a[:, :, 1:]
        if weekday >= 5:
            kept = due[:, 0] * q
            due[:, 0] *= 1 - q
            due[:, 1] += kept
        elif weekday == 0:
            new_due = due[:, 0] * _emit(c, q) + due[:, 1] * _emit(c - 1, q)
            rest[:, 0] *= c == 0
            rest[:, 0] += rest[:, 1] * (c == 1)
            rest[:, 1] = 0
            due[:, 0], due[:, 1] = new_due, 0
        else:
            due[:, 0] *= _emit(c, q)
            due[:, 1] = 0
            if c:
                rest[:] = 0
        norm = a.sum(axis=(1, 2))
        with np.errstate(divide="ignore"):
            t += np.log(norm)
        a /= np.where(norm > 0, norm, 1.0)[:, None, None]
        # The next day: a contact due today draws the gap to the next one.
        fresh = a[:, :, :1] * pmf[None, None, :]
        a[:, :, :-1] = a[:, :, 1:]
        a[:, :, -1] = 0
        a += fresh
        loglik[:active, day] = t
        loglik[active:, day] = t[0]
    return loglik


def _bernoulli_loglik(partner, plan, hyps, contacts, rhythm, day0, days) -> np.ndarray:
    """Signs of life as the scan weighs them: each weekday on its own, a sign of life with
    probability KEEP x vigour / rhythm x 7/5, whatever the days before held."""
    loglik = np.zeros((hyps.size, days))
    total = np.zeros(hyps.size)
    for day in range(day0, days):
        date = plan.start + dt.timedelta(days=day)
        if date.weekday() < 5:
            leave = cohort.on_holiday(partner, date) and "no-leave" not in OPTIONS
            p = KEEP * hyps.vigour(day, hyps.contact_slip) * (LEAVE_KEEP if leave else 1.0)
            p = np.minimum(0.95, p * 7 / 5 / rhythm)
            with np.errstate(divide="ignore"):
                total += np.log(p) if contacts.get(day, 0) else np.log(1 - p)
        loglik[:, day] = total
    return loglik


def _emit(count, q: np.ndarray) -> np.ndarray:
    """P(`count` contacts seen from one contact due, kept with probability q)."""
    if count == 1:
        return q
    if count == 0:
        return 1 - q
    return np.zeros_like(q)


# Delays ------------------------------------------------------------------------------------------

OFFSET, SPAN = 30, 200  # delays from -30 to 169 days


def _rounded_uniform(scale: float, low: float, high: float) -> np.ndarray:
    """P(round(scale x U(low, high)) = j), j at index j + OFFSET."""
    pmf = np.zeros(SPAN)
    if scale <= 0:
        pmf[OFFSET] = 1.0
        return pmf
    a, b = scale * low, scale * high
    for j in range(math.floor(a), math.ceil(b) + 1):
        overlap = max(0.0, min(b, j + 0.5) - max(a, j - 0.5))
        if -OFFSET <= j < SPAN - OFFSET:
            pmf[j + OFFSET] += overlap / (b - a)
    return pmf


def _shift(base: np.ndarray, extra: np.ndarray) -> np.ndarray:
    """The distribution of the sum of two delays (both indexed from -OFFSET)."""
    return np.convolve(base, extra)[OFFSET : OFFSET + SPAN]


@cache
def report_pmf(v100: int) -> np.ndarray:
    """P(a report comes j days after its period), vigour v100/100 (cohort._plan_reports)."""
    v = v100 / 100
    base = np.zeros(SPAN)
    base[OFFSET + 2 : OFFSET + 15] = 0.88 / 13
    base[OFFSET + 20 : OFFSET + 40] = 0.12 / 20
    pmf = _shift(base, _rounded_uniform(1 - v, 15, 45))
    return pmf * (v if v < 0.3 else 1.0)


@cache
def obligation_pmf(v100: int) -> np.ndarray:
    """P(an obligation is met j days from its due date), vigour v100/100 (cohort._met_on)."""
    v = v100 / 100
    # late = N(-3, 4) (90 %) or U(10, 30) (10 %), plus (1 - v) U(20, 60), then rounded: on a grid
    # of a twentieth of a day, then binned.
    fine = np.arange(-OFFSET, SPAN - OFFSET, 0.05)
    density = 0.9 * np.exp(-((fine + 3) ** 2) / 32) / math.sqrt(32 * math.pi)
    density += 0.1 * ((fine >= 10) & (fine < 30)) / 20
    if v < 1:
        a, b = (1 - v) * 20, (1 - v) * 60
        width = round((b - a) / 0.05)
        kernel = np.full(max(1, width), 1 / max(1, width))
        density = np.convolve(density, kernel)[: len(fine)]
        density = np.roll(density, round(a / 0.05))
    weights = density * 0.05
    pmf = np.zeros(SPAN)
    index = np.clip(np.round(fine).astype(int) + OFFSET, 0, SPAN - 1)
    np.add.at(pmf, index, weights)
    pmf /= pmf.sum()
    return pmf * (v if v < 0.25 else 1.0)


def _scan(family: str) -> bool:
    """Whether `family` (reports, obligations, attendance) is weighed with the scan's model
    instead of the cohort's (variant "scan-items": all three; "scan-reports" and so on)."""
    return "scan-items" in OPTIONS or f"scan-{family}" in OPTIONS


def _geometric(mean: float) -> np.ndarray:
    pmf = np.zeros(SPAN)
    j = np.arange(SPAN - OFFSET)
    pmf[OFFSET:] = (1 / mean) * (1 - 1 / mean) ** j
    return pmf


@cache
def scan_report_pmf(v100: int) -> np.ndarray:
    """The scan's model (commissioner.trends.item_ratios): exponential delays around the usual
    one, 20 days more when drifting."""
    return _geometric(10 if v100 == 100 else 30)


# A report model with a rising hazard (variant "hazard-reports"): delays spread like a gamma of
# shape 3 around 10 days (around 30 when drifting), most near their mean, few at twice it, so the
# longer a report is outstanding the more each further day tells; each side mixed with 10 % of
# the other, so no one report weighs more than 9 to 1. It was tried as a replacement for the
# scan's exponential delays (docs/engagement.md, "The best any rule could do").
HAZARD_SHAPE, HAZARD_MIX = 3, 0.1


def _gamma_survival(days: np.ndarray, mean: float) -> np.ndarray:
    """P(delay >= days) of a gamma of shape HAZARD_SHAPE around `mean`, floored to days."""
    y = np.maximum(days, 0) * HAZARD_SHAPE / mean
    return np.exp(-y) * sum(y**i / math.factorial(i) for i in range(HAZARD_SHAPE))


@cache
def hazard_report_pmf(v100: int) -> np.ndarray:
    days = np.arange(SPAN - OFFSET + 1)
    steady, drifting = _gamma_survival(days, 10), _gamma_survival(days, 30)
    mix = HAZARD_MIX if v100 == 100 else 1 - HAZARD_MIX
    survival = (1 - mix) * steady + mix * drifting
    pmf = np.zeros(SPAN)
    pmf[OFFSET:] = survival[:-1] - survival[1:]
    return pmf


@cache
def scan_obligation_pmf(v100: int) -> np.ndarray:
    """The scan's model: 7 days around the due date usually, 25 more when drifting."""
    return _geometric(7 if v100 == 100 else 32)


def item_loglik(
    hyps: Hypotheses, vigour: np.ndarray, pmf_of, anchor: int, done: int | None, days: np.ndarray
) -> np.ndarray:
    """log P(what is known of one report or obligation by each of `days` | hypothesis): its
    delay if it came in (`done`), its survival if not. `anchor`: the period's end or due date."""
    table = np.stack([pmf_of(v100) for v100 in range(101)])
    pmfs = table[np.rint(vigour * 100).astype(int)]
    if "smooth" in OPTIONS:  # no edge sharper than the cohort's: each day's mass over +-5 days
        kernel = np.full(11, 1 / 11)
        pmfs = np.apply_along_axis(lambda row: np.convolve(row, kernel, mode="same"), 1, pmfs)
    if "soft" in OPTIONS:
        pmfs = (1 - SOFT) * pmfs + SOFT / SPAN
    # Nothing comes in after the partner's silence.
    delay = np.arange(SPAN) - OFFSET
    pmfs = pmfs * (anchor + delay[None, :] <= hyps.silence[:, None])
    cdf = np.cumsum(pmfs, axis=1)
    column = np.clip(days - anchor + OFFSET, -1, SPAN - 1)
    survival = 1 - np.where(column >= 0, cdf[:, np.maximum(column, 0)], 0.0)
    if done is not None:
        came = pmfs[:, min(SPAN - 1, max(0, done - anchor + OFFSET))]
        survival = np.where(days[None, :] >= done, came[:, None], survival)
    with np.errstate(divide="ignore"):
        return np.log(np.maximum(survival, 0.0))


def attendance_loglik(hyps, partner, vigour: np.ndarray, status: str, leave: bool) -> np.ndarray:
    if _scan("attendance"):  # the scan's meeting prior, and present halved when drifting
        usual = {"present": 0.8, "apologies": 0.1, "absent": 0.1}
        drifting = {"present": 0.4, "apologies": 0.1 + 0.4 * 0.45, "absent": 0.1 + 0.4 * 0.55}
        p = np.where(vigour < 1, drifting[status], usual[status])
    elif leave:
        p = np.full(hyps.size, 0.8 if status == "apologies" else 0.2)
    else:
        present, apologies = 0.86 * vigour, 0.09 + (1 - vigour) * 0.35
        p = {"present": present, "apologies": apologies}.get(status, 1 - present - apologies)
    p = np.where(vigour == 0, float(status == "absent"), p)
    with np.errstate(divide="ignore"):
        return np.log(np.maximum(p, 0.0))


# The posterior ----------------------------------------------------------------------------------


def observations(plan):
    """Each partner's events as the bound reads them: day indices from the plan's start."""
    contacts: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    meetings, reports, met = {}, defaultdict(dict), defaultdict(dict)
    attendance = defaultdict(list)
    departures: dict[str, int] = {}
    for event in plan.events:
        day = (event.at.date() - plan.start).days
        if event.kind in ("checkin", "api"):
            contacts[event.partner][day] += 1
        elif event.kind == "meeting":
            held = (event.data["held"].date() - plan.start).days
            meetings[(event.collaboration, event.data["number"])] = held
        elif event.kind == "attendance":
            held = meetings[(event.collaboration, event.data["number"])]
            known = day if "as-recorded" in OPTIONS else held
            attendance[event.partner].append((held, known, event.data["status"]))
        elif event.kind == "measurement":
            period = (event.data["period_end"] - plan.start).days
            reports[event.partner].setdefault((event.data["goal"], period), day)
        elif event.kind == "obligation_met":
            met[event.partner][(event.data["due"] - plan.start).days] = day
        elif event.kind == "contact_left":
            departures[event.partner] = day
    return contacts, attendance, reports, met, departures


def posterior(plan, partner, hyps: Hypotheses, obs) -> dict[dt.date, float]:
    """log10 posterior odds that the partner has changed, on each scan day."""
    contacts, attendance, reports, met, departures = obs
    first = (plan.scans_from - plan.start).days
    days = np.arange(first, (plan.scans_to - plan.start).days + 1)
    if "no-contact" in OPTIONS:
        loglik = np.zeros((hyps.size, len(days)))
    else:
        seen = contacts[partner.key]
        rhythm = rhythm_of(partner, plan, seen)
        loglik = contact_loglik(partner, plan, hyps, seen, rhythm)[:, days]
    if "contact-only" in OPTIONS:
        return _odds(plan, hyps, loglik, days)
    joined = (partner.joined - plan.start).days
    collaboration = plan.collaborations[partner.collaboration]
    full, hyps = hyps, hyps.subset(hyps.representatives)
    items = np.zeros((hyps.size, len(days)))
    for goal, cadence in enumerate(collaboration.goals):
        period = cadence
        while period <= days[-1]:
            if period >= joined:
                v = hyps.vigour(period, OTHER_SLIP)
                done = reports[partner.key].get((goal, period))
                pmf_of = scan_report_pmf if _scan("reports") else report_pmf
                if "hazard-reports" in OPTIONS:
                    pmf_of = hazard_report_pmf
                items += item_loglik(hyps, v, pmf_of, period, done, days)
            period += cadence
    for key, due_date, _created in plan.obligations:
        if key != partner.key:
            continue
        due = (due_date - plan.start).days
        v = hyps.vigour(due, OTHER_SLIP)
        pmf_of = scan_obligation_pmf if _scan("obligations") else obligation_pmf
        done = met[key].get(due)
        if _scan("obligations") and done is not None:
            done = max(done, due)  # the scan counts an obligation met early as met on time
        items += item_loglik(hyps, v, pmf_of, due, done, days)
    for held, known, status in attendance[partner.key]:
        date = plan.start + dt.timedelta(days=held)
        v = hyps.vigour(held, OTHER_SLIP)
        leave = cohort.on_holiday(partner, date) and "no-leave" not in OPTIONS
        term = attendance_loglik(hyps, partner, v, status, leave)
        items += np.where(days[None, :] >= known, term[:, None], 0.0)
    loglik += items[full.inverse]
    if "turnover" in OPTIONS:
        loglik += turnover_loglik(plan, partner, full, departures.get(partner.key), days)
    return _odds(plan, full, loglik, days)


def turnover_loglik(plan, partner, hyps: Hypotheses, recorded: int | None, days) -> np.ndarray:
    """log P(the named contact's departure recorded on day `recorded`, or none yet | hypothesis)
    on each scan day, under the cohort's staff turnover (cohort._plan_turnover): a change
    begins with the contact leaving with probability TRIGGERED — 0 to 14 days before a drift or
    a dip, recorded 0 to 30 days after; recorded 5 to 30 days after a sudden silence — and
    otherwise, as for a partner that never changes, its contact leaves for reasons of its own
    with probability TURNOVER, 30 to 299 days after it joined, recorded 0 to 30 days after. (The
    successor's naming is left out.)"""
    horizon = (plan.scans_to - plan.start).days + 1
    joined = (max(plan.start, partner.joined) - plan.start).days
    own = np.zeros(horizon)
    own[min(horizon, joined + 30) : min(horizon, joined + 300)] = 1 / 270
    own = cohort.TURNOVER * np.convolve(own, np.full(31, 1 / 31))[:horizon]
    # A triggered departure: recorded (0..30) - (0..14) days from the change's start.
    begins = np.convolve(np.full(15, 1 / 15), np.full(31, 1 / 31))  # offsets -14..30
    offset = np.arange(horizon)[None, :] - hyps.start[:, None]
    index = offset + 14
    drift_or_dip = ((hyps.kind == DRIFT) | (hyps.kind == DIP))[:, None]
    inside = drift_or_dip & (index >= 0) & (index < len(begins))
    triggered = np.zeros((hyps.size, horizon))
    triggered[inside] = begins[index[inside]]
    triggered[(hyps.kind == SUDDEN)[:, None] & (offset >= 5) & (offset <= 30)] = 1 / 26
    if "soft" in OPTIONS:  # as the delays: 2 % of each spread flat over the plan
        own = (1 - SOFT) * own + SOFT * cohort.TURNOVER / horizon
        triggered = (1 - SOFT) * triggered + SOFT / horizon
    share = cohort.TRIGGERED
    pmf = np.where(
        (hyps.kind != NULL)[:, None], share * triggered + (1 - share) * own[None, :], own[None, :]
    )
    with np.errstate(divide="ignore"):
        survive = np.log(np.maximum(1 - np.cumsum(pmf, axis=1)[:, days], 0.0))
        if recorded is None:
            return survive
        at = np.log(pmf[:, recorded])
    return np.where(days[None, :] >= recorded, at[:, None], survive)


def _logsumexp(terms: np.ndarray) -> np.ndarray:
    """log of the sum of exp over the first axis; -inf where every term is."""
    top = np.max(terms, axis=0)
    safe = np.where(np.isfinite(top), top, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        total = safe + np.log(np.sum(np.exp(terms - safe[None, :]), axis=0))
    return np.where(np.isneginf(top), -np.inf, np.where(np.isposinf(top), np.inf, total))


def _odds(plan, hyps, loglik, days) -> dict[dt.date, float]:
    """log10 odds that on the day the partner is not its usual self (drifting, silent, or in a
    dip) against that it is (never changed, or back from a dip that has ended): each side's
    hypotheses weighted by their prior. A change still to come has changed nothing yet: it
    weighs as the null until its day. A dip counts on the first side while it lasts: the
    evaluation does not count a recoverer flagged in its dip as a false flag, only one still
    flagged 30 days after."""
    weights = hyps.log_weight[:, None]
    started = hyps.start[:, None] < days[None, :]
    ended = (hyps.kind == DIP)[:, None] & ((hyps.start + hyps.length)[:, None] < days[None, :])
    changed = _logsumexp(np.where(started & ~ended, loglik + weights, -np.inf))
    prior = np.exp(hyps.log_weight[1:])
    waiting = (1 - prior.sum()) + (prior[:, None] * ~started[1:]).sum(axis=0)
    with np.errstate(divide="ignore"):
        usual = np.stack([loglik[0] + np.log(waiting)])
    back = _logsumexp(np.where(ended, loglik + weights, -np.inf))[None, :]
    unchanged = _logsumexp(np.concatenate([usual, back]))
    with np.errstate(invalid="ignore"):
        odds = (changed - unchanged) / math.log(10)
    # Neither side can have produced what was seen (never with the soft delays): no warning.
    odds = np.where(np.isnan(odds), -np.inf, odds)
    return {
        plan.start + dt.timedelta(days=int(day)): float(value)
        for day, value in zip(days, odds, strict=True)
    }


def warnings(plan, odds: dict[str, dict[dt.date, float]], threshold: float):
    """The warning each partner would have had: up from the day the odds reach `threshold`
    until they fall a whole unit under it."""
    series: dict[str, evaluate.Series] = defaultdict(evaluate.Series)
    for key, by_day in odds.items():
        up = False
        for day, value in sorted(by_day.items()):
            up = value >= threshold if not up else value >= threshold - 1
            if up:
                series[key].up[day] = "drifting"
    return series


def seed_odds(seed: int) -> tuple[object, dict[str, dict[dt.date, float]]]:
    plan = cohort.build(seed)
    hyps = Hypotheses.for_plan(plan)
    obs = observations(plan)
    odds = {}
    for partner in plan.partners:
        odds[partner.key] = posterior(plan, partner, hyps, obs)
    return plan, odds


REALISTIC = ("estimated-rhythm", "as-recorded", "no-leave", "soft")
SCAN_SHAPED = (*REALISTIC, "bernoulli-contact", "flat-drift")
VARIANTS = {
    "oracle": ("1. knowing each partner's rhythm and leave, every event on its day", ()),
    "realistic": (
        "2. as a scan could know: rhythm estimated, leave unknown, as recorded",
        REALISTIC,
    ),
    "realistic-smooth": (
        "2s. as 2, no delay known to a day: each day's mass spread over +-5 days",
        (*REALISTIC, "smooth"),
    ),
    "realistic-turnover": (
        "2t. as 2, and the named contact's departure as recorded",
        (*REALISTIC, "turnover"),
    ),
    "contact": ("3. as 2, signs of life alone", (*REALISTIC, "contact-only")),
    "items": ("4. as 2, without signs of life", (*REALISTIC, "no-contact")),
    "scan-shaped": (
        "5. as 2, with the scan's signs of life (each day on its own) and drift (0.4 of usual)",
        SCAN_SHAPED,
    ),
    "scan-shaped-smooth": (
        "5s. as 5, each day's mass spread over +-5 days",
        (*SCAN_SHAPED, "smooth"),
    ),
    "scan-reports": (
        "6. as 5, with the scan's model of report delays",
        (*SCAN_SHAPED, "scan-reports"),
    ),
    "hazard-reports": (
        "6h. as 5, with report delays of a rising hazard (gamma of shape 3, 10 or 30 days)",
        (*SCAN_SHAPED, "hazard-reports"),
    ),
    "scan-models": (
        "7. as 5, with the scan's models of reports, obligations and meetings",
        (*SCAN_SHAPED, "scan-items"),
    ),
}


def _measure(task: tuple[str, int]) -> tuple[str, int, list[dict]]:
    """One variant on one seed: the evaluation's figures at each threshold."""
    variant, seed = task
    OPTIONS.clear()
    OPTIONS.update(VARIANTS[variant][1])
    plan, odds = seed_odds(seed)
    days = [
        plan.scans_from + dt.timedelta(days=n)
        for n in range((plan.scans_to - plan.scans_from).days + 1)
    ]
    return (
        variant,
        seed,
        [evaluate.metrics(plan, warnings(plan, odds, t), days) for t in THRESHOLDS],
    )


COLUMNS = (
    ("recall", "{:.2f}"),
    ("lead_median", "{:.0f}"),
    ("lead_p25", "{:.0f}"),
    ("false_flags", "{:.0%}"),
    ("released", "{:.0%}"),
)


def table(results: dict[str, dict[int, list[dict]]], seeds: list[int]) -> str:
    lines = [
        f"Seeds {', '.join(map(str, seeds))}: min-max (mean) over the seeds.",
        "",
        "| the best detector | warned from (log10 odds) | recall | median lead (d)"
        " | 25th-pct lead (d) | false flags | recoverers released |",
        "|---|---|---|---|---|---|---|",
        "| *target* | | *≥ 0.90* | *≥ 30* | — | *≤ 10%* | *≥ 90%* |",
    ]
    for variant, by_seed in results.items():
        for n, threshold in enumerate(THRESHOLDS):
            cells = []
            for name, fmt in COLUMNS:
                values = [by_seed[seed][n][name] for seed in seeds]
                low, high, mean = min(values), max(values), statistics.mean(values)
                cells.append(f"{fmt.format(low)}-{fmt.format(high)} ({fmt.format(mean)})")
            label = VARIANTS[variant][0] if n == 0 else ""
            lines.append(f"| {label} | {threshold:+.2f} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="1,2,3")
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("--extra", action="append", default=[])
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--write-docs", action="store_true")
    parser.add_argument("--json", type=Path, help="also write every figure here")
    args = parser.parse_args(argv)
    seeds = [int(s) for s in args.seeds.split(",") if s]
    variants = [v for v in args.variants.split(",") if v]
    for extra in args.extra:  # a variant named by its options: "realistic+bernoulli-contact"
        base, *more = extra.split("+")
        VARIANTS[extra] = (f"{VARIANTS[base][0]}, {', '.join(more)}", (*VARIANTS[base][1], *more))
    variants += args.extra
    tasks = [(variant, seed) for variant in variants for seed in seeds]
    results: dict[str, dict[int, list[dict]]] = {variant: {} for variant in variants}
    with multiprocessing.Pool(args.jobs) as pool:
        for variant, seed, rows in pool.imap_unordered(_measure, tasks):
            print(f"{variant} seed {seed} done", file=sys.stderr)
            results[variant][seed] = rows
    text = table(results, seeds)
    print(text)
    if args.json:
        args.json.write_text(json.dumps(results, default=str))
    if args.write_docs:
        evaluate.write_block(BEGIN, END, text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
