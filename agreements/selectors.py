"""Every read of the agreements app that has rules: who sees which collaborations and their
children (docs/permissions.md), what each list and page needs in one go, derived figures
(progress toward a target, overdue obligations) and the audit history as people read it."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import (
    BooleanField,
    Case,
    Count,
    Exists,
    ExpressionWrapper,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _

from core.actors import actor_organisation_id
from core.scope import restrict
from core.translated import ordering_for
from partners.models import Organisation, User

from .models import (
    Agreement,
    Collaboration,
    Measurement,
    Obligation,
    Participation,
    SharedGoal,
    Signatory,
)

# Collaboration list sort keys (the `sort` query parameter) and the ordering each one means.
COLLABORATION_SORTS = {
    "title": ("title", "pk"),
    "-title": ("-title", "-pk"),
    "structure": ("structure", "title"),
    "-structure": ("-structure", "title"),
    "status": ("status", "title"),
    "-status": ("-status", "title"),
    "lead": ("lead_organisation__name", "title"),
    "-lead": ("-lead_organisation__name", "title"),
    "start_date": ("start_date", "title"),
    "-start_date": ("-start_date", "title"),
    "participants": ("active_participant_count", "title"),
    "-participants": ("-active_participant_count", "title"),
}
DEFAULT_COLLABORATION_SORT = "title"


# Scoping ---------------------------------------------------------------------------------------


def collaboration_list_for(*, actor) -> QuerySet[Collaboration]:
    """Every collaboration `actor` may read (core/scope.py): all of them for signed-in people;
    for a partner token those its organisation participates in (whatever the participation's
    status)."""
    return restrict(Collaboration.objects.all(), actor)


def collaboration_get_for(
    *, actor, slug: str | None = None, pk: int | None = None
) -> Collaboration:
    """One collaboration by slug or id; out of scope -> 404."""
    lookup = {"slug": slug} if slug is not None else {"pk": pk}
    return get_object_or_404(
        collaboration_list_for(actor=actor).select_related("lead_organisation", "commissioner"),
        **lookup,
    )


def _active_participant_count() -> Subquery:
    counted = (
        Participation.objects.filter(
            collaboration=OuterRef("pk"), status=Participation.Status.ACTIVE
        )
        .order_by()
        .values("collaboration")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def collaboration_directory_for(*, actor, sort: str | None = None) -> QuerySet[Collaboration]:
    """The collaboration list page: lead organisation, commissioner and the number of active
    participants come with each row."""
    ordering = COLLABORATION_SORTS.get(sort or "", COLLABORATION_SORTS[DEFAULT_COLLABORATION_SORT])
    return (
        collaboration_list_for(actor=actor)
        .select_related("lead_organisation", "commissioner")
        .annotate(active_participant_count=_active_participant_count())
        .order_by(*ordering_for(Collaboration, ordering))
    )


def collaborations_of_organisation(queryset: QuerySet, organisation_id: int | None) -> QuerySet:
    """The "my organisation's" filter: led by it or with it taking part."""
    if organisation_id is None:
        return queryset.none()
    taking_part = Participation.objects.filter(
        collaboration=OuterRef("pk"), organisation_id=organisation_id
    ).exclude(status=Participation.Status.WITHDRAWN)
    return queryset.filter(Q(lead_organisation_id=organisation_id) | Exists(taking_part))


def collaboration_api_rows() -> QuerySet[Collaboration]:
    """The API's collaborations with the lead's name. A page of them gets its active members
    (their number, the structure check) from with_active_members, in one query."""
    # A subquery rather than a join: the list's count() then drops it (a join it would keep).
    return Collaboration.objects.annotate(
        lead_organisation_name=Subquery(
            Organisation.objects.filter(pk=OuterRef("lead_organisation_id")).values("name")
        )
    )


def collaboration_api_list_for(*, actor) -> QuerySet[Collaboration]:
    return restrict(collaboration_api_rows(), actor)


def active_members(collaboration: Collaboration) -> list[tuple[str, str]]:
    """A collaboration's active participants as (role, organisation name) pairs: attached to a
    list's page by with_active_members, read (and kept) for a single collaboration."""
    if getattr(collaboration, "active_members", None) is None:
        with_active_members([collaboration])
    return collaboration.active_members


def with_active_members(collaborations: list[Collaboration]) -> list[Collaboration]:
    """Attach to each collaboration its active participants as (role, organisation name)
    pairs, for structure_problems: one query of plain rows for the whole page (prefetching the
    participations with their organisations built a thousand model instances a page)."""
    members: dict[int, list[tuple[str, str]]] = defaultdict(list)
    # The name by a lookup per row (a primary-key probe each) rather than a join, which the
    # planner would make a hash join over every organisation.
    organisation_name = Subquery(
        Organisation.objects.filter(pk=OuterRef("organisation_id")).values("name")
    )
    for collaboration_id, role, name in (
        Participation.objects.filter(
            collaboration_id__in=[c.pk for c in collaborations],
            status=Participation.Status.ACTIVE,
        )
        .annotate(organisation_name=organisation_name)
        .order_by("organisation_name", "pk")
        .values_list("collaboration_id", "role", "organisation_name")
    ):
        members[collaboration_id].append((role, name))
    for collaboration in collaborations:
        collaboration.active_members = members[collaboration.pk]
    return collaborations


