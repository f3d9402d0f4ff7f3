"""Every read of the commissioner app that has rules: who sees which meetings, snapshots, flags
and interventions (docs/permissions.md), and what the dashboard pages need, each in a fixed
number of queries."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import (
    Count,
    F,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
)
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _

from agreements.models import (
    Agreement,
    Collaboration,
    Measurement,
    Obligation,
    Participation,
    SharedGoal,
)
from agreements.selectors import Progress, goal_progress
from core.scope import restrict
from core.translated import ordering_for

from .access import may_commission
from .caching import cached, data_version
from .engagement import Policy, count_of, policy_in_force
from .models import (
    BAND_RANK,
    Attendance,
    CollaborationSummary,
    EngagementSnapshot,
    Flag,
    Intervention,
    Meeting,
    State,
    band_rank,
)

RANK_BAND = {rank: band for band, rank in BAND_RANK.items()}
TREND_DAYS = 182
MATRIX_MEETINGS = 8
DEADLINE_DAYS = 30
EXPIRY_DAYS = 180
PORTFOLIO_FLAGS = 10
FLAG_COUNT_CAP = 1000
PORTFOLIO_ALL_SECONDS = 60


# Scoping --------------------------------------------------------------------------------------


def meeting_list_for(*, actor) -> QuerySet[Meeting]:
    """Meetings of the collaborations `actor` may read: all of them for signed-in people; a
    partner token's organisation's collaborations (any participation status)."""
    return restrict(Meeting.objects.all(), actor)


def meeting_api_list_for(*, actor) -> QuerySet[Meeting]:
    return restrict(meeting_api_rows(), actor)


def meeting_api_rows() -> QuerySet[Meeting]:
    """The API's meetings, each with its attendances and their organisations."""
    return Meeting.objects.select_related("collaboration").prefetch_related(
        Prefetch(
            "attendances",
            queryset=Attendance.objects.select_related("participation__organisation").order_by(
                "participation__organisation__name"
            ),
        )
    )


def meeting_get_for(*, actor, pk: int) -> Meeting:
    return get_object_or_404(
        meeting_list_for(actor=actor).select_related(
            "collaboration__lead_organisation", "collaboration__commissioner"
        ),
        pk=pk,
    )


def meetings_to_confirm_for(*, actor) -> QuerySet[Meeting]:
    """Meetings whose attendance `actor` may confirm for its own organisation: those of the
    collaborations it takes an active part in. Anything else is a 404 for the action."""
    return restrict(Meeting.objects.all(), actor, "confirm")


def snapshot_list_for(*, actor) -> QuerySet[EngagementSnapshot]:
    """Engagement snapshots: administrators and commissioners read all; a staff user and a
    partner token only their own organisation's."""
    return restrict(snapshot_rows(), actor)


def snapshot_rows() -> QuerySet[EngagementSnapshot]:
    return EngagementSnapshot.objects.select_related(
        "participation__organisation", "participation__collaboration"
    )


def flag_list_for(*, actor) -> QuerySet[Flag]:
    """Flags: administrators and commissioners only; nobody else sees any."""
    flags = Flag.objects.select_related(
        "participation__organisation",
        "participation__collaboration",
        "acknowledged_by",
        "resolved_by",
    )
    return restrict(flags, actor).annotate(
        intervention_count=count_of(Intervention.objects.filter(flag=OuterRef("pk"))),
        open_intervention_count=count_of(
            Intervention.objects.filter(flag=OuterRef("pk"), completed_at__isnull=True)
        ),
    )


def flag_api_list_for(*, actor) -> QuerySet[Flag]:
    """The API's flags: each names its partner and collaboration and counts its interventions —
    only what the API shows (every join of flag_list_for is planned again on each request)."""
    return restrict(flag_api_rows(), actor)


def flag_api_rows() -> QuerySet[Flag]:
    flags = Flag.objects.select_related(
        "participation__organisation", "participation__collaboration"
    )
    return flags.annotate(
        intervention_count=count_of(Intervention.objects.filter(flag=OuterRef("pk")))
    )


def flag_get_for(*, actor, pk: int) -> Flag:
    return get_object_or_404(flag_list_for(actor=actor), pk=pk)


def intervention_list_for(*, actor) -> QuerySet[Intervention]:
    return restrict(intervention_rows(), actor)


def intervention_rows() -> QuerySet[Intervention]:
    return Intervention.objects.select_related(
        "flag__participation__organisation", "flag__participation__collaboration", "created_by"
    )


