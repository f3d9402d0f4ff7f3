"""The daily engagement scan: snapshots in batches, flags raised, kept and released, the scan
finished when a worker stopped part-way. The same day shared by Celery workers, and "Scan now",
are in fanout.py."""

from __future__ import annotations

import datetime as dt
import json
import logging
from dataclasses import asdict, dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone, translation

from agreements.models import Participation
from core.bulk import Row, update_by_pk, upsert
from core.collector import collector_paused

from ..engagement import (
    Assessment,
    Day,
    ParticipationRow,
    Policy,
    assess,
    default_policy,
    policies_for,
    read_figures,
    thaw,
)
from ..models import (
    EngagementSnapshot,
    Flag,
)
from ..reasons import anchored
from ..trend_reads import in_batch
from ..trends import SEVERITY, Previous, Watch, trend_figures, watch
from .common import SCANNED_COLLABORATION_STATUSES
from .notices import flag_digests_send
from .summary import portfolio_summary_refresh

logger = logging.getLogger(__name__)


@dataclass
class ScanResult:
    scan_date: dt.date
    batches: int = 0
    participations_scored: int = 0
    snapshots_written: int = 0
    flags_raised: int = 0
    flags_updated: int = 0
    flags_auto_closed: int = 0
    flags_reopened: int = 0
    flags_closed_not_scanned: int = 0
    digests_sent: int = 0

    def as_dict(self) -> dict:
        data = asdict(self)
        data["scan_date"] = self.scan_date.isoformat()
        return data

    def __str__(self) -> str:
        return (
            f"Engagement scan {self.scan_date}: {self.participations_scored} participations "
            f"scored in {self.batches} batches, {self.snapshots_written} snapshots written, "
            f"{self.flags_raised} flags raised, {self.flags_reopened} reopened, "
            f"{self.flags_updated} updated, "
            f"{self.flags_auto_closed} closed on recovery, {self.flags_closed_not_scanned} "
            f"closed as no longer scanned, {self.digests_sent} digests sent"
        )


SNAPSHOT_FIELDS = [
    "score",
    "band",
    "meetings_held",
    "meetings_attended",
    "meetings_apologies",
    "attendance_rate",
    "consecutive_absences",
    "obligations_due",
    "obligations_overdue",
    "max_days_overdue",
    "reports_expected",
    "reports_missing",
    "days_since_activity",
    "signatures_pending",
    "max_days_awaiting_signature",
    "meetings_unrecorded",
    "components",
    "state",
    "warning_streak",
    "clear_streak",
    "drift_evidence",
    "trend",
    "reason_codes",
]


def _decimal(value: Fraction | None) -> Decimal | None:
    if value is None:
        return None
    exact = Decimal(value.numerator) / Decimal(value.denominator)
    return exact.quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)


def snapshot_values(assessment: Assessment, policy: Policy) -> dict:
    """The columns of an EngagementSnapshot for one assessment."""
    f = assessment.figures
    return {
        "score": assessment.score,
        "band": assessment.band,
        "meetings_held": f.meetings_held,
        "meetings_attended": f.meetings_present,
        "meetings_apologies": f.meetings_apologies,
        "attendance_rate": _decimal(assessment.attendance_rate),
        "consecutive_absences": f.consecutive_absences,
        "obligations_due": f.obligations_due,
        "obligations_overdue": f.obligations_overdue,
        "max_days_overdue": f.max_days_overdue,
        "reports_expected": f.reports_expected,
        "reports_missing": f.reports_missing,
        "days_since_activity": f.days_since_activity,
        "signatures_pending": f.signatures_pending,
        "max_days_awaiting_signature": f.max_days_awaiting_signature,
        "meetings_unrecorded": f.meetings_unrecorded,
        "components": {
            signal: {"value": round(numerator / denominator, 4), "weight": weight}
            for (signal, (numerator, denominator)), weight in zip(
                assessment.ratios.items(), policy.weights, strict=True
            )
        },
    }


