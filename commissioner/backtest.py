"""The backtest (docs/engagement.md): the engagement scan replayed as of each past day, with the
policy in force or one being tried, writing nothing that lasts — which flags it would have
raised, when, how many flapped, and which partners later went silent with or without a warning
before.

It runs the real scan, inside a transaction that is rolled back: the scope's snapshots and flags
are set aside (deleted inside the transaction), the scan is run day by day from a warm-up before
the first day, and the open flags are read after each day. So the backtest and the daily scan
cannot disagree about a rule, and since every figure is as known at the end of its day (as-of
truth), a past day replays as it would have been scanned then. While it runs it holds the
locks of the rows it set aside: a daily scan of the same collaborations waits for it."""

from __future__ import annotations

import datetime as dt
import itertools
from collections import defaultdict
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from agreements.models import Participation
from core.errors import DomainError

from .engagement import Policy, default_policy
from .models import Activity, EngagementSnapshot, Flag, State
from .services import engagement_scan
from .trends import start_of

# The longest span a backtest replays, and the days scanned before its first day so that
# streaks and accumulated evidence start from what the scan would have known.
MAX_DAYS = 400
WARM_UP_DAYS = 42
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
class BacktestResult:
    date_from: dt.date
    date_to: dt.date
    participations: int = 0
    flags: list[Episode] = field(default_factory=list)
    flaps: int = 0
    silent: list[SilentPartner] = field(default_factory=list)

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


def engagement_backtest(
    *,
    date_from: dt.date,
    date_to: dt.date,
    collaboration_ids: list[int] | None = None,
    policy: Policy | None = None,
) -> BacktestResult:
    """Replay the scan from `date_from` to `date_to` (both included) over the given
    collaborations (all active ones by default), with `policy` in place of each collaboration's
    own when given. Writes nothing that lasts."""
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
        for (_raised, closed), (again, _closed) in itertools.pairwise(stretches):
            if closed is not None and (again - closed).days <= FLAP_DAYS:
                result.flaps += 1
        organisation, collaboration = names.get(pk, ("", ""))
        result.flags += [
            Episode(pk, organisation, collaboration, marks[raised], raised, closed)
            for raised, closed in stretches
        ]
    result.flags.sort(key=lambda episode: (episode.raised_on, episode.organisation))
    result.silent = _silent_partners(scope, date_to, up, names, policy_in_force)
    return result


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


def _silent_partners(scope, date_to, up, names, policy) -> list[SilentPartner]:
    """Participations silent for SILENT_DAYS at the end, and the first day a flag was up from
    the policy's trend period before their last sign of life to FLAG_GRACE_DAYS after it."""
    end = start_of(date_to + dt.timedelta(days=1))
    last = dict(
        Activity.objects.filter(
            participation__in=scope.filter(status=Participation.Status.ACTIVE),
            occurred_at__lt=end,
            recorded_at__lt=end,
        )
        .values("participation_id")
        .annotate(last=Max("occurred_at"))
        .values_list("participation_id", "last")
    )
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