def intervention_get_for(*, actor, pk: int) -> Intervention:
    return get_object_or_404(intervention_list_for(actor=actor), pk=pk)


def flag_interventions(*, flag: Flag) -> list[Intervention]:
    return list(flag.interventions.select_related("created_by").order_by("-created_at", "-pk"))


def flag_snapshots(*, flag: Flag, limit: int = 10) -> list[EngagementSnapshot]:
    """The partner's latest snapshots, newest first: how the figures moved."""
    return list(
        EngagementSnapshot.objects.filter(participation_id=flag.participation_id).order_by(
            "-scan_date"
        )[:limit]
    )


# Meetings pages -------------------------------------------------------------------------------


def collaboration_meetings(*, collaboration: Collaboration) -> QuerySet[Meeting]:
    """A collaboration's meetings, newest first, with attendance counts."""
    attendances = Attendance.objects.filter(meeting=OuterRef("pk"))
    return collaboration.meetings.annotate(
        present_count=count_of(attendances.filter(status=Attendance.Status.PRESENT)),
        apologies_count=count_of(attendances.filter(status=Attendance.Status.APOLOGIES)),
        absent_count=count_of(attendances.filter(status=Attendance.Status.ABSENT)),
    ).order_by("-held_at", "-pk")


@dataclass
class AttendanceRow:
    participation: Participation
    attendance: Attendance | None


def meeting_attendance(*, meeting: Meeting) -> list[AttendanceRow]:
    """Every active participation of the meeting's collaboration (and any other that has an
    attendance recorded) with its attendance, by organisation name (two queries)."""
    attendances = {a.participation_id: a for a in Attendance.objects.filter(meeting=meeting)}
    participations = (
        Participation.objects.filter(collaboration_id=meeting.collaboration_id)
        .filter(Q(status=Participation.Status.ACTIVE) | Q(pk__in=list(attendances)))
        .select_related("organisation")
        .order_by("organisation__name")
    )
    return [AttendanceRow(p, attendances.get(p.pk)) for p in participations]


def participation_choices(*, collaboration: Collaboration) -> QuerySet[Participation]:
    return (
        collaboration.participations.filter(status=Participation.Status.ACTIVE)
        .select_related("organisation")
        .order_by("organisation__name")
    )


# The portfolio --------------------------------------------------------------------------------


def latest_scan_date() -> dt.date | None:
    return (
        EngagementSnapshot.objects.order_by("-scan_date")
        .values_list("scan_date", flat=True)
        .first()
    )


@dataclass
class Portfolio:
    scope: str  # "mine" or "all"
    latest_scan: dt.date | None
    band_counts: dict[str, int]
    collaborations: PortfolioRows
    flags: list[Flag]  # the worst open flags in scope, at most PORTFOLIO_FLAGS of them
    flag_count: int  # every open flag in scope

    @property
    def more_flags(self) -> bool:
        return self.flag_count > len(self.flags)

    @property
    def flag_count_capped(self) -> bool:
        """More open flags than were counted (see portfolio_flags)."""
        return self.flag_count > FLAG_COUNT_CAP

    @property
    def flag_count_cap(self) -> int:
        return FLAG_COUNT_CAP

    @property
    def scored(self) -> int:
        return sum(self.band_counts.values())


# The figures a collaboration without a summary yet (created since the scan) is listed with.
UNSUMMARISED = {"worst_rank": 0, "lowest_score": None, "open_flags": 0, "next_deadline": None}