def _next_batch(
    *, after: int, day: Day, size: int, collaboration_ids=None
) -> list[ParticipationRow]:
    """The next `size` scanned participations by id (keyset pagination: no OFFSET)."""
    participations = Participation.objects.filter(
        pk__gt=after,
        status=Participation.Status.ACTIVE,
        collaboration__status__in=SCANNED_COLLABORATION_STATUSES,
        joined_on__lte=day.date,
    )
    if collaboration_ids is not None:
        participations = participations.filter(collaboration_id__in=collaboration_ids)
    return [
        ParticipationRow(*values)
        for values in participations.order_by("pk").values_list(
            "pk", "collaboration_id", "organisation_id", "joined_on"
        )[:size]
    ]


def _store_snapshots(day: Day, rows: list[Row]) -> int:
    """Upsert the batch's snapshots in one statement; the database leaves a row whose figures
    are unchanged alone, so a second scan on the same day writes nothing. Returns the rows
    written. (core.bulk rather than bulk_create(update_conflicts=True): the same
    statement without the ORM's per-value cost, which dominated the scan at national scale.)"""
    return upsert(
        EngagementSnapshot,
        rows,
        conflict=["participation_id", "scan_date"],
        update=[*SNAPSHOT_FIELDS, "computed_at"],
        compare=SNAPSHOT_FIELDS,
    )


# The previous scan is the latest within this many days (a deployment may scan less than daily).
PREVIOUS_SCAN_DAYS = 31


def json_safe(value):
    """Dates and decimals as JSON text (the snapshot's JSON columns)."""
    if not value:  # most partners have no survey figures: no round trip through JSON
        return {} if isinstance(value, dict) else value
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


def _latest_per_participation(snapshots):
    """Each participation's latest snapshot of `snapshots`, in participation order. On
    PostgreSQL, DISTINCT ON: a daily scan keeps 31 snapshots a partner within
    PREVIOUS_SCAN_DAYS, and reading them all to keep the last was 4.8 million rows a national
    scan. Elsewhere (SQLite, the embedded default) every row is read and the last one kept."""
    ordered = snapshots.order_by("participation_id", "-scan_date")
    if connection.vendor == "postgresql":
        return ordered.distinct("participation_id")
    return ordered


def _read_previous(rows, day: Day, policies) -> tuple[dict[int, Previous], dict[int, int]]:
    """The latest earlier snapshot of each participation within PREVIOUS_SCAN_DAYS (its state
    and streaks), and its score `trend_days` before the scan date (the latest within a week
    before that): two indexed reads of the batch's range."""
    in_range = in_batch(rows)
    previous: dict[int, Previous] = {}
    for pk, on, state, warning, clear, score, evidence in _latest_per_participation(
        EngagementSnapshot.objects.filter(
            **in_range,
            scan_date__gte=day.date - dt.timedelta(days=PREVIOUS_SCAN_DAYS),
            scan_date__lt=day.date,
        )
    ).values_list(
        "participation_id",
        "scan_date",
        "state",
        "warning_streak",
        "clear_streak",
        "score",
        "drift_evidence",
    ):
        if pk not in previous:  # the latest comes first
            previous[pk] = Previous(state, warning, clear, score, evidence, (day.date - on).days)
    spans = {policies[row.collaboration_id].trend_days for row in rows}
    then: dict[tuple[int, int], int] = {}
    for span in spans:
        target = day.date - dt.timedelta(days=span)
        for pk, score in _latest_per_participation(
            EngagementSnapshot.objects.filter(
                **in_range,
                scan_date__gte=target - dt.timedelta(days=7),
                scan_date__lte=target,
            )
        ).values_list("participation_id", "score"):
            then.setdefault((span, pk), score)  # the latest comes first
    return previous, {
        row.pk: then[key]
        for row in rows
        if (key := (policies[row.collaboration_id].trend_days, row.pk)) in then
    }