def participation_rows() -> QuerySet[Participation]:
    return Participation.objects.select_related("collaboration", "organisation", "contact")


def participation_list_for(*, actor) -> QuerySet[Participation]:
    return restrict(participation_rows(), actor)


def export_rows_of(kind: str, *, actor, collaborations: QuerySet[Collaboration]) -> QuerySet:
    """The participations, obligations or measurements of `collaborations` (a filtered list of
    the collaborations `actor` may read) for a CSV export, each through the scoped list selector
    of its kind, with what its rows name, ordered by collaboration."""
    within = collaborations.order_by().values("pk")
    if kind == "participations":
        return (
            participation_list_for(actor=actor)
            .filter(collaboration_id__in=within)
            .order_by("collaboration__title", "collaboration_id", "organisation__name", "pk")
        )
    if kind == "obligations":
        return (
            obligation_list_for(actor=actor)
            .filter(collaboration_id__in=within)
            .select_related("collaboration")
            .order_by("collaboration__title", "collaboration_id", "due_date", "pk")
        )
    if kind == "measurements":
        return (
            measurement_list_for(actor=actor)
            .filter(goal__collaboration_id__in=within)
            .select_related("goal__collaboration")
            .order_by(
                "goal__collaboration__title",
                "goal__collaboration_id",
                "goal_id",
                "period_end",
                "pk",
            )
        )
    raise ValueError(kind)


def with_latest_measurement(goals: QuerySet[SharedGoal]) -> QuerySet[SharedGoal]:
    """Each goal with its latest reported value and period, and its number of measurements:
    what progress is derived from, in the same query as the goals."""
    latest = Measurement.objects.filter(goal=OuterRef("pk")).order_by(
        "-period_end", "-reported_at", "-pk"
    )
    counted = (
        Measurement.objects.filter(goal=OuterRef("pk"))
        .order_by()
        .values("goal")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return goals.annotate(
        latest_value=Subquery(latest.values("value")[:1]),
        latest_period_end=Subquery(latest.values("period_end")[:1]),
        measurement_count=Coalesce(Subquery(counted, output_field=IntegerField()), 0),
    )


def goal_rows() -> QuerySet[SharedGoal]:
    return with_latest_measurement(SharedGoal.objects.select_related("collaboration"))


def goal_list_for(*, actor) -> QuerySet[SharedGoal]:
    return restrict(goal_rows(), actor)


def measurement_rows(*, include_withdrawn: bool = False) -> QuerySet[Measurement]:
    manager = Measurement.all_objects if include_withdrawn else Measurement.objects
    return manager.select_related("goal", "reported_by_organisation")


def measurement_list_for(*, actor, include_withdrawn: bool = False) -> QuerySet[Measurement]:
    return restrict(measurement_rows(include_withdrawn=include_withdrawn), actor)


def _signatories_prefetch() -> Prefetch:
    return Prefetch(
        "signatories",
        queryset=Signatory.objects.select_related("organisation").order_by("organisation__name"),
    )


def with_signature_counts(agreements: QuerySet[Agreement]) -> QuerySet[Agreement]:
    def counted(**filters):
        return Coalesce(
            Subquery(
                Signatory.objects.filter(agreement=OuterRef("pk"), **filters)
                .order_by()
                .values("agreement")
                .annotate(n=Count("pk"))
                .values("n"),
                output_field=IntegerField(),
            ),
            0,
        )

    return agreements.annotate(
        signatory_count=counted(), signed_count=counted(signed_at__isnull=False)
    )


def agreement_list_for(*, actor, action: str = "view") -> QuerySet[Agreement]:
    """Agreements `actor` may `action`: with "sign", a partner token's are those its
    organisation is a signatory of (others are a 404 for it, docs/permissions.md)."""
    return restrict(agreement_rows(), actor, action)


def agreement_rows() -> QuerySet[Agreement]:
    agreements = Agreement.objects.select_related("collaboration")
    return with_signature_counts(agreements.prefetch_related(_signatories_prefetch()))


def agreements_to_sign_for(*, actor) -> QuerySet[Agreement]:
    return agreement_list_for(actor=actor, action="sign")


def with_overdue(obligations: QuerySet[Obligation], today: dt.date | None = None) -> QuerySet:
    """`overdue`: pending and past its due date, derived at query time, never stored (so it
    can be filtered and sorted on; Obligation.days_overdue gives the number of days)."""
    today = today or timezone.localdate()
    late = Q(status=Obligation.Status.PENDING, due_date__lt=today)
    return obligations.annotate(overdue=ExpressionWrapper(late, output_field=BooleanField()))


def obligation_list_for(*, actor, action: str = "view") -> QuerySet[Obligation]:
    """Obligations `actor` may `action`, with the organisation's name their rows show (only it:
    the collaboration and agreement are shown by id, and joining them tripled the list's
    planning time at national scale). With "mark_met", a partner token's own only."""
    return restrict(obligation_rows(), actor, action)


def obligation_rows() -> QuerySet[Obligation]:
    return with_overdue(Obligation.objects.select_related("organisation"))


def obligations_to_mark_met_for(*, actor) -> QuerySet[Obligation]:
    return obligation_list_for(actor=actor, action="mark_met")


def filter_overdue(obligations: QuerySet[Obligation], overdue: bool | None) -> QuerySet:
    if overdue is None:
        return obligations
    today = timezone.localdate()
    late = Q(status=Obligation.Status.PENDING, due_date__lt=today)
    return obligations.filter(late) if overdue else obligations.exclude(late)


# Derived figures ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Progress:
    """How far a goal has moved from its baseline toward its target: (latest - baseline) /
    (target - baseline). `ratio` may be negative or above 1; `bar_percent` is capped 0-100 for
    display."""

    ratio: Decimal | None

    @property
    def percent(self) -> int | None:
        return None if self.ratio is None else int((self.ratio * 100).to_integral_value())

    @property
    def bar_percent(self) -> int:
        if self.percent is None:
            return 0
        return max(0, min(100, self.percent))

    @property
    def reached(self) -> bool:
        return self.ratio is not None and self.ratio >= 1


def goal_progress(goal: SharedGoal, latest_value: Decimal | None = None) -> Progress:
    """Progress from the goal's latest value (the `latest_value` annotation of
    with_latest_measurement, or the value given)."""
    if latest_value is None:
        latest_value = getattr(goal, "latest_value", None)
    if latest_value is None or goal.target == goal.baseline:
        return Progress(None)
    ratio = (Decimal(latest_value) - goal.baseline) / (goal.target - goal.baseline)
    return Progress(ratio.quantize(Decimal("0.0001")))


# Units whose combined figure across partners is their mean, not their sum (a rate is not added).
RATE_UNITS = frozenset({"%", "percent", "per cent", "percentage", "pourcentage", "rate", "ratio"})


def _day_ms(day) -> int:
    """A date as the milliseconds at its UTC midnight: Chart.js's linear time axis (no date
    adapter is vendored) and static/js/agreements.js format it back as the same date."""
    return int(dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC).timestamp() * 1000)


