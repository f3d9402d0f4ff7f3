"""The early warning's reads (docs/engagement.md, "Trends and the watch state"): each
partner's recent record against its own earlier one — its rhythm of contact, how late it meets
obligations and reports — and the relationship signals, each read for a batch of participations
with a fixed number of aggregate queries, as known at the end of the scan date. What they mean
(trend points, the drift evidence, the watch state) is commissioner/trends.py."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.db.models import Count, Max, OuterRef, Q, Subquery
from django.db.models.functions import TruncDate
from django.utils import timezone

from agreements.models import Measurement, Obligation, Participation
from core.bulk import fetch_rows
from partners.models import Contact

from .models import Activity
from .trends import BACK_DAYS, ITEM_DAYS, ONE_DAY, RELATIONSHIP_DAYS, REPORT_LOOKBACK_DAYS


def in_batch(rows) -> dict[str, int]:
    """Filter arguments: participation ids from the batch's lowest to its highest. Queries of
    rows keyed by participation filter on this range rather than on an IN list of every id: the
    ORM prepares each value of an IN list one by one, which cost more than the queries
    themselves. Rows of participations the batch does not score fall in
    the range too and are ignored; likewise the queries keyed by collaboration read every
    partner's rows, not only the batch's."""
    low, high = id_range(rows)
    return {"participation_id__gte": low, "participation_id__lte": high}


def id_range(rows) -> tuple[int, int]:
    """The lowest and highest participation id of a batch (sorted or not: the demo's is not)."""
    pks = [row.pk for row in rows]
    return min(pks), max(pks)


def start_of(day: dt.date) -> dt.datetime:
    """Midnight at the start of `day` in the current time zone."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def _groups(rows, policies, day):
    """Participations grouped by their (recent start, earlier start) dates, worked out once per
    collaboration (its partners share its policy; the date arithmetic per partner cost more)."""
    groups: dict[tuple[dt.date, dt.date], list] = defaultdict(list)
    starts: dict[int, tuple[dt.date, dt.date]] = {}
    for row in rows:
        key = starts.get(row.collaboration_id)
        if key is None:
            policy = policies[row.collaboration_id]
            recent = day.date - dt.timedelta(days=policy.trend_days - 1)
            before = recent - dt.timedelta(days=policy.window_days)
            key = starts[row.collaboration_id] = (recent, before)
        groups[key].append(row)
    return groups


def periods(row, policy, day) -> tuple[dt.date, dt.date]:
    """The first day of the recent period and of the earlier one (not before joining)."""
    recent = day.date - dt.timedelta(days=policy.trend_days - 1)
    before = max(row.joined_on, recent - dt.timedelta(days=policy.window_days))
    return recent, before


def read_contact(rows, policies, day) -> dict[int, dict]:
    """Days with a sign of life, recent and earlier, and days since the latest, as known at the
    end of the day (one grouped query per distinct pair of periods, usually one)."""
    result = {}
    for (recent, before), group in _groups(rows, policies, day).items():
        ids = {row.pk for row in group}
        filters = in_batch(group) if len(group) == len(rows) else {"participation_id__in": ids}
        local_day = TruncDate("occurred_at")
        fortnight = start_of(day.date - dt.timedelta(days=BACK_DAYS - 1))
        for pk, last, recent_days, before_days, c14, yesterday in fetch_rows(
            Activity.objects.filter(**filters, occurred_at__lt=day.end, recorded_at__lt=day.end)
            .exclude(withdrawn_at__lt=day.end)
            .values("participation_id")
            .annotate(
                last=TruncDate(Max("occurred_at")),
                recent_days=Count(
                    local_day, distinct=True, filter=Q(occurred_at__gte=start_of(recent))
                ),
                before_days=Count(
                    local_day,
                    distinct=True,
                    filter=Q(occurred_at__gte=start_of(before), occurred_at__lt=start_of(recent)),
                ),
                c14=Count(local_day, distinct=True, filter=Q(occurred_at__gte=fortnight)),
                yesterday=Count(
                    "pk",
                    filter=Q(
                        occurred_at__gte=start_of(day.date - ONE_DAY),
                        occurred_at__lt=start_of(day.date),
                    ),
                ),
            )
            .order_by()
            .values_list(
                "participation_id", "last", "recent_days", "before_days", "c14", "yesterday"
            )
        ):
            if pk in ids:
                result[pk] = {
                    "last": last,
                    "recent": recent_days,
                    "before": before_days,
                    "c14": c14,
                    "yesterday": yesterday > 0,
                }
    return result


def read_lateness(rows, policies, day) -> dict[int, dict]:
    """Days late of the obligations met, and days from period end to report of the goal
    reports, in the recent and the earlier period; and the obligations met yesterday, and
    those overdue at its start and met since (two queries)."""
    by_key = {(row.collaboration_id, row.organisation_id): row for row in rows}
    collaboration_ids = {row.collaboration_id for row in rows}
    earliest = min(before for _recent, before in _groups(rows, policies, day))
    values: dict[int, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    met_lately: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    yesterday = day.date - ONE_DAY
    bounds = {row.pk: periods(row, policies[row.collaboration_id], day) for row in rows}

    def add(row, kind: str, on: dt.date, days: int) -> None:
        recent, before = bounds[row.pk]
        if on >= recent:
            values[row.pk][f"{kind}_recent"].append(days)
        elif on >= before:
            values[row.pk][f"{kind}_before"].append(days)

    for collaboration_id, organisation_id, due, met in fetch_rows(
        Obligation.objects.filter(
            collaboration_id__in=collaboration_ids,
            status=Obligation.Status.MET,
            met_at__gte=start_of(earliest),
            met_at__lt=day.end,
            created_at__lt=day.end,
        )
        .annotate(met_on=TruncDate("met_at"))
        .values_list("collaboration_id", "organisation_id", "due_date", "met_on")
    ):
        row = by_key.get((collaboration_id, organisation_id))
        if row is not None:
            add(row, "obligation_late", met, max(0, (met - due).days))
            if met == yesterday:
                met_lately[row.pk]["obligations_met_yesterday"] += 1
            if met >= yesterday and 0 < (yesterday - due).days <= ITEM_DAYS:
                # Overdue at the start of yesterday, met since (the ones still outstanding are
                # the figures' overdue_days).
                met_lately[row.pk]["obligations_overdue_yesterday"] += 1
    for collaboration_id, organisation_id, period_end, reported in fetch_rows(
        # As of `day`: a measurement withdrawn later still counted then (as an Activity does).
        Measurement.all_objects.filter(
            goal__collaboration_id__in=collaboration_ids,
            reported_at__gte=start_of(earliest),
            reported_at__lt=day.end,
        )
        .exclude(withdrawn_at__lt=day.end)
        .annotate(reported_on=TruncDate("reported_at"))
        .values_list(
            "goal__collaboration_id", "reported_by_organisation_id", "period_end", "reported_on"
        )
    ):
        row = by_key.get((collaboration_id, organisation_id))
        if row is not None:
            add(row, "report_delay", reported, max(0, (reported - period_end).days))
    result: dict[int, dict] = {pk: dict(counts) for pk, counts in met_lately.items()}
    for pk, lists in values.items():
        result.setdefault(pk, {}).update(
            {name: sum(days) / len(days) for name, days in lists.items()}
        )
    return result


def read_reports_due(rows, day, goals) -> dict[int, dict]:
    """For each participation, the goal periods whose report was outstanding at the start of
    yesterday, at most ITEM_DAYS after the period's end, and the reports that came in yesterday
    (one query: the reports grouped per goal and organisation; `goals` as
    engagement.reading.read_goals gives them). A goal's periods run on from the end of the
    latest period reported before yesterday, or from the later of the day the goal was set and
    the day the partner joined; the latest report is looked for REPORT_LOOKBACK_DAYS back."""
    if not goals:
        return {}
    yesterday, today = start_of(day.date - ONE_DAY), start_of(day.date)
    reported: dict[tuple[int, int], tuple[dt.date | None, int]] = {}
    for goal_id, organisation_id, last, arrived in fetch_rows(
        Measurement.all_objects.filter(
            goal__collaboration_id__in=list(goals),
            reported_at__gte=start_of(day.date - dt.timedelta(days=REPORT_LOOKBACK_DAYS)),
            reported_at__lt=day.end,
        )
        .exclude(withdrawn_at__lt=day.end)
        .values("goal_id", "reported_by_organisation_id")
        .annotate(
            last=Max("period_end", filter=Q(reported_at__lt=yesterday)),
            arrived=Count(
                "period_end",
                distinct=True,
                filter=Q(reported_at__gte=yesterday, reported_at__lt=today),
            ),
        )
        .order_by()
        .values_list("goal_id", "reported_by_organisation_id", "last", "arrived")
    ):
        reported[(goal_id, organisation_id)] = (last, arrived)
    result = {}
    yesterday_on = (day.date - ONE_DAY).toordinal()
    for row in rows:
        outstanding = arrived_yesterday = 0
        joined = row.joined_on.toordinal()
        for goal_id, period, set_on in goals.get(row.collaboration_id, ()):
            last, arrived = reported.get((goal_id, row.organisation_id), (None, 0))
            anchor = last.toordinal() if last is not None else max(set_on, joined)
            outstanding += periods_outstanding(yesterday_on - anchor, period)
            arrived_yesterday += arrived
        result[row.pk] = {
            "reports_outstanding": outstanding,
            "reports_yesterday": arrived_yesterday,
        }
    return result


def periods_outstanding(days_since_anchor: int, period: int) -> int:
    """Periods ending k * period days after an anchor (k >= 1) that ended before the day, the
    day being `days_since_anchor` after it, and at most ITEM_DAYS before it."""
    latest = (days_since_anchor - 1) // period
    earliest = max(1, -((ITEM_DAYS - days_since_anchor) // period))
    return max(0, latest - earliest + 1)


def read_relationship(rows, day) -> dict[int, dict]:
    """The named contact gone or changed in the last 90 days, only one active contact, and
    other partners of the collaboration withdrawn in the last 90 days (four queries, read
    from the change history as it stood at the end of the day).

    "In the last 90 days" on both counts: the contact named 90 days ago is compared with those
    named since (until December 2026 only the namings of the last 90 days were, so a contact
    named long ago and replaced last week did not count as changed), and a named contact gone
    counts if it was still active 90 days ago (it counted for ever)."""
    since = day.date - dt.timedelta(days=RELATIONSHIP_DAYS)
    since_at = start_of(since)
    # The organisations of the participations in the batch's id range, as a subquery: an IN
    # list of a national batch's 4,000 organisations cost more to build than the query took.
    low, high = id_range(rows)
    organisation_ids = Participation.objects.filter(pk__gte=low, pk__lte=high).values(
        "organisation_id"
    )
    history = Contact.history.model

    def active_at(moment):
        return Subquery(
            history.objects.filter(id=OuterRef("pk"), history_date__lt=moment)
            .order_by("-history_date", "-history_id")
            .values("is_active")[:1]
        )

    active: dict[int, set[int]] = defaultdict(set)
    gone_lately: set[int] = set()
    for organisation_id, pk, was_active, active_before in (
        Contact.objects.filter(organisation_id__in=organisation_ids, created_at__lt=day.end)
        .annotate(active_then=active_at(day.end), active_before=active_at(since_at))
        .order_by()
        .values_list("organisation_id", "pk", "active_then", "active_before")
    ):
        if was_active is not False:
            active[organisation_id].add(pk)
        elif active_before is not False:  # active 90 days ago, or not there yet
            gone_lately.add(pk)
    participation_history = Participation.history.model
    # Each participation's namings, oldest first: the one in force 90 days ago (if it existed
    # then), and those since up to the end of the day.
    before = participation_history.objects.filter(
        id=OuterRef("pk"), history_date__lt=since_at
    ).order_by("-history_date", "-history_id")
    named: dict[int, list[int | None]] = defaultdict(list)
    contacts = {}
    for pk, contact_id, named_before, named_before_at in (
        Participation.objects.filter(pk__gte=low, pk__lte=high)
        .annotate(
            named_before=Subquery(before.values("contact_id")[:1]),
            named_before_at=Subquery(before.values("history_date")[:1]),
        )
        .values_list("pk", "contact_id", "named_before", "named_before_at")
    ):
        contacts[pk] = contact_id
        if named_before_at is not None:
            named[pk].append(named_before)
    for pk, contact_id in (
        participation_history.objects.filter(
            id__gte=low,
            id__lte=high,
            history_date__lt=day.end,
            history_date__gte=since_at,
        )
        .order_by("id", "history_date", "history_id")
        .values_list("id", "contact_id")
    ):
        named[pk].append(contact_id)
    withdrawn: dict[int, list[int]] = defaultdict(list)
    for collaboration_id, pk in Participation.objects.filter(
        collaboration_id__in={row.collaboration_id for row in rows},
        status=Participation.Status.WITHDRAWN,
        left_on__gte=since,
        left_on__lte=day.date,
    ).values_list("collaboration_id", "pk"):
        withdrawn[collaboration_id].append(pk)
    result = {}
    for row in rows:
        contact_id = named[row.pk][-1] if named.get(row.pk) else contacts.get(row.pk)
        changed = len(set(named.get(row.pk, ()))) > 1
        left = contact_id in gone_lately
        result[row.pk] = {
            "contact_left": changed or left,
            "contact_vacant": left,
            "single_contact": len(active[row.organisation_id]) == 1,
            "partners_withdrawn": sum(1 for pk in withdrawn[row.collaboration_id] if pk != row.pk),
        }
    return result