def _handle_flags(
    day: Day,
    watches: dict[int, tuple[Assessment, Watch]],
    policies: dict[int, Policy],
    collaboration_of: dict[int, int],
    result: ScanResult,
    now,
) -> None:
    """Raise, refresh, close or reopen each scored participation's flag (docs/engagement.md,
    "Flags"): two reads and at most three bulk writes per batch.

    - raised when a warning state (drifting, at risk, disengaged) has held for
      `flag_after_scans` consecutive scans, or at once on a drop of `sharp_drop` points;
    - closed only when the partner has been clear — engaged, not drifting, and at least
      `release_margin` points above engaged_min — for `flag_after_scans` scans (hysteresis);
    - raised again within `reopen_days` of closing: the same flag reopens, keeping its history,
      and is not announced as new; a flag a person resolved stands until the partner has been
      out of warning since, or gets worse."""
    ids = sorted(watches)
    in_range = Q(participation_id__gte=ids[0], participation_id__lte=ids[-1])
    flag: Flag | None
    flags = {
        flag.participation_id: flag
        for flag in Flag.objects.filter(in_range, status__in=Flag.OPEN_STATUSES).only(
            "pk",
            "participation_id",
            "band",
            "state",
            "score",
            "reason_codes",
            "notified_at",
            "status",
            # Every field update_by_pk writes below: a deferred one would be read back with a
            # query per flag (12,000 queries for 3,000 refreshed flags at F=0.1).
            "closed_at",
            "closed_on",
            "reopened_count",
            "reopened_on",
        )
    }
    wanted = [
        pk for pk, (_assessment, state) in watches.items() if pk not in flags and state.is_warning
    ]
    latest: dict[int, Flag] = {}
    if wanted:
        for flag in (
            Flag.objects.filter(participation_id__in=wanted)
            .order_by("participation_id", "created_at", "pk")
            # Everything update_by_pk writes when one reopens (no query per flag).
            .only(
                "pk",
                "participation_id",
                "status",
                "state",
                "band",
                "score",
                "reason_codes",
                "notified_at",
                "closed_at",
                "closed_on",
                "reopened_count",
                "reopened_on",
            )
        ):
            latest[flag.participation_id] = flag
    changed: list[Flag] = []
    created: list[Flag] = []
    for pk, (assessment, state) in watches.items():
        policy = policies[collaboration_of[pk]]
        flag = flags.get(pk)
        if flag is not None:
            if policy.closes_flag(clear_streak=state.clear_streak):
                flag.status, flag.closed_at = Flag.Status.AUTO_CLOSED, now
                flag.closed_on = day.date
                changed.append(flag)
                result.flags_auto_closed += 1
            elif state.is_warning and (
                (flag.state, flag.band, flag.score, flag.reason_codes)
                != (state.state, assessment.band, assessment.score, assessment.codes)
            ):
                # Rewritten only when the band, the state or a figure changed: a growing day
                # count is stored as the date it counts from (commissioner/reasons.py).
                if SEVERITY[state.state] > SEVERITY[flag.state]:
                    flag.notified_at = None  # worse: the next digest says so
                flag.state, flag.band = state.state, assessment.band
                flag.score, flag.reason_codes = assessment.score, assessment.codes
                changed.append(flag)
                result.flags_updated += 1
            continue
        if not state.is_warning:
            continue
        if not policy.raises_flag(
            warning_streak=state.warning_streak,
            score=assessment.score,
            previous_score=state.previous_score,
        ):
            continue
        before = latest.get(pk)
        closed_on = before.closed_on if before is not None else None
        if (
            before is not None
            and before.status == Flag.Status.RESOLVED
            and closed_on is not None
            # In warning every scan since a person resolved it, and no worse: it stands.
            and state.warning_streak > (day.date - closed_on).days
            and SEVERITY[state.state] <= SEVERITY[before.state]
        ):
            continue
        if (
            before is not None
            and before.status == Flag.Status.AUTO_CLOSED
            and closed_on is not None
            and (day.date - closed_on).days <= policy.reopen_days
        ):
            before.status, before.closed_at, before.closed_on = Flag.Status.OPEN, None, None
            before.reopened_count += 1
            before.reopened_on = day.date
            before.state, before.band = state.state, assessment.band
            before.score, before.reason_codes = assessment.score, assessment.codes
            changed.append(before)
            result.flags_reopened += 1
            continue
        created.append(
            Flag(
                participation_id=pk,
                band=assessment.band,
                state=state.state,
                score=assessment.score,
                reason_codes=assessment.codes,
                status=Flag.Status.OPEN,
                raised_on=day.date,
            )
        )
    if changed:
        update_by_pk(
            Flag,
            changed,
            [
                "status",
                "closed_at",
                "closed_on",
                "state",
                "band",
                "score",
                "reason_codes",
                "notified_at",
                "reopened_count",
                "reopened_on",
            ],
        )
    # A concurrent scan may have raised the same flag: the one-open-flag constraint keeps one.
    Flag.objects.bulk_create(created, ignore_conflicts=True)
    result.flags_raised += len(created)


