"""A synthetic cohort of partners with known outcomes, for `make evaluate`.

The cohort is written from how partnerships drift in practice, not from the scoring formula:
partners have their own rhythm of contact, take holidays, send apologies, record nothing for a
while; a drifting partner lets *some* things slip first (the reports get later, or it sends
apologies instead of coming, or the check-ins thin out — each drifter in its own order), then the
rest, then goes silent. Every partner's behaviour is a plan of dated events (`Plan`), made from a
seed without looking at the database; `benchmarks.evaluate` feeds the plan through the services
with the clock at each event's time.

Kinds (ground truth):
- steady: engaged throughout, with realistic noise;
- joiner: a steady partner that joins mid-way;
- drifter: declines over 60 to 120 days to silence (the day of its last sign of life);
- sudden: steady, then silent from one day to the next;
- recoverer: a dip of 3 to 6 weeks, then back to its usual self.

Staff move on (`_plan_turnover`): a partner's named contact leaves now and then for reasons of
its own, and a third of drifts, dips and sudden silences begin with it — the record shows that
something changed, not which of the three follows.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

STEADY, JOINER, DRIFTER, SUDDEN, RECOVERER = "steady", "joiner", "drifter", "sudden", "recoverer"
# How a cohort divides, per collaboration of six partners on average.
MIX = (
    (STEADY, 0.45),
    (JOINER, 0.10),
    (DRIFTER, 0.22),
    (SUDDEN, 0.08),
    (RECOVERER, 0.15),
)
BEHAVIOURS = ("contact", "attendance", "obligations", "reports")
# Staff turnover, fixed from what is common in public bodies before any scan was tried on it
# (not tuned): a partner's named contact moves on in the cohort's 13 months for one partner in
# seven, for reasons of its own; and a third of drifts, dips and sudden silences begin with the
# named contact leaving.
TURNOVER = 0.15
TRIGGERED = 1 / 3


@dataclass(frozen=True)
class Shape:
    """The cohort's habits: how its partners meet, write, take leave, report, drift and dip.

    `USUAL` is the cohort every figure of docs/engagement.md is measured on. `SHIFTED` is
    another reading of how public-sector partnerships behave, written after the scan was built
    and never tuned to (`make evaluate EVALUATE_ARGS="--shape shifted"`): more partners per
    collaboration and slower and more irregular correspondents, weekly to bimonthly meetings,
    longer leave taken mostly in summer with less of it covered, and a year-end break in which
    most delegates are away and no meeting is held; attendance more patchy and recorded later;
    reports and obligations on looser schedules; drifts from 45 days to five months, shallower
    or steeper; dips from two to eight weeks; more sudden silences. A scan fitted to `USUAL`
    alone would show it here."""

    name: str
    mix: tuple[tuple[str, float], ...]
    meeting_every: tuple[int, ...]
    members: tuple[int, ...]  # partners per collaboration
    rhythms: tuple[int, ...]  # usual days between signs of life
    rhythm_spread: tuple[float, float]  # a partner's rhythm around its round figure
    gap_spread: tuple[float, float]  # each gap around the rhythm
    skipped: float  # contacts simply skipped
    holiday_share: float
    holiday_days: tuple[int, int]  # randrange
    summer_holidays: float  # share of leave taken in July and August
    uncovered: float  # share of contacts lost while the delegate is away
    year_end: tuple[dt.date, dt.date] | None  # most delegates away, no meeting held
    year_end_away: float
    present: float  # a usual partner's attendance
    apologies: float
    recorded_soon: float  # meetings whose attendance is recorded within 3 days (else 5 to
    # `recorded_days`)
    recorded_days: int
    report_late: tuple[float, tuple[int, int], tuple[int, int]]  # days from a period's end
    # to its report: (share, usual days, now and then days)
    obligation_every: tuple[int, int]
    drift_days: tuple[int, int]
    drift_step: tuple[float, float]
    slip_spacing: tuple[float, float]
    dip_days: tuple[int, int]
    dip_depth: tuple[float, float]


USUAL = Shape(
    name="usual",
    mix=MIX,
    meeting_every=(14, 28, 28, 28, 42),
    members=(4, 5, 6, 6, 7, 8),
    rhythms=(4, 7, 7, 10, 14, 21, 30),
    rhythm_spread=(0.8, 1.25),
    gap_spread=(0.6, 1.4),
    skipped=0.1,
    holiday_share=0.7,
    holiday_days=(10, 22),
    summer_holidays=0.0,
    uncovered=0.6,
    year_end=None,
    year_end_away=0.0,
    present=0.86,
    apologies=0.09,
    recorded_soon=0.75,
    recorded_days=21,
    report_late=(0.88, (2, 15), (20, 40)),
    obligation_every=(60, 121),
    drift_days=(60, 121),
    drift_step=(0.3, 0.5),
    slip_spacing=(0.03, 0.1),
    dip_days=(21, 43),
    dip_depth=(0.5, 0.9),
)
SHIFTED = Shape(
    name="shifted",
    mix=((STEADY, 0.42), (JOINER, 0.10), (DRIFTER, 0.20), (SUDDEN, 0.10), (RECOVERER, 0.18)),
    meeting_every=(7, 14, 30, 30, 30, 60),
    members=(3, 4, 6, 8, 10),
    rhythms=(3, 5, 7, 14, 14, 30, 45, 60),
    rhythm_spread=(0.7, 1.4),
    gap_spread=(0.4, 1.6),
    skipped=0.15,
    holiday_share=0.85,
    holiday_days=(7, 29),
    summer_holidays=0.6,
    uncovered=0.7,
    year_end=(dt.date(2025, 12, 22), dt.date(2026, 1, 2)),
    year_end_away=0.8,
    present=0.75,
    apologies=0.12,
    recorded_soon=0.6,
    recorded_days=36,
    report_late=(0.85, (0, 25), (30, 60)),
    obligation_every=(30, 181),
    drift_days=(45, 151),
    drift_step=(0.2, 0.6),
    slip_spacing=(0.0, 0.15),
    dip_days=(14, 57),
    dip_depth=(0.4, 0.95),
)
SHAPES = {shape.name: shape for shape in (USUAL, SHIFTED)}


@dataclass
class Partner:
    key: str  # "c3-p2"
    collaboration: int
    organisation: int
    kind: str
    joined: dt.date
    rhythm_days: float  # its usual gap between signs of life
    uses_api: bool
    holiday: tuple[dt.date, dt.date] | None
    # Drifters, sudden: the day of the last sign of life. Recoverers: the dip and its end.
    silence: dt.date | None = None
    drift_start: dt.date | None = None
    dip: tuple[dt.date, dt.date] | None = None
    depth: float = 0.0
    # Drifters: when each behaviour starts to slip, as a share of the drift (0 first, 0.3 last),
    # and how much less the partner does a few weeks in.
    slip_at: dict[str, float] = field(default_factory=dict)
    step: float = 0.0
    # The named contact's departure: when staff record it, and when they name a successor
    # (None: no one is named).
    contact_left: dt.date | None = None
    successor: dt.date | None = None
    # Away with most delegates (the shifted cohort's year-end break).
    away: tuple[dt.date, dt.date] | None = None


@dataclass
class Collaboration:
    number: int
    meeting_every: int  # days
    first_meeting: dt.date
    goals: list[int]  # cadence in days of each goal (30 monthly, 91 quarterly)


@dataclass
class Event:
    at: dt.datetime  # naive local time; the feeder makes it aware
    kind: str  # meeting, attendance, checkin, api, measurement, obligation_met
    partner: str | None = None
    collaboration: int | None = None
    data: dict = field(default_factory=dict)


@dataclass
class Plan:
    seed: int
    start: dt.date  # first event (history before the scans)
    scans_from: dt.date
    scans_to: dt.date
    collaborations: list[Collaboration]
    partners: list[Partner]
    # Obligations: (partner key, due date, created date).
    obligations: list[tuple[str, dt.date, dt.date]]
    events: list[Event]


def _at(day: dt.date, rng: random.Random, start_hour: int = 9, end_hour: int = 17) -> dt.datetime:
    minutes = rng.randrange(start_hour * 60, end_hour * 60)
    return dt.datetime.combine(day, dt.time(minutes // 60, minutes % 60))


def _days(start: dt.date, end: dt.date):
    day = start
    while day <= end:
        yield day
        day += dt.timedelta(days=1)


def _kind(rng: random.Random, mix=MIX) -> str:
    roll, total = rng.random(), 0.0
    for kind, share in mix:
        total += share
        if roll < total:
            return kind
    return STEADY


def build(
    seed: int,
    *,
    collaborations: int = 20,
    history_days: int = 150,
    scan_days: int = 240,
    start: dt.date = dt.date(2025, 1, 6),
    shape: Shape = USUAL,
) -> Plan:
    rng = random.Random(seed)
    scans_from = start + dt.timedelta(days=history_days)
    scans_to = scans_from + dt.timedelta(days=scan_days - 1)
    plan_collaborations, partners = [], []
    organisation_count = 0
    organisations_in_use: list[int] = []
    for number in range(collaborations):
        every = rng.choice(shape.meeting_every)
        goals = [rng.choice((30, 91)) for _ in range(rng.choice((1, 1, 2)))]
        collaboration = Collaboration(
            number=number,
            meeting_every=every,
            first_meeting=start + dt.timedelta(days=rng.randrange(0, every)),
            goals=goals,
        )
        plan_collaborations.append(collaboration)
        for index in range(rng.choice(shape.members)):
            # One organisation in four also takes part in another collaboration.
            if organisations_in_use and rng.random() < 0.25:
                organisation = rng.choice(organisations_in_use)
                if any(
                    p.organisation == organisation and p.collaboration == number for p in partners
                ):
                    organisation = organisation_count = organisation_count + 1
            else:
                organisation = organisation_count = organisation_count + 1
            organisations_in_use.append(organisation)
            kind = _kind(rng, shape.mix)
            rhythm = rng.choice(shape.rhythms)
            joined = start
            if kind == JOINER:
                joined = scans_from + dt.timedelta(days=rng.randrange(0, scan_days - 120))
            holiday_start = start + dt.timedelta(days=rng.randrange(30, history_days + scan_days))
            partner = Partner(
                key=f"c{number}-p{index}",
                collaboration=number,
                organisation=organisation,
                kind=kind,
                joined=joined,
                rhythm_days=rhythm * rng.uniform(*shape.rhythm_spread),
                uses_api=rng.random() < 0.4,
                holiday=(
                    holiday_start,
                    holiday_start + dt.timedelta(days=rng.randrange(*shape.holiday_days)),
                )
                if rng.random() < shape.holiday_share
                else None,
            )
            _season(rng, shape, partner)
            if kind == DRIFTER:
                length = rng.randrange(*shape.drift_days)
                latest_start = scan_days - length - 20
                partner.drift_start = scans_from + dt.timedelta(
                    days=rng.randrange(10, latest_start)
                )
                partner.silence = partner.drift_start + dt.timedelta(days=length)
                order = rng.sample(BEHAVIOURS, len(BEHAVIOURS))
                partner.slip_at = {
                    b: i * rng.uniform(*shape.slip_spacing) for i, b in enumerate(order)
                }
                partner.step = rng.uniform(*shape.drift_step)
            elif kind == SUDDEN:
                partner.silence = scans_from + dt.timedelta(days=rng.randrange(20, scan_days - 30))
            elif kind == RECOVERER:
                dip_start = scans_from + dt.timedelta(days=rng.randrange(10, scan_days - 90))
                partner.dip = (
                    dip_start,
                    dip_start + dt.timedelta(days=rng.randrange(*shape.dip_days)),
                )
                partner.depth = rng.uniform(*shape.dip_depth)
            partners.append(partner)
    obligations, events = [], []
    for partner in partners:
        _plan_partner(rng, partner, start, scans_to, obligations, events, shape)
    # Drawn from a generator of its own, so the rest of the cohort is the one it was before staff
    # turnover was added (the same partners, rhythms and events).
    _plan_turnover(random.Random(f"{seed}-turnover"), partners, start, scans_to, events)
    for collaboration in plan_collaborations:
        members = [p for p in partners if p.collaboration == collaboration.number]
        _plan_meetings(rng, collaboration, members, scans_to, events, shape)
        for goal, cadence in enumerate(collaboration.goals):
            for partner in members:
                _plan_reports(rng, partner, goal, cadence, start, scans_to, events, shape)
    events.sort(key=lambda event: event.at)
    return Plan(
        seed=seed,
        start=start,
        scans_from=scans_from,
        scans_to=scans_to,
        collaborations=plan_collaborations,
        partners=partners,
        obligations=obligations,
        events=events,
    )


def vigour(partner: Partner, day: dt.date, behaviour: str) -> float:
    """How much of its usual self the partner brings to `behaviour` on `day`: 1 normally, 0 once
    silent."""
    if partner.silence is not None and day > partner.silence:
        return 0.0
    if partner.kind == DRIFTER and day >= partner.drift_start:
        length = (partner.silence - partner.drift_start).days
        progress = (day - partner.drift_start).days / length
        slip = partner.slip_at.get(behaviour, 0.0)
        if progress <= slip:
            return 1.0
        # Drift starts with something that changed — a new council's priorities, a budget cut,
        # the champion moving on: within a few weeks the partner does noticeably less (`step`),
        # then less and less until it goes silent.
        into = (progress - slip) / (1.0 - slip)
        if into < 0.2:
            return 1.0 - partner.step * into / 0.2
        return max(0.05, (1.0 - partner.step) * (1.0 - (into - 0.2) / 0.8))
    if partner.kind == RECOVERER and partner.dip[0] <= day <= partner.dip[1]:
        return 1.0 - partner.depth
    return 1.0


def on_holiday(partner: Partner, day: dt.date) -> bool:
    return any(
        period is not None and period[0] <= day <= period[1]
        for period in (partner.holiday, partner.away)
    )


def _season(rng, shape: Shape, partner: Partner) -> None:
    """The shifted cohort's seasons: most leave taken in July and August, and most delegates
    away over the year-end break (dates of the calendar `build` starts by default, 6 January
    2025). The usual cohort draws nothing here."""
    if shape.summer_holidays and partner.holiday and rng.random() < shape.summer_holidays:
        begins = dt.date(2025, 7, 1) + dt.timedelta(days=rng.randrange(0, 50))
        partner.holiday = (begins, begins + (partner.holiday[1] - partner.holiday[0]))
    if shape.year_end and rng.random() < shape.year_end_away:
        partner.away = shape.year_end


def _in_break(shape: Shape, day: dt.date) -> bool:
    return shape.year_end is not None and shape.year_end[0] <= day <= shape.year_end[1]


def _plan_partner(
    rng, partner: Partner, start, end, obligations, events, shape: Shape = USUAL
) -> None:
    """Signs of life between meetings (check-ins, API use) and obligations."""
    # Contacts come at the partner's own rhythm — a weekly call, a monthly update — give or take
    # a few days, now and then skipped; a slipping partner lets more of them go. Each contact due
    # is kept with probability vigour (thinning, the standard way to draw a process whose rate
    # changes): the rate follows the partner's vigour on each day. Stretching the next gap by
    # 1/vigour instead, as this cohort first did, carried a dip's low vigour into the gap after
    # it: the last contact in a dip put the next one up to ten usual gaps later (months for a
    # monthly correspondent), so a "recoverer" stayed silent long after its dip had ended.
    day = max(start, partner.joined) + dt.timedelta(days=rng.randrange(0, 7))
    while day <= end:
        v = vigour(partner, day, "contact")
        if v == 0.0:
            break
        gap = partner.rhythm_days * rng.uniform(*shape.gap_spread)
        contact_day = day
        day += dt.timedelta(days=max(1, round(gap)))
        if contact_day.weekday() >= 5:
            contact_day += dt.timedelta(days=7 - contact_day.weekday())
        if rng.random() >= v:
            continue
        # The partner is an organisation: while its usual delegate is on leave, a colleague
        # covers some of the contact; now and then a contact is simply skipped.
        if (
            on_holiday(partner, contact_day) and rng.random() < shape.uncovered
        ) or rng.random() < shape.skipped:
            continue
        kind = "api" if partner.uses_api and rng.random() < 0.6 else "checkin"
        events.append(Event(_at(contact_day, rng), kind, partner=partner.key))
    # An organisation that uses the API also calls it for things of no collaboration in
    # particular (its own details, lists): no sign of life in any one collaboration, though the
    # scan before per-collaboration crediting counted it in all of them.
    if partner.uses_api:
        day = max(start, partner.joined)
        while day <= end:
            if day.weekday() < 5 and rng.random() < 0.3 * vigour(partner, day, "contact"):
                events.append(Event(_at(day, rng), "api_none", partner=partner.key))
            day += dt.timedelta(days=1)
    # An obligation every two to four months, known a month or more before it falls due.
    due = max(start, partner.joined) + dt.timedelta(days=rng.randrange(20, 80))
    while due <= end:
        created = max(start, partner.joined, due - dt.timedelta(days=rng.randrange(30, 90)))
        obligations.append((partner.key, due, created))
        met = _met_on(rng, partner, due)
        if met is not None and met <= end:
            events.append(
                Event(_at(met, rng), "obligation_met", partner=partner.key, data={"due": due})
            )
        due += dt.timedelta(days=rng.randrange(*shape.obligation_every))


def _plan_turnover(rng, partners, start, end, events) -> None:
    """The named contacts that leave, as staff record them: a departure is learnt of up to a
    month after it (when a colleague writes, when an e-mail bounces), and a successor named
    with it or within six weeks. A drift or a dip that begins with it follows within two weeks;
    a partner that drifts away names a successor in half the cases and does not come back; one
    that dips is back when its successor has settled in; a sudden silence is its contact gone
    with no one to take over, found out one to four weeks later."""
    for partner in partners:
        successor: dt.date | None
        if partner.kind in (DRIFTER, RECOVERER, SUDDEN) and rng.random() < TRIGGERED:
            if partner.kind == SUDDEN:
                recorded = partner.silence + dt.timedelta(days=rng.randrange(5, 31))
                successor = None
            else:
                begins = partner.drift_start if partner.kind == DRIFTER else partner.dip[0]
                left = begins - dt.timedelta(days=rng.randrange(0, 15))
                recorded = left + dt.timedelta(days=rng.randrange(0, 31))
                if partner.kind == RECOVERER:
                    successor = max(recorded, partner.dip[1] - dt.timedelta(days=rng.randrange(8)))
                elif rng.random() < 0.5:
                    successor = recorded + dt.timedelta(days=rng.randrange(14, 61))
                else:
                    successor = None
        elif rng.random() < TURNOVER:
            left = max(start, partner.joined) + dt.timedelta(days=rng.randrange(30, 300))
            recorded = left + dt.timedelta(days=rng.randrange(0, 31))
            successor = recorded + dt.timedelta(
                days=0 if rng.random() < 0.3 else rng.randrange(1, 46)
            )
        else:
            continue
        if recorded > end:
            continue
        partner.contact_left, partner.successor = recorded, successor
        events.append(Event(_at(recorded, rng), "contact_left", partner=partner.key))
        if successor is not None and successor <= end:
            at = _at(successor, rng, start_hour=17, end_hour=18)
            events.append(Event(at, "contact_named", partner=partner.key))


def _catch_up(rng, partner: Partner, on: dt.date | None, due: dt.date) -> dt.date | None:
    """A partner back to its usual self after a dip settles what it let slip during it, within
    a few weeks (a drifter never does)."""
    if partner.kind != RECOVERER or not partner.dip[0] <= due <= partner.dip[1]:
        return on
    latest = partner.dip[1] + dt.timedelta(days=28)
    if on is None or on > latest:
        return partner.dip[1] + dt.timedelta(days=rng.randrange(3, 29))
    return on


def _met_on(rng, partner: Partner, due: dt.date) -> dt.date | None:
    v = vigour(partner, due, "obligations")
    if v < 0.25 and rng.random() > v:
        return _catch_up(rng, partner, None, due)  # never met, unless the dip ends
    # Usually on time (a few days early or late); now and then a few weeks late; a slipping
    # partner later and later.
    late = rng.gauss(-3, 4)
    if rng.random() < 0.1:
        late = rng.uniform(10, 30)
    late += (1 - v) * rng.uniform(20, 60)
    met = due + dt.timedelta(days=round(late))
    if vigour(partner, met, "obligations") == 0.0:
        return None
    return _catch_up(rng, partner, met, due)


def _plan_meetings(
    rng, collaboration: Collaboration, members, end, events, shape: Shape = USUAL
) -> None:
    day = collaboration.first_meeting
    number = 0
    while day <= end:
        if day.weekday() >= 5:
            day += dt.timedelta(days=7 - day.weekday())
        if _in_break(shape, day):  # no meeting over the year-end break
            day += dt.timedelta(days=collaboration.meeting_every)
            continue
        number += 1
        held = dt.datetime.combine(day, dt.time(10, 0))
        # Recorded by the convenor: mostly the same week, sometimes weeks later.
        created = held - dt.timedelta(days=rng.randrange(3, 15))
        events.append(
            Event(
                created,
                "meeting",
                collaboration=collaboration.number,
                data={"number": number, "held": held},
            )
        )
        recorded = held + dt.timedelta(
            days=rng.randrange(0, 4)
            if rng.random() < shape.recorded_soon
            else rng.randrange(5, shape.recorded_days),
            hours=6,
        )
        for partner in members:
            if partner.joined > day:
                continue
            status = _attendance(rng, partner, day, shape)
            events.append(
                Event(
                    recorded,
                    "attendance",
                    partner=partner.key,
                    collaboration=collaboration.number,
                    data={"number": number, "status": status},
                )
            )
        day += dt.timedelta(days=collaboration.meeting_every)


def _attendance(rng, partner: Partner, day: dt.date, shape: Shape = USUAL) -> str:
    if on_holiday(partner, day):
        return "apologies" if rng.random() < 0.8 else "absent"
    v = vigour(partner, day, "attendance")
    if v == 0.0:
        return "absent"
    roll = rng.random()
    present = shape.present * v
    apologies = shape.apologies + (1 - v) * 0.35
    if roll < present:
        return "present"
    if roll < present + apologies:
        return "apologies"
    return "absent"


def _plan_reports(
    rng, partner, goal: int, cadence: int, start, end, events, shape: Shape = USUAL
) -> None:
    period_end = start + dt.timedelta(days=cadence)
    while period_end <= end:
        if period_end >= partner.joined:
            v = vigour(partner, period_end, "reports")
            reported = None
            if not (v < 0.3 and rng.random() > v):
                usual, days, later = shape.report_late
                late = rng.randrange(*days) if rng.random() < usual else rng.randrange(*later)
                late += round((1 - v) * rng.uniform(15, 45))
                reported = period_end + dt.timedelta(days=late)
            reported = _catch_up(rng, partner, reported, period_end)
            if (
                reported is not None
                and reported <= end
                and vigour(partner, reported, "reports") > 0
            ):
                events.append(
                    Event(
                        _at(reported, rng),
                        "measurement",
                        partner=partner.key,
                        collaboration=partner.collaboration,
                        data={"goal": goal, "period_end": period_end},
                    )
                )
        period_end += dt.timedelta(days=cadence)
