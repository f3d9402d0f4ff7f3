"""The backtest (docs/engagement.md): the engagement scan replayed as of each past day, with the
policy in force or one being tried, writing nothing that lasts — which flags it would have
raised, when, how many flapped, and which partners later went silent with or without a warning
before.

It runs the real scan, inside a transaction that is rolled back: the scope's snapshots and flags
are set aside (deleted inside the transaction), the scan is run day by day from a warm-up before
the first day, and the open flags are read after each day. So the backtest and the daily scan
cannot disagree about a rule, and since every figure is as known at the end of its day (as-of
truth), a past day replays as it would have been scanned then. While it runs it holds the
locks of the rows it set aside: a daily scan of the same collaborations waits for it.

Asked for other `bars` (drift evidence at which a partner is drifting), it also replays the
watch and the flags from each day's snapshot at each of them (BarWatch): nothing but the
evidence's bar changes from one to the next, and the day's record behind it (its `step`, whether
the partner is back, its score) is the same whatever the bar. So one run of the scan shows a
commissioner what each bar trades on their own partners: the partners warned before they went
silent against those flagged that kept in touch (docs/engagement.md, "Choosing the bar on
one's own partners")."""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from agreements.models import Participation
from core.errors import DomainError

from .engagement import Policy, default_policy, policies_for
from .models import WARNING_STATES, Activity, EngagementSnapshot, Flag, State
from .services import PREVIOUS_SCAN_DAYS, engagement_scan
from .services.policy import policy_limits
from .trend_reads import start_of
from .trends import weigh

# The longest span a backtest replays, and the days scanned before its first day so that
# streaks and accumulated evidence start from what the scan would have known.
MAX_DAYS = 400
WARM_UP_DAYS = 42
# "Try this policy on the last N months" on the policy page: N from 1 to TRIAL_MONTHS_MAX, each
# month 30 days back from yesterday.
TRIAL_MONTHS_MAX, TRIAL_MONTHS_DEFAULT = 6, 3
# A partner with no sign of life in this many days at the end counts as gone silent, and a
# warning raised up to FLAG_GRACE_DAYS after its last sign of life counts as before silence.
SILENT_DAYS = 30
FLAG_GRACE_DAYS = 14
FLAP_DAYS = 14


@dataclass
class Episode:
    participation_id: int
    organisation: str
    collaboration: str
    state: str
    raised_on: dt.date
    closed_on: dt.date | None

    @property
    def state_label(self) -> str:
        return str(State(self.state).label)


@dataclass
class SilentPartner:
    participation_id: int
    organisation: str
    collaboration: str
    last_heard: dt.date
    warned_on: dt.date | None


@dataclass
class BarTrial:
    """What the same days would have given at another bar for drifting (`bar`, the policy's
    `drift_evidence`), every other setting as tried."""

    bar: int
    flagged: int = 0  # partners flagged at least once
    flaps: int = 0
    silent_warned: int = 0
    flagged_in_touch: int = 0


@dataclass
class BacktestResult:
    date_from: dt.date
    date_to: dt.date
    participations: int = 0
    flags: list[Episode] = field(default_factory=list)
    flaps: int = 0
    silent: list[SilentPartner] = field(default_factory=list)
    bars: list[BarTrial] = field(default_factory=list)

    @property
    def silent_warned(self) -> int:
        return sum(1 for partner in self.silent if partner.warned_on is not None)

    @property
    def flagged_in_touch(self) -> int:
        """Partners flagged at least once that had not gone silent by the end: the false alarms
        are among them (with the dips that ended and the drifts not over yet). Against
        `silent_warned`, what a bar trades (docs/engagement.md, "On a cohort it was not tuned
        to")."""
        silent = {partner.participation_id for partner in self.silent}
        return len({flag.participation_id for flag in self.flags} - silent)


def bars_around(bar: int) -> list[int]:
    """The bars a policy page compares with the one tried: from three quarters of it to twice
    it (150 to 400 around the default 200, the sweep of docs/engagement.md)."""
    low, high = policy_limits("drift_evidence")  # each a bar the policy can then be saved with
    return sorted({max(low, min(high, round(bar * factor))) for factor in (0.75, 1, 1.25, 1.5, 2)})


