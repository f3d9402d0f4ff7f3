"""A collaboration's timeline, on a long horizon: its start and planned end, its agreements'
effective, renewal-notice and expiry dates, its goals' target dates, and the elections of every
partner's jurisdictions (partners/elections.py) — with warnings when a goal target, a renewal or
the planned end falls in a partner's election period, and when the collaboration's horizon is
shorter than one electoral cycle of a partner's jurisdiction.

Four queries, whatever the number of partners, goals, agreements and elections: participations
(with their organisations and jurisdictions), agreements, goals, election dates."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from partners.elections import (
    JURISDICTION_FIELDS,
    Election,
    election_period_days,
    elections_between,
    elections_covering,
    jurisdictions_of,
    shortest_cycle,
)

from .models import Agreement, Collaboration, Participation

CLOSED = {Collaboration.Status.CONCLUDED, Collaboration.Status.DISSOLVED}


@dataclass
class Event:
    date: dt.date
    kind: str  # start, planned_end, effective, renewal_notice, expiry, target, election, today
    label: str
    # Dates a partner's election period puts at risk (goal targets, renewals, the planned end).
    checked: bool = False
    elections: list[Election] = field(default_factory=list)
    election: Election | None = None


@dataclass
class Timeline:
    events: list[Event]
    warnings: list[str]
    elections: list[Election]
    period_before: int
    period_after: int
    horizon_days: int | None


def _years(days: int) -> str:
    years, rest = divmod(days, 365)
    months = rest // 30
    if years and months:
        return _("%(years)s and %(months)s") % {
            "years": ngettext("%(n)d year", "%(n)d years", years) % {"n": years},
            "months": ngettext("%(n)d month", "%(n)d months", months) % {"n": months},
        }
    if years:
        return ngettext("%(n)d year", "%(n)d years", years) % {"n": years}
    return ngettext("%(n)d month", "%(n)d months", max(months, 0)) % {"n": max(months, 0)}


def _names(election: Election) -> str:
    return ", ".join(election.organisations)


def collaboration_timeline(collaboration: Collaboration, *, today: dt.date | None = None):
    today = today or timezone.localdate()
    participations = (
        Participation.objects.filter(collaboration=collaboration)
        .exclude(status=Participation.Status.WITHDRAWN)
        .select_related(*(f"organisation__{name}" for name in JURISDICTION_FIELDS))
    )
    jurisdictions = jurisdictions_of(p.organisation for p in participations)

    events: list[Event] = []
    if collaboration.start_date:
        events.append(Event(collaboration.start_date, "start", _("The collaboration starts")))
    if collaboration.planned_end_date:
        events.append(
            Event(
                collaboration.planned_end_date,
                "planned_end",
                _("The planned end"),
                checked=True,
            )
        )
    agreements = collaboration.agreements.exclude(
        status__in=[Agreement.Status.EXPIRED, Agreement.Status.TERMINATED]
    ).only("title", "effective_date", "expiry_date", "renewal_notice_days", "collaboration_id")
    for agreement in agreements:
        title = agreement.title
        if agreement.effective_date:
            events.append(
                Event(
                    agreement.effective_date,
                    "effective",
                    _("“%(title)s” takes effect") % {"title": title},
                )
            )
        if agreement.expiry_date:
            notice = agreement.expiry_date - dt.timedelta(days=agreement.renewal_notice_days)
            events.append(
                Event(
                    notice,
                    "renewal_notice",
                    _("Renewal notice for “%(title)s” (%(days)s days before it expires)")
                    % {"title": title, "days": agreement.renewal_notice_days},
                    checked=True,
                )
            )
            events.append(
                Event(
                    agreement.expiry_date,
                    "expiry",
                    _("Expiry of “%(title)s”, unless renewed") % {"title": title},
                    checked=True,
                )
            )
    for goal in collaboration.goals.filter(target_date__isnull=False).only(
        "title", "target_date", "collaboration_id"
    ):
        events.append(
            Event(
                goal.target_date,
                "target",
                _("Target date of the goal “%(title)s”") % {"title": goal.title},
                checked=True,
            )
        )

    days = [event.date for event in events] + [today]
    elections = elections_between(jurisdictions, min(days), max(days))
    before, after = election_period_days()
    warnings: list[str] = []
    closed = collaboration.status in CLOSED
    for event in events:
        if not event.checked:
            continue
        event.elections = elections_covering(event.date, elections)
        if closed or event.date < today:
            continue  # history: nothing left to decide
        for election in event.elections:
            warnings.append(
                _(
                    "%(what)s (%(date)s) falls in the election period of %(jurisdiction)s: "
                    "polling day %(polling)s, affecting %(names)s."
                )
                % {
                    "what": event.label,
                    "date": event.date.isoformat(),
                    "jurisdiction": election.jurisdiction.name,
                    "polling": election.date.isoformat(),
                    "names": _names(election),
                }
            )
    for election in elections:
        events.append(
            Event(
                election.date,
                "election",
                _("%(jurisdiction)s election%(description)s")
                % {
                    "jurisdiction": election.jurisdiction.name,
                    "description": f" ({election.description})" if election.description else "",
                },
                election=election,
            )
        )

    horizon_days = None
    begin = collaboration.start_date or timezone.localdate(collaboration.created_at)
    if collaboration.planned_end_date:
        horizon_days = (collaboration.planned_end_date - begin).days
        shortest = shortest_cycle(jurisdictions)
        if shortest and not closed and horizon_days < shortest[0].cycle_years * 365:
            jurisdiction, names = shortest
            warnings.append(
                _(
                    "The collaboration runs %(horizon)s (%(start)s to %(end)s), less than one "
                    "electoral cycle of %(jurisdiction)s (%(cycle)s, affecting %(names)s): "
                    "plan for it to outlast the people who agreed to it, not to end with them."
                )
                % {
                    "horizon": _years(horizon_days),
                    "start": begin.isoformat(),
                    "end": collaboration.planned_end_date.isoformat(),
                    "jurisdiction": jurisdiction.name,
                    "cycle": ngettext("%(n)d year", "%(n)d years", jurisdiction.cycle_years)
                    % {"n": jurisdiction.cycle_years},
                    "names": ", ".join(sorted(names)),
                }
            )
    order = {"start": 0, "election": 1}
    events.sort(key=lambda event: (event.date, order.get(event.kind, 2), event.label))
    return Timeline(
        events=events,
        warnings=warnings,
        elections=elections,
        period_before=before,
        period_after=after,
        horizon_days=horizon_days,
    )
