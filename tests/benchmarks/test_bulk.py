"""core.bulk: the upsert and the update by primary key the engagement scan writes with, and
COPY's text format."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from commissioner.models import EngagementSnapshot, Flag
from core.bulk import Row, copy_text, fetch_rows, update_by_pk, upsert
from tests import factories

pytestmark = pytest.mark.django_db

COPY = pytest.param(
    "copy",
    marks=pytest.mark.skipif(
        connection.vendor != "postgresql", reason="COPY is PostgreSQL's (CI runs it there)"
    ),
)
METHODS = [
    "values",
    pytest.param(
        "copy",
        marks=pytest.mark.skipif(
            connection.vendor != "postgresql", reason="COPY is PostgreSQL's (CI runs it there)"
        ),
    ),
]
FIELDS = ["score", "band", "attendance_rate", "components", "reason_codes"]


def row(participation, day, score, *, reasons=("missed 2 of 3 meetings\twith a tab",)):
    # The upsert applies no model defaults: every column is given, as the scan does.
    defaults = {
        field.attname: field.get_default()
        for field in EngagementSnapshot._meta.concrete_fields
        if not field.primary_key
    }
    return {
        **defaults,
        "participation_id": participation.pk,
        "scan_date": day,
        "score": score,
        "band": "engaged" if score >= 70 else "at_risk",
        "attendance_rate": Decimal("0.6667"),
        "components": {"attendance": {"value": 0.6667, "weight": 30}},
        "reason_codes": list(reasons),
        "computed_at": timezone.now(),
    }


@pytest.mark.parametrize("method", METHODS)
def test_upsert_inserts_updates_and_leaves_unchanged_rows_alone(method):
    first, second = factories.ParticipationFactory(), factories.ParticipationFactory()
    day = dt.date(2026, 11, 30)

    def write(rows):
        return upsert(
            EngagementSnapshot,
            rows,
            conflict=["participation_id", "scan_date"],
            update=[*FIELDS, "computed_at"],
            compare=FIELDS,
            method=method,
        )

    assert write([row(first, day, 80), row(second, day, 50)]) == 2
    stored = EngagementSnapshot.objects.get(participation=first, scan_date=day)
    # What the ORM reads back is what was written, types included.
    assert (stored.score, stored.band, stored.attendance_rate) == (80, "engaged", Decimal("0.6667"))
    assert stored.components == {"attendance": {"value": 0.6667, "weight": 30}}
    assert stored.reasons == ["missed 2 of 3 meetings\twith a tab"]

    # The same figures again: nothing is written, not even the computation time.
    computed_at = stored.computed_at
    assert write([row(first, day, 80), row(second, day, 50)]) == 0
    stored.refresh_from_db()
    assert stored.computed_at == computed_at

    # One changed row is updated in place; the other stays as it was.
    assert (
        write([row(first, day, 60, reasons=["no activity in 40 days"]), row(second, day, 50)]) == 1
    )
    stored.refresh_from_db()
    assert (stored.score, stored.band, stored.reasons) == (
        60,
        "at_risk",
        ["no activity in 40 days"],
    )
    assert EngagementSnapshot.objects.count() == 2


@pytest.mark.parametrize("method", METHODS)
def test_rows_sharing_their_values_are_written_each_with_its_own(method):
    """The scan's shape: partners with equal figures hand the upsert one shared dict."""
    first, second, third = (factories.ParticipationFactory() for _ in range(3))
    day = dt.date(2026, 11, 30)
    shared_low = {key: value for key, value in row(first, day, 40).items() if key in FIELDS}
    shared_high = {key: value for key, value in row(first, day, 90).items() if key in FIELDS}
    rest = {
        key: value
        for key, value in row(first, day, 40).items()
        if key not in FIELDS and key != "participation_id"
    }
    written = upsert(
        EngagementSnapshot,
        [
            Row({"participation_id": first.pk, **rest}, shared_low),
            Row({"participation_id": second.pk, **rest}, shared_high),
            Row({"participation_id": third.pk, **rest}, shared_low),
        ],
        conflict=["participation_id", "scan_date"],
        update=[*FIELDS, "computed_at"],
        compare=FIELDS,
        method=method,
    )
    assert written == 3
    stored = {
        snapshot.participation_id: (snapshot.score, snapshot.band, snapshot.reasons)
        for snapshot in EngagementSnapshot.objects.filter(scan_date=day)
    }
    reasons = ["missed 2 of 3 meetings\twith a tab"]
    assert stored == {
        first.pk: (40, "at_risk", reasons),
        second.pk: (90, "engaged", reasons),
        third.pk: (40, "at_risk", reasons),
    }