class PortfolioRows:
    """The portfolio's collaborations for a Paginator: first those the latest scan summarised,
    read in the order of the summary's index (worst band, most open flags, lowest score,
    title) — a page is the index's next 25 entries, not a sort of every collaboration — then
    those created since the scan, by title. Each is a Collaboration with `worst_rank`,
    `lowest_score`, `open_flags`, `next_deadline` and `partner_count` set. Two queries a page:
    one count of both parts, one read (two for the page where the parts meet)."""

    def __init__(self, collaborations: QuerySet[Collaboration], *, scope_filter: dict):
        self.collaborations = collaborations
        excluded = {"collaboration__status__in": Collaboration.CLOSED_STATUSES}
        self.summaries = (
            CollaborationSummary.objects.exclude(**excluded)
            .filter(**{f"collaboration__{key}": value for key, value in scope_filter.items()})
            .select_related("collaboration")
            .order_by(
                "-worst_rank", "-open_flags", F("lowest_score").asc(nulls_last=True), "title",
                "collaboration_id",
            )
        )  # fmt: skip
        self.unsummarised = (
            collaborations.filter(portfolio_summary__isnull=True)
            .annotate(
                partner_count=count_of(
                    Participation.objects.filter(
                        collaboration=OuterRef("pk"), status=Participation.Status.ACTIVE
                    )
                )
            )
            .order_by(*ordering_for(Collaboration, ["title", "pk"]))
        )
        self._counts: tuple[int, int] | None = None

    def counts(self) -> tuple[int, int]:
        """How many collaborations in all, and how many of them the latest scan summarised."""
        counted = self.collaborations.aggregate(
            total=Count("pk"), summarised=Count("portfolio_summary")
        )
        return (counted["total"], counted["summarised"])

    def use_counts(self, counts: tuple[int, int]) -> None:
        """Counts already known (the national view keeps them for a minute)."""
        self._counts = tuple(counts)  # a list once through a JSON cache

    def _count(self) -> tuple[int, int]:
        if self._counts is None:
            self._counts = self.counts()
        return self._counts

    def count(self) -> int:
        return self._count()[0]

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, index):
        if not isinstance(index, slice):
            return self[index : index + 1][0]
        total, summarised = self._count()
        start, stop = index.start or 0, min(index.stop if index.stop is not None else total, total)
        rows: list[Collaboration] = []
        if start < summarised:
            for summary in self.summaries[start : min(stop, summarised)]:
                collaboration = summary.collaboration
                for name in (*UNSUMMARISED, "partner_count"):
                    setattr(collaboration, name, getattr(summary, name))
                rows.append(collaboration)
        if stop > summarised:
            for collaboration in self.unsummarised[max(0, start - summarised) : stop - summarised]:
                for name, value in UNSUMMARISED.items():
                    setattr(collaboration, name, value)
                rows.append(collaboration)
        return rows


def portfolio_scope(*, actor, requested: str | None) -> str:
    """A commissioner starts on their own collaborations; administrators, and commissioners
    who commission none, on all of them."""
    if requested in ("mine", "all"):
        return requested
    if (
        getattr(actor, "role", None) == "commissioner"
        and Collaboration.objects.filter(commissioner=actor).exists()
    ):
        return "mine"
    return "all"


def portfolio_for(*, actor, scope: str) -> Portfolio:
    """Counts of partners by state on the latest scan, the worst open flags in scope with their
    reasons, and the collaborations in scope with their worst band, lowest score, open flags and
    next deadline — all as the latest scan summarised them (services/summary.py): the
    collaborations are ordered on the summary's columns, not on figures computed for each of
    them on every request (three queries and a page). A collaboration created since the scan
    has no summary yet: it is listed last, with no figures."""
    collaborations = Collaboration.objects.exclude(status__in=Collaboration.CLOSED_STATUSES)
    if scope == "mine":
        collaborations = collaborations.filter(commissioner=actor)
    latest = latest_scan_date()
    rows = PortfolioRows(
        collaborations, scope_filter={"commissioner": actor} if scope == "mine" else {}
    )

    flags = portfolio_worst_flags(actor=actor, collaborations=collaborations)

    def totals(*, flag_total: bool) -> dict:
        # Counted by state: the bands, with drifting (engaged, falling) and too early apart.
        band_counts = dict.fromkeys(State.values, 0)
        if latest is not None:
            band_counts.update(
                CollaborationSummary.objects.filter(collaboration__in=collaborations).aggregate(
                    **{state: Coalesce(Sum(state), 0) for state in State.values}
                )
            )
        return {
            "band_counts": band_counts,
            "counts": rows.counts(),
            "flag_total": portfolio_flag_total(actor=actor, collaborations=collaborations)
            if flag_total
            else 0,
        }

    if scope == "all":
        # The national view's aggregates run over every collaboration and open flag in the
        # country (40 of its 90 ms at F=1, growing with the data). They change at the daily
        # scan and when a collaboration or a partner is recorded as changed: kept per (latest
        # scan, data version) for a minute, the minute covering a flag resolved meanwhile.
        key = f"portfolio:all:{latest}:{data_version()}"
        aggregates = cached(
            key,
            lambda: totals(flag_total=True),
            seconds=PORTFOLIO_ALL_SECONDS,
            what="Portfolio totals",
        )
    else:
        # Counted whenever there are flags: the same queries for 3 flags as for 3,000.
        aggregates = totals(flag_total=bool(flags))
    rows.use_counts(aggregates["counts"])
    flag_count = aggregates["flag_total"]
    if flag_count <= FLAG_COUNT_CAP:
        # A total kept for a minute is never fewer than the flags read afresh.
        flag_count = max(flag_count, len(flags))
    band_counts = aggregates["band_counts"]
    return Portfolio(
        scope=scope,
        latest_scan=latest,
        band_counts=band_counts,
        collaborations=rows,
        flags=flags,
        flag_count=flag_count,
    )