class FlagRule:
    """One participation's flag day after day under the scan's rule (Policy.raises_flag and
    closes_flag, as services/scan.py applies them): raised once a warning state has held long
    enough or on a sharp drop, closed once the partner has been clear long enough."""

    def __init__(self, policy: Policy):
        self.policy = policy
        self.up, self.warning, self.clear = False, 0, 0
        self.previous: int | None = None

    def step(self, state: str, score: int, clear: bool) -> bool:
        """Whether the flag is up after a scan finding `state`, `score`, and `clear`."""
        warning = state in WARNING_STATES
        self.warning = self.warning + 1 if warning else 0
        self.clear = self.clear + 1 if clear else 0
        if not self.up and warning:
            self.up = self.policy.raises_flag(
                warning_streak=self.warning, score=score, previous_score=self.previous
            )
        elif self.up and self.policy.closes_flag(clear_streak=self.clear):
            self.up = False
        self.previous = score
        return self.up


class BarWatch:
    """The watch state and the flag of one participation at another bar, replayed from the
    snapshots the scan wrote at the bar tried (trends.watch: the same weigh, Policy.drifting and
    Policy.clear)."""

    def __init__(self, policy: Policy):
        self.policy = policy
        self.evidence, self.day = 0, None
        self.flag = FlagRule(policy)

    def step(self, day: dt.date, state: str, band: str, score: int, trend: dict) -> bool:
        if self.day is None or (day - self.day).days > PREVIOUS_SCAN_DAYS:
            self.evidence, self.flag = 0, FlagRule(self.policy)  # no previous scan: a fresh start
        policy, days = self.policy, (day - self.day).days if self.day else 1
        self.day = day
        if state == "too_early":
            self.evidence = 0
            return self.flag.step(state, score, clear=False)
        self.evidence = weigh(
            self.evidence,
            trend.get("step", 0),
            back=bool(trend.get("back")),
            arrivals=trend.get("reports_yesterday", 0) + trend.get("obligations_met_yesterday", 0),
            days=days,
            threshold=policy.drift_evidence,
        )
        weighed = self.evidence + (policy.drift_contact_left if trend.get("contact_vacant") else 0)
        points = sum((trend.get("points") or {}).values())
        state = "drifting" if policy.drifting(band=band, weighed=weighed, points=points) else band
        return self.flag.step(state, score, policy.clear(state=state, score=score, weighed=weighed))


def engagement_backtest(
    *,
    date_from: dt.date,
    date_to: dt.date,
    collaboration_ids: list[int] | None = None,
    policy: Policy | None = None,
    bars: Sequence[int] = (),
) -> BacktestResult:
    """Replay the scan from `date_from` to `date_to` (both included) over the given
    collaborations (all active ones by default), with `policy` in place of each collaboration's
    own when given; and the watch at each of `bars` in place of the policies' `drift_evidence`
    (BarWatch). Writes nothing that lasts."""
    today = timezone.localdate()
    if date_to >= today:
        raise DomainError(_("The backtest replays past days: end it before today."), field="to")
    if date_from > date_to:
        raise DomainError(_("The first day must come before the last."), field="from")
    if (date_to - date_from).days + 1 > MAX_DAYS:
        raise DomainError(
            _("A backtest covers at most %(days)s days.") % {"days": MAX_DAYS}, field="from"
        )
    scope = Participation.objects.all()
    if collaboration_ids is not None:
        scope = scope.filter(collaboration_id__in=collaboration_ids)
    policy_in_force = policy or default_policy()
    result = BacktestResult(date_from=date_from, date_to=date_to)
    up: dict[int, dict[dt.date, str]] = defaultdict(dict)
    replays = _BarReplays(scope, policy, bars)
    with transaction.atomic():
        undo = transaction.savepoint()
        try:
            EngagementSnapshot.objects.filter(participation__in=scope).delete()
            Flag.objects.filter(participation__in=scope).delete()
            day = date_from - dt.timedelta(days=WARM_UP_DAYS)
            while day <= date_to:
                engagement_scan(
                    scan_date=day,
                    send_digests=False,
                    collaboration_ids=collaboration_ids,
                    policy=policy,
                )
                if day >= date_from:
                    for pk, state in Flag.objects.filter(
                        participation__in=scope, status__in=Flag.OPEN_STATUSES
                    ).values_list("participation_id", "state"):
                        up[pk][day] = state
                replays.read(day, counts=day >= date_from)
                day += dt.timedelta(days=1)
            result.participations = (
                EngagementSnapshot.objects.filter(participation__in=scope, scan_date=date_to)
                .values("participation_id")
                .count()
            )
        finally:
            transaction.savepoint_rollback(undo)
    names = {
        pk: (organisation, collaboration)
        for pk, organisation, collaboration in scope.values_list(
            "pk", "organisation__name", "collaboration__title"
        )
    }
    days = [date_from + dt.timedelta(days=n) for n in range((date_to - date_from).days + 1)]
    for pk, marks in sorted(up.items()):
        stretches = _episodes(marks, days)
        result.flaps += _flaps(stretches)
        organisation, collaboration = names.get(pk, ("", ""))
        result.flags += [
            Episode(pk, organisation, collaboration, marks[raised], raised, closed)
            for raised, closed in stretches
        ]
    result.flags.sort(key=lambda episode: (episode.raised_on, episode.organisation))
    last_heard = _last_heard(scope, date_to)
    result.silent = _silent_partners(last_heard, date_to, up, names, policy_in_force)
    for bar, marks in replays.up.items():
        trial = BarTrial(bar=bar, flagged=len(marks))
        for stretches in (_episodes(days_up, days) for days_up in marks.values()):
            trial.flaps += _flaps(stretches)
        silent = _silent_partners(last_heard, date_to, marks, {}, policy_in_force)
        trial.silent_warned = sum(1 for partner in silent if partner.warned_on is not None)
        trial.flagged_in_touch = len(set(marks) - {partner.participation_id for partner in silent})
        result.bars.append(trial)
    return result