def goal_combined_figures(goal: SharedGoal, measurements) -> list[tuple[Any, Decimal]]:
    """The collective figure of a goal several organisations report on: at each period end, the
    sum (for a rate, the mean) of each organisation's latest value up to that date. Empty when
    fewer than two organisations report (their own series is the whole story)."""
    if len({m.reported_by_organisation_id for m in measurements}) < 2:
        return []
    is_rate = goal.unit.strip().lower() in RATE_UNITS
    latest: dict[int, Decimal] = {}
    figures: list[tuple[Any, Decimal]] = []
    for m in sorted(measurements, key=lambda m: (m.period_end, m.pk or 0)):
        latest[m.reported_by_organisation_id] = m.value
        total = sum(latest.values(), Decimal(0))
        figure = (total / len(latest)).quantize(Decimal("0.01")) if is_rate else total
        if figures and figures[-1][0] == m.period_end:
            figures[-1] = (m.period_end, figure)
        else:
            figures.append((m.period_end, figure))
    return figures


def goal_chart_data(goal: SharedGoal, measurements) -> dict[str, Any]:
    """What static/js/agreements.js draws for a goal (read from a json_script data block): one
    series per reporting organisation on a time axis (x: milliseconds at each period end's UTC
    midnight), the combined figure when several report, and the baseline and target lines."""
    by_organisation: dict[int, dict[str, Any]] = {}
    for m in sorted(measurements, key=lambda m: (m.period_end, m.pk or 0)):
        series = by_organisation.setdefault(
            m.reported_by_organisation_id,
            {"label": m.reported_by_organisation.name, "points": []},
        )
        series["points"].append({"x": _day_ms(m.period_end), "y": float(m.value)})
    combined = goal_combined_figures(goal, measurements)
    days = [m.period_end for m in measurements]
    if goal.target_date:
        days.append(goal.target_date)
    return {
        "title": goal.title,
        "unit": goal.unit,
        "series": sorted(by_organisation.values(), key=lambda series: series["label"]),
        "combined": (
            {
                "label": str(_("Combined (all partners)")),
                "points": [{"x": _day_ms(day), "y": float(value)} for day, value in combined],
            }
            if combined
            else None
        ),
        "start": _day_ms(min(days)) if days else None,
        "end": _day_ms(max(days)) if days else None,
        "baseline": float(goal.baseline),
        "target": float(goal.target),
        "targetLabel": str(_("Target")),
        "baselineLabel": str(_("Baseline")),
        "axisLabel": str(_("Period ending")),
    }