def flags_close_not_scanned(
    *, collaboration_id: int | None = None, participation_id: int | None = None, now=None
) -> int:
    """Close, as NOT_SCANNED, the open flags of participations the scan no longer visits: a
    partner withdrawn (or back to invited), a collaboration paused, concluded or dissolved. One
    UPDATE. The scan runs it over everything after its batches; the services that change a
    participation's or a collaboration's status run it over theirs at once. So such a flag
    never lingers open, is not counted on the dashboard and is never announced."""
    flags = Flag.objects.filter(status__in=Flag.OPEN_STATUSES).filter(
        ~Q(participation__status=Participation.Status.ACTIVE)
        | ~Q(participation__collaboration__status__in=SCANNED_COLLABORATION_STATUSES)
    )
    if collaboration_id is not None:
        flags = flags.filter(participation__collaboration_id=collaboration_id)
    if participation_id is not None:
        flags = flags.filter(participation_id=participation_id)
    return flags.update(status=Flag.Status.NOT_SCANNED, closed_at=now or timezone.now())


def _scan_batch(
    rows: list[ParticipationRow],
    day: Day,
    default: Policy,
    result: ScanResult,
    policy: Policy | None = None,
):
    """Score one batch and write its snapshots and flags in one transaction: a scan stopped
    between batches leaves whole batches behind, and a rerun recomputes the same values.
    `policy`, when given, replaces every collaboration's (the backtest's trial policy)."""
    # The collector off while the batch builds and drops its millions of small objects (a sixth
    # of a national scan's time went to collections that found next to nothing: core.collector).
    # Paused around a call, so that the batch's figures, snapshots and flags are freed (by
    # reference counting, as the call returns) before the one collection at the end: paused
    # inside it, that collection traversed all of them, alive, every batch (2.2 s of a
    # national scan for the few cycles it found).
    with collector_paused():
        _score_batch(rows, day, default, result, policy)


def _score_batch(
    rows: list[ParticipationRow],
    day: Day,
    default: Policy,
    result: ScanResult,
    policy: Policy | None,
):
    """_scan_batch's work, its objects local to this call."""
    now = timezone.now()
    with transaction.atomic():
        if policy is None:
            policies = policies_for({row.collaboration_id for row in rows}, default=default)
        else:
            policies = dict.fromkeys({row.collaboration_id for row in rows}, policy)
        figures = read_figures(rows, policies, day)
        previous, score_then = _read_previous(rows, day, policies)
        watches, snapshots = {}, []
        for row in rows:
            # Scored afresh for every partner: since the trends, no two partners' figures are
            # the same (a memo of distinct figures scored before them hit 1 in 5,000).
            row_policy = policies[row.collaboration_id]
            assessment = assess(figures[row.pk], row_policy)
            values = snapshot_values(assessment, row_policy)
            state = watch(assessment, row_policy, previous.get(row.pk), score_then.get(row.pk))
            codes = anchored(assessment.codes, day.date)
            if state.codes:
                codes += anchored(state.codes, day.date)
            # The flag keeps the stored (anchored) reasons. Built directly: dataclasses.replace
            # introspects the fields on every call (1 s of a national scan).
            assessment = Assessment(
                assessment.figures, assessment.ratios, assessment.score, assessment.band, codes
            )
            watches[row.pk] = (assessment, state)
            snapshots.append(
                Row(
                    {
                        "participation_id": row.pk,
                        "scan_date": day.date,
                        "computed_at": now,
                        "state": state.state,
                        "warning_streak": state.warning_streak,
                        "clear_streak": state.clear_streak,
                        "drift_evidence": state.evidence,
                        "trend": {
                            **trend_figures(figures[row.pk].trend, state),
                            "survey": json_safe(thaw(figures[row.pk].survey)),
                        },
                        "reason_codes": codes,
                    },
                    values,
                )
            )
        result.snapshots_written += _store_snapshots(day, snapshots)
        _handle_flags(
            day,
            watches,
            policies,
            {row.pk: row.collaboration_id for row in rows},
            result,
            now,
        )
    result.participations_scored += len(rows)
    result.batches += 1