def _open_flags(collaborations: QuerySet[Collaboration]) -> QuerySet[Flag]:
    return Flag.objects.filter(
        status__in=Flag.OPEN_STATUSES,
        # As the collaborations' open_flags count: a withdrawn partner's flag left open
        # (before a scan closed it) is not the commissioner's business any more.
        participation__status=Participation.Status.ACTIVE,
        participation__collaboration__in=collaborations,
    )


def portfolio_worst_flags(
    *, actor, collaborations: QuerySet[Collaboration], limit: int = PORTFOLIO_FLAGS
) -> list[Flag]:
    """The open flags of the active partners of `collaborations`, the worst first (disengaged
    before at risk, then the lowest score, then the newest), each with its partner and
    collaboration. Read in the order of index `flag_open_worst_first`, so PostgreSQL stops
    after `limit` instead of sorting every open flag (38,000 at national scale: a window count
    over all of them cost 475 ms)."""
    if not may_commission(actor):
        return []
    return list(
        _open_flags(collaborations)
        .select_related("participation__organisation", "participation__collaboration")
        .annotate(band_rank=band_rank())
        .order_by("-band_rank", "score", "-raised_on", "-pk")[:limit]
    )


def portfolio_flag_total(*, actor, collaborations: QuerySet[Collaboration]) -> int:
    """How many open flags `collaborations` have, counted up to FLAG_COUNT_CAP + 1: past it, the
    page says "more than 1,000" — a count of every open flag at national scale joins 38,000
    flags to 200,000 participations (90 ms) to print a number nobody reads to the unit."""
    if not may_commission(actor):
        return 0
    return _open_flags(collaborations)[: FLAG_COUNT_CAP + 1].count()


def worst_band(rank: int) -> str | None:
    return RANK_BAND.get(rank)


# The collaboration health page ----------------------------------------------------------------


@dataclass
class PartnerHealth:
    participation: Participation
    snapshot: EngagementSnapshot | None
    flag: Flag | None


@dataclass
class MatrixRow:
    participation: Participation
    cells: list[str | None]  # an Attendance.Status value, or None when nothing was recorded


@dataclass
class GoalRow:
    goal: SharedGoal
    latest_value: Decimal | None
    latest_period_end: dt.date | None

    @property
    def progress(self) -> Progress:
        return goal_progress(self.goal, self.latest_value)

    @property
    def percent(self) -> int | None:
        return self.progress.percent

    @property
    def bar_percent(self) -> int:
        return self.progress.bar_percent


@dataclass
class Health:
    collaboration: Collaboration
    policy: Policy
    policy_is_own: bool
    latest_scan: dt.date | None
    partners: list[PartnerHealth]
    trend: dict[str, Any]
    trend_rows: list[tuple[str, list[int | None]]]
    meetings: list[Meeting]
    matrix: list[MatrixRow]
    goals: list[GoalRow]
    obligations: list[Obligation]
    agreements: list[Agreement]
    today: dt.date = field(default_factory=timezone.localdate)


def _trend(
    partners: list[Participation], snapshots: list[EngagementSnapshot]
) -> tuple[dict, list[tuple[str, list[int | None]]]]:
    """Each partner's score over time, one row per scan date: every label is a date a scan ran,
    and every score beside it is that partner's score on that very date. Up to 16 scan dates are
    shown as they are; beyond, a date is kept when it is some partner's last scan of its week, so
    each week shows its last score and every partner's latest scan is there. The chart places the
    dates in proportion to time (static/js/commissioner.js)."""
    dates = sorted({s.scan_date for s in snapshots})
    scores: dict[int, dict[dt.date, int]] = defaultdict(dict)
    for snapshot in snapshots:
        scores[snapshot.participation_id][snapshot.scan_date] = snapshot.score
    if len(dates) > 16:
        week_last: dict[tuple[int, dt.date], dt.date] = {}
        for participation_id, by_date in scores.items():
            for day in by_date:
                week = (participation_id, day - dt.timedelta(days=day.weekday()))
                week_last[week] = max(day, week_last.get(week, day))
        dates = sorted(set(week_last.values()))
    labels = [day.isoformat() for day in dates]
    lines = [[scores[participation.pk].get(day) for day in dates] for participation in partners]
    datasets = [
        {"label": participation.organisation.name, "data": line}
        for participation, line in zip(partners, lines, strict=True)
    ]
    rows = [(label, [line[index] for line in lines]) for index, label in enumerate(labels)]
    return {"labels": labels, "datasets": datasets, "yLabel": _("Score")}, rows


