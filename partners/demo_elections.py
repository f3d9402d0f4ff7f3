"""Demo jurisdictions with real Canadian election dates (`manage.py seed_demo`, idempotent):
Ontario's municipal councils (they vote on one day: 2026-10-26), Ontario, and Canada, with past
polling days and the next fixed dates the election laws set. The demo's governments take part in
them by kind: municipalities and regional governments in all three, provincial bodies and crown
corporations in the provincial and federal ones, federal bodies and First Nations in the federal
one. (The demo's organisations are fictional; the calendar is Ontario's.)"""

import datetime as dt

from django.utils.text import slugify

from .demo import ORGANISATIONS
from .models import ElectionDate, Jurisdiction, Organisation

K = Organisation.Kind
J = Jurisdiction.Kind
GENERAL = "General election"

JURISDICTIONS = [
    (
        "Ontario municipalities",
        J.MUNICIPAL,
        4,
        # Fourth Monday of October every four years (Municipal Elections Act, 1996).
        [
            (dt.date(2018, 10, 22), GENERAL),
            (dt.date(2022, 10, 24), GENERAL),
            (dt.date(2026, 10, 26), GENERAL),
            (dt.date(2030, 10, 28), "Scheduled general election"),
        ],
    ),
    (
        "Ontario",
        J.PROVINCIAL,
        4,
        [
            (dt.date(2018, 6, 7), GENERAL),
            (dt.date(2022, 6, 2), GENERAL),
            (dt.date(2025, 2, 27), "Early general election"),
            (dt.date(2029, 6, 7), "Scheduled general election (fixed date)"),
        ],
    ),
    (
        "Canada",
        J.FEDERAL,
        4,
        [
            (dt.date(2019, 10, 21), GENERAL),
            (dt.date(2021, 9, 20), GENERAL),
            (dt.date(2025, 4, 28), GENERAL),
            (dt.date(2029, 10, 15), "Scheduled general election (fixed date)"),
        ],
    ),
]

# Which jurisdictions each kind of demo organisation takes part in.
LEVELS = {
    K.MUNICIPALITY: ("municipal", "provincial", "federal"),
    K.REGIONAL_GOVERNMENT: ("municipal", "provincial", "federal"),
    K.PROVINCE: ("provincial", "federal"),
    K.PUBLIC_BODY: ("provincial", "federal"),
    K.FEDERAL: ("federal",),
    K.FIRST_NATION: ("federal",),
}


def seed() -> str:
    created = 0
    by_kind: dict[str, Jurisdiction] = {}
    for name, kind, cycle, elections in JURISDICTIONS:
        jurisdiction, was_created = Jurisdiction.objects.get_or_create(
            name=name, kind=kind, defaults={"cycle_years": cycle}
        )
        created += was_created
        by_kind[kind] = jurisdiction
        for day, description in elections:
            ElectionDate.objects.get_or_create(
                jurisdiction=jurisdiction, date=day, defaults={"description": description}
            )
    linked = 0
    demo_slugs = [slugify(short or name) for name, short, *_rest in ORGANISATIONS]
    for kind, levels in LEVELS.items():
        for level in levels:
            linked += Organisation.objects.filter(
                slug__in=demo_slugs, kind=kind, **{f"{level}_jurisdiction__isnull": True}
            ).update(**{f"{level}_jurisdiction": by_kind[level]})
    return f"{created} jurisdictions created, {linked} organisation links set"