@pytest.mark.parametrize("method", ["rows", COPY])
def test_update_by_pk_writes_the_named_fields_of_each_object_and_nothing_else(method):
    """The scan's flag refresh: each flag's own values (JSON with a tab, a date, a cleared
    timestamp), the fields not named left as stored, other rows untouched."""
    first, second, untouched = (factories.FlagFactory(score=50) for _ in range(3))
    first.notified_at = timezone.now()
    first.save(update_fields=["notified_at"])
    first.score, first.reason_codes, first.notified_at = 30, [{"code": "a\tb"}], None
    first.band = "disengaged"  # changed in memory, not named: not written
    second.status, second.closed_on, second.score = (
        Flag.Status.AUTO_CLOSED,
        dt.date(2026, 12, 1),
        80,
    )
    written = update_by_pk(
        Flag,
        [first, second],
        ["score", "reason_codes", "notified_at", "status", "closed_on"],
        method=method,
    )
    assert written == 2
    stored = {
        flag.pk: (
            flag.score,
            flag.reason_codes,
            flag.notified_at,
            flag.status,
            flag.closed_on,
            flag.band,
        )
        for flag in Flag.objects.all()
    }
    assert stored == {
        first.pk: (30, [{"code": "a\tb"}], None, Flag.Status.OPEN, None, "at_risk"),
        second.pk: (
            80,
            untouched.reason_codes,
            None,
            Flag.Status.AUTO_CLOSED,
            dt.date(2026, 12, 1),
            "at_risk",
        ),
        untouched.pk: (50, untouched.reason_codes, None, Flag.Status.OPEN, None, "at_risk"),
    }
    assert update_by_pk(Flag, [], ["score"], method=method) == 0


def test_upsert_of_nothing_writes_nothing():
    assert upsert(EngagementSnapshot, [], conflict=["id"], update=["score"]) == 0


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, r"\N"),
        (True, "t"),
        (False, "f"),
        (dt.date(2026, 12, 1), "2026-12-01"),
        ("tab\there", r"tab\there"),
        ("line\nbreak\r", r"line\nbreak\r"),
        ("back\\slash", "back\\\\slash"),
        ({"a": [1, "x"]}, '{"a": [1, "x"]}'),
        (Decimal("1.50"), "1.50"),
    ],
)
def test_copy_text_escapes_what_copy_would_misread(value, text):
    assert copy_text(value) == text


@pytest.mark.parametrize("size", [1, 7, 64, 1 << 20, -1])
def test_the_line_reader_hands_copy_every_line_whatever_it_asks_for(size):
    """COPY reads the rows in pieces of the size it asks for: put back together they are the
    lines, in order, each exactly once, and an empty read says the end is reached."""
    from core.bulk import LineReader

    lines = [f"{number}\tsnapshot {'x' * (number % 13)}\n" for number in range(500)]
    reader = LineReader(iter(lines))
    pieces = []
    while piece := reader.read(size):
        assert size < 0 or len(piece) <= size
        pieces.append(piece)
    assert "".join(pieces) == "".join(lines)
    assert reader.read(size) == ""


def test_fetch_rows_gives_the_rows_the_queryset_gives():
    """Straight from the driver on PostgreSQL, through the ORM elsewhere: the same tuples, in
    the order asked for, whatever the mix of columns, annotations and truncated dates — and no
    rows (not an error) for a filter that can match nothing."""
    from django.db.models import Count, Max
    from django.db.models.functions import TruncDate

    from commissioner.models import Activity

    participation = factories.ParticipationFactory()
    for hours in (1, 30, 31):
        factories.ActivityFactory(
            participation=participation,
            occurred_at=timezone.now() - dt.timedelta(hours=hours),
        )
    activities = Activity.objects.filter(participation=participation)
    querysets = [
        activities.values_list("participation_id", "kind").order_by("pk"),
        # Annotations before a plain column: the ORM reorders, fetch_rows must not mix them up.
        activities.values("participation_id")
        .annotate(days=Count(TruncDate("occurred_at"), distinct=True), last=Max("occurred_at"))
        .values_list("last", "participation_id", "days"),
        activities.annotate(on=TruncDate("occurred_at")).values_list("on", "pk").order_by("pk"),
        activities.filter(pk__in=[]).values_list("pk"),
    ]
    for queryset in querysets:
        assert fetch_rows(queryset) == [tuple(r) for r in queryset]
    assert len(fetch_rows(querysets[0])) == 3
    assert fetch_rows(querysets[1])[0][1] == participation.pk