class _BarReplays:
    """The watch of every participation of `scope` at each of `bars`, fed each day's snapshots
    (one read a day): the days each would have had a flag up."""

    def __init__(self, scope, policy: Policy | None, bars: Sequence[int]):
        self.scope, self.bars = scope, sorted(set(bars))
        self.up: dict[int, dict[int, dict[dt.date, str]]] = {
            bar: defaultdict(dict) for bar in self.bars
        }
        self.watches: dict[tuple[int, int], BarWatch] = {}
        self.policies: dict[int, Policy] = {}
        if self.bars:
            collaboration_of = dict(scope.values_list("pk", "collaboration_id"))
            own = policies_for(set(collaboration_of.values()), default=default_policy())
            self.policies = {
                pk: policy or own[collaboration] for pk, collaboration in collaboration_of.items()
            }

    def read(self, day: dt.date, *, counts: bool) -> None:
        if not self.bars:
            return
        for pk, state, band, score, trend in EngagementSnapshot.objects.filter(
            participation__in=self.scope, scan_date=day
        ).values_list("participation_id", "state", "band", "score", "trend"):
            for bar in self.bars:
                watch = self.watches.get((bar, pk))
                if watch is None:
                    policy = dataclasses.replace(self.policies[pk], drift_evidence=bar)
                    watch = self.watches[(bar, pk)] = BarWatch(policy)
                if watch.step(day, state, band, score, trend or {}) and counts:
                    self.up[bar][pk][day] = "flagged"


def _flaps(stretches) -> int:
    """Flags raised again within FLAP_DAYS of closing."""
    return sum(
        1
        for (_raised, closed), (again, _closed) in itertools.pairwise(stretches)
        if closed is not None and (again - closed).days <= FLAP_DAYS
    )


def _episodes(marks: dict[dt.date, str], days: list[dt.date]):
    """(raised, closed) of each stretch of days a flag was up."""
    stretches, raised = [], None
    for day in days:
        if day in marks and raised is None:
            raised = day
        elif day not in marks and raised is not None:
            stretches.append((raised, day))
            raised = None
    if raised is not None:
        stretches.append((raised, None))
    return stretches


def _last_heard(scope, date_to) -> dict:
    """Each active participation's last sign of life known at the end of `date_to`."""
    end = start_of(date_to + dt.timedelta(days=1))
    return dict(
        Activity.objects.filter(
            participation__in=scope.filter(status=Participation.Status.ACTIVE),
            occurred_at__lt=end,
            recorded_at__lt=end,
        )
        .values("participation_id")
        .annotate(last=Max("occurred_at"))
        .values_list("participation_id", "last")
    )


def _silent_partners(last, date_to, up, names, policy) -> list[SilentPartner]:
    """Participations silent for SILENT_DAYS at the end (`last`: _last_heard), and the first day
    a flag was up from the policy's trend period before their last sign of life to
    FLAG_GRACE_DAYS after it."""
    silent = []
    for pk, moment in last.items():
        heard = timezone.localdate(moment)
        if (date_to - heard).days < SILENT_DAYS:
            continue
        deadline = heard + dt.timedelta(days=FLAG_GRACE_DAYS)
        window_start = heard - dt.timedelta(days=policy.trend_days)
        warned = min(
            (day for day in up.get(pk, {}) if window_start <= day <= deadline), default=None
        )
        organisation, collaboration = names.get(pk, ("", ""))
        silent.append(SilentPartner(pk, organisation, collaboration, heard, warned))
    silent.sort(key=lambda partner: (partner.last_heard, partner.organisation))
    return silent