def collaboration_health(*, collaboration: Collaboration) -> Health:
    """Everything the health page shows, in a fixed number of queries however many partners,
    meetings or snapshots the collaboration has."""
    today = timezone.localdate()
    policy, policy_is_own = policy_in_force(collaboration=collaboration)
    partners = list(participation_choices(collaboration=collaboration))
    partner_ids = [p.pk for p in partners]
    snapshots = list(
        EngagementSnapshot.objects.filter(
            participation_id__in=partner_ids,
            scan_date__gte=today - dt.timedelta(days=TREND_DAYS),
        ).order_by("scan_date")
    )
    latest: dict[int, EngagementSnapshot] = {}
    for snapshot in snapshots:
        latest[snapshot.participation_id] = snapshot
    flags = {
        flag.participation_id: flag
        for flag in Flag.objects.filter(
            participation_id__in=partner_ids, status__in=Flag.OPEN_STATUSES
        )
    }
    rows = [PartnerHealth(p, latest.get(p.pk), flags.get(p.pk)) for p in partners]
    rows.sort(
        key=lambda row: (
            row.snapshot is None,
            row.snapshot.score if row.snapshot else 0,
            row.participation.organisation.name,
        )
    )
    trend, trend_rows = _trend(partners, snapshots)

    meetings = list(
        collaboration.meetings.filter(held_at__lte=timezone.now()).order_by("-held_at", "-pk")[
            :MATRIX_MEETINGS
        ]
    )
    meetings.reverse()
    statuses = {
        (a.participation_id, a.meeting_id): a.status
        for a in Attendance.objects.filter(meeting__in=meetings, participation_id__in=partner_ids)
    }
    matrix = [MatrixRow(p, [statuses.get((p.pk, m.pk)) for m in meetings]) for p in partners]

    latest_measurement = Measurement.objects.filter(goal=OuterRef("pk")).order_by(
        "-period_end", "-reported_at", "-pk"
    )
    goals = [
        GoalRow(goal, goal.latest_value, goal.latest_period_end)
        for goal in collaboration.goals.annotate(
            latest_value=Subquery(latest_measurement.values("value")[:1]),
            latest_period_end=Subquery(latest_measurement.values("period_end")[:1]),
        ).order_by(*ordering_for(SharedGoal, ["title", "pk"]))
    ]
    obligations = list(
        collaboration.obligations.filter(
            status=Obligation.Status.PENDING,
            due_date__lte=today + dt.timedelta(days=DEADLINE_DAYS),
        )
        .select_related("organisation")
        .order_by("due_date", "pk")[:50]
    )
    agreements = list(
        collaboration.agreements.filter(
            status=Agreement.Status.IN_FORCE,
            expiry_date__isnull=False,
            expiry_date__lte=today + dt.timedelta(days=EXPIRY_DAYS),
        ).order_by("expiry_date", "pk")
    )
    return Health(
        collaboration=collaboration,
        policy=policy,
        policy_is_own=policy_is_own,
        latest_scan=max(latest.values(), key=lambda s: s.scan_date).scan_date if latest else None,
        partners=rows,
        trend=trend,
        trend_rows=trend_rows,
        meetings=meetings,
        matrix=matrix,
        goals=goals,
        obligations=obligations,
        agreements=agreements,
        today=today,
    )


def snapshot_latest_for(*, participation_ids) -> dict[int, EngagementSnapshot]:
    """The latest snapshot of each participation (one query)."""
    latest_date = Subquery(
        EngagementSnapshot.objects.filter(participation_id=OuterRef("participation_id"))
        .order_by("-scan_date")
        .values("scan_date")[:1]
    )
    return {
        s.participation_id: s
        for s in EngagementSnapshot.objects.filter(
            participation_id__in=list(participation_ids), scan_date=latest_date
        )
    }
