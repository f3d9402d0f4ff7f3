"""Election cycles of the organisations' jurisdictions ("do not force projects onto election-cycle
timelines"): which polling days fall near a date, and each jurisdiction's electoral cycle.

An organisation points to up to three jurisdictions (municipal, provincial or territorial,
federal); each has its election dates, kept by administrators. A partner's *election period* is
ELECTION_PERIOD_DAYS_BEFORE days before to ELECTION_PERIOD_DAYS_AFTER days after a polling day of
one of its jurisdictions: decisions wait, councils and ministers change. Reads only; one query
for the elections of any number of organisations."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings

from .models import ElectionDate, Jurisdiction, Organisation

JURISDICTION_FIELDS = ("municipal_jurisdiction", "provincial_jurisdiction", "federal_jurisdiction")


def election_period_days() -> tuple[int, int]:
    """(days before, days after) a polling day that make up the election period."""
    return (
        max(0, int(settings.ELECTION_PERIOD_DAYS_BEFORE)),
        max(0, int(settings.ELECTION_PERIOD_DAYS_AFTER)),
    )


@dataclass(frozen=True)
class Election:
    jurisdiction: Jurisdiction
    date: dt.date
    description: str
    # The names of the organisations (of those asked about) in this jurisdiction.
    organisations: tuple[str, ...]
    period_start: dt.date
    period_end: dt.date

    def covers(self, day: dt.date) -> bool:
        return self.period_start <= day <= self.period_end


def jurisdictions_of(organisations: Iterable[Organisation]) -> dict[int, tuple[Jurisdiction, list]]:
    """{jurisdiction id: (jurisdiction, [organisation names])} of `organisations`, read from the
    jurisdictions already joined to them (select_related(*JURISDICTION_FIELDS)): no query."""
    found: dict[int, tuple[Jurisdiction, list]] = {}
    for organisation in organisations:
        for field in JURISDICTION_FIELDS:
            jurisdiction = getattr(organisation, field)
            if jurisdiction is None:
                continue
            _jurisdiction, names = found.setdefault(jurisdiction.pk, (jurisdiction, []))
            if organisation.name not in names:
                names.append(organisation.name)
    return found


def elections_between(
    jurisdictions: dict[int, tuple[Jurisdiction, list]], start: dt.date, end: dt.date
) -> list[Election]:
    """The polling days of `jurisdictions` whose election period meets [start, end], oldest
    first. One query (none when there is no jurisdiction)."""
    if not jurisdictions:
        return []
    before, after = election_period_days()
    rows = ElectionDate.objects.filter(
        jurisdiction_id__in=list(jurisdictions),
        date__gte=start - dt.timedelta(days=after),
        date__lte=end + dt.timedelta(days=before),
    ).order_by("date", "jurisdiction_id")
    elections = []
    for row in rows:
        jurisdiction, names = jurisdictions[row.jurisdiction_id]
        elections.append(
            Election(
                jurisdiction=jurisdiction,
                date=row.date,
                description=row.description,
                organisations=tuple(sorted(names)),
                period_start=row.date - dt.timedelta(days=before),
                period_end=row.date + dt.timedelta(days=after),
            )
        )
    return elections


def elections_covering(day: dt.date, elections: Iterable[Election]) -> list[Election]:
    return [election for election in elections if election.covers(day)]


def shortest_cycle(
    jurisdictions: dict[int, tuple[Jurisdiction, list]],
) -> tuple[Jurisdiction, list] | None:
    """The jurisdiction (with its organisations' names) whose electoral cycle is shortest; of
    equal cycles, the one with the most of the organisations, then the most local."""
    if not jurisdictions:
        return None
    levels = list(Jurisdiction.Kind.values)
    return min(
        jurisdictions.values(),
        key=lambda item: (
            item[0].cycle_years,
            -len(item[1]),
            levels.index(item[0].kind) if item[0].kind in levels else len(levels),
            item[0].name,
        ),
    )