def engagement_scan(
    *,
    scan_date: dt.date | None = None,
    batch_size: int = 5000,
    send_digests: bool = True,
    collaboration_ids=None,
    policy: Policy | None = None,
) -> ScanResult:
    """Score every active participation of every active collaboration on `scan_date` (today by
    default), store one snapshot each, raise / refresh / close flags, then send each commissioner
    one digest of the flags they have not been told about. Open flags of participations it no
    longer scans (withdrawn partners, collaborations no longer active) are closed as NOT_SCANNED
    in one UPDATE after the batches. `collaboration_ids` and `policy` narrow and override it
    (the backtest).

    Set-based: per batch of participations a fixed number of queries, whatever the batch size.
    Idempotent: a second run on the same day changes nothing. Interruptible: batches commit one
    by one and a rerun recomputes the same values, then sends the digest the first run did not."""
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    day = Day.of(scan_date or timezone.localdate())
    result = ScanResult(scan_date=day.date)
    with translation.override(settings.LANGUAGE_CODE):
        default = default_policy()
        after = 0
        while True:
            rows = _next_batch(
                after=after, day=day, size=batch_size, collaboration_ids=collaboration_ids
            )
            if rows:
                _scan_batch(rows, day, default, result, policy)
                after = rows[-1].pk
            if len(rows) < batch_size:
                break
        if collaboration_ids is None:
            # The batches visit only scanned participations: close the flags they cannot reach.
            result.flags_closed_not_scanned = flags_close_not_scanned()
            # The portfolio pages read this, not the snapshots (services/summary.py).
            portfolio_summary_refresh(scan_date=day.date)
            _refresh_statistics()
        if send_digests:
            result.digests_sent = flag_digests_send(as_of=day.date)
    logger.info("%s", result)
    return result


def engagement_scan_finish(*, today: dt.date | None = None) -> ScanResult | None:
    """Complete today's scan if one began and stopped part-way — its worker killed, its machine
    lost — within the hour, rather than when the broker redelivers it hours later. Run hourly
    by beat: when today's scan is whole (or has not begun) it costs two indexed queries and
    does nothing; when some scanned participation has no snapshot today it reruns the scan,
    which keeps what the first run wrote and completes the rest, digest included."""
    day = today or timezone.localdate()
    if not EngagementSnapshot.objects.filter(scan_date=day).exists():
        return None
    missing = (
        Participation.objects.filter(
            status=Participation.Status.ACTIVE,
            collaboration__status__in=SCANNED_COLLABORATION_STATUSES,
            joined_on__lte=day,
        )
        .exclude(
            Exists(EngagementSnapshot.objects.filter(participation=OuterRef("pk"), scan_date=day))
        )
        .exists()
    )
    if not missing:
        return None
    logger.warning("Today's engagement scan stopped part-way: completing it")
    return engagement_scan(scan_date=day)


def _refresh_statistics() -> None:
    """Tell PostgreSQL's planner about the day's snapshots and flags right away. Until
    autovacuum gets round to it, the statistics say no snapshot has today's date, and the
    dashboard's queries on the latest scan pick plans made for one row, not for thousands:
    33 s instead of milliseconds for a portfolio at F=0.1 (docs/performance.md). Only the
    columns a scan moves and the pages filter on: the statistics of the JSON columns took most
    of the time (1.8 s -> 0.9 s at F=1), and autovacuum still analyses every column."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "ANALYZE commissioner_engagementsnapshot "
                "(scan_date, participation_id, band, state, score), "
                "commissioner_flag "
                "(status, participation_id, raised_on, closed_on, band, state, notified_at), "
                "commissioner_collaborationsummary"
            )


def _broker_errors() -> tuple[type[BaseException], ...]:
    from kombu.exceptions import OperationalError as KombuOperationalError

    errors: list[type[BaseException]] = [KombuOperationalError, ConnectionError, TimeoutError]
    try:
        import redis.exceptions

        errors += [redis.exceptions.ConnectionError, redis.exceptions.TimeoutError]
    except ImportError:  # pragma: no cover - redis is a dependency
        pass
    return tuple(errors)