# The collaboration page -----------------------------------------------------------------------


def collaboration_participations(*, collaboration: Collaboration) -> list[Participation]:
    status_order = Case(
        When(status=Participation.Status.ACTIVE, then=Value(0)),
        When(status=Participation.Status.INVITED, then=Value(1)),
        default=Value(2),
    )
    return list(
        collaboration.participations.select_related("organisation", "contact").order_by(
            status_order, "role", "organisation__name"
        )
    )


def collaboration_goals(*, collaboration: Collaboration) -> list[SharedGoal]:
    """Goals with their latest value and every measurement (for the chart and its table), in
    two queries whatever their number."""
    return list(
        with_latest_measurement(collaboration.goals.all())
        .prefetch_related(
            Prefetch(
                "measurements",
                queryset=Measurement.objects.select_related("reported_by_organisation").order_by(
                    "period_end", "reported_at", "pk"
                ),
            )
        )
        .order_by(*ordering_for(SharedGoal, ["title", "pk"]))
    )


def collaboration_agreements(*, collaboration: Collaboration) -> list[Agreement]:
    return list(
        with_signature_counts(collaboration.agreements.all())
        .prefetch_related(_signatories_prefetch())
        .order_by("title", "-version", "pk")
    )


def collaboration_obligations(*, collaboration: Collaboration) -> list[Obligation]:
    return list(
        with_overdue(
            collaboration.obligations.select_related("organisation", "agreement")
        ).order_by(
            Case(When(status=Obligation.Status.PENDING, then=Value(0)), default=Value(1)),
            "due_date",
            "pk",
        )
    )


def participant_organisations(
    *, collaboration: Collaboration, also: tuple[int | None, ...] = ()
) -> QuerySet[Organisation]:
    """Organisations with an active participation (who may sign, owe or report), and those in
    `also` (what a form already shows, e.g. the current lead), each once."""
    active = Participation.objects.filter(
        collaboration=collaboration, status=Participation.Status.ACTIVE
    ).values("organisation_id")
    kept = [pk for pk in also if pk is not None]
    return Organisation.objects.filter(Q(pk__in=active) | Q(pk__in=kept)).order_by("name")


def commissioner_choices() -> QuerySet[User]:
    return User.objects.filter(role=User.Role.COMMISSIONER, is_active=True).order_by(
        "last_name", "first_name", "username"
    )


def actor_participation(*, actor, collaboration: Collaboration) -> Participation | None:
    organisation_id = actor_organisation_id(actor)
    if organisation_id is None:
        return None
    return collaboration.participations.filter(organisation_id=organisation_id).first()


def goal_get_for(*, collaboration: Collaboration, pk: int) -> SharedGoal:
    """A goal of `collaboration` (itself fetched through collaboration_get_for)."""
    return get_object_or_404(with_latest_measurement(collaboration.goals.all()), pk=pk)


def goal_measurement_get(*, goal: SharedGoal, pk: int) -> Measurement:
    """A standing measurement of `goal` (the goal already in the caller's scope); 404 if none."""
    return get_object_or_404(
        goal.measurements.select_related("goal", "reported_by_organisation"), pk=pk
    )


def goal_measurements(*, goal: SharedGoal) -> list[Measurement]:
    return list(
        goal.measurements.select_related("reported_by_organisation").order_by(
            "period_end", "reported_at", "pk"
        )
    )


def agreement_get_for(*, collaboration: Collaboration, pk: int) -> Agreement:
    return get_object_or_404(
        with_signature_counts(collaboration.agreements.all()).prefetch_related(
            _signatories_prefetch()
        ),
        pk=pk,
    )


def agreement_obligations(*, agreement: Agreement) -> list[Obligation]:
    return list(
        with_overdue(agreement.obligations.select_related("organisation")).order_by(
            "due_date", "pk"
        )
    )


def participation_get_for(*, collaboration: Collaboration, pk: int) -> Participation:
    return get_object_or_404(
        collaboration.participations.select_related("organisation", "contact", "collaboration"),
        pk=pk,
    )


def obligation_get_for(*, collaboration: Collaboration, pk: int) -> Obligation:
    return get_object_or_404(
        with_overdue(
            collaboration.obligations.select_related("organisation", "agreement", "collaboration")
        ),
        pk=pk,
    )
