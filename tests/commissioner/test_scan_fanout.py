"""The daily scan shared by workers (services/fanout.py): planned once into batches, each batch
idempotent and done once, the day finished once and not scanned again, "Scan now" at most once
a day; flags left alone when nothing changed; the portfolio summary the scan writes agrees with
the live figures."""

from __future__ import annotations

import datetime as dt
from urllib.parse import quote

import psycopg2
import pytest
from django.conf import settings
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from agreements.models import Obligation, Participation
from commissioner import tasks
from commissioner.models import CollaborationSummary, EngagementSnapshot, Flag, ScanBatch, ScanRun
from commissioner.selectors import BAND_RANK
from commissioner.services import (
    engagement_scan,
    engagement_scan_batch,
    engagement_scan_fan_out,
    engagement_scan_request,
    scan,
    scan_plan,
)
from tests import factories
from tests.commissioner.conftest import SCAN
from tests.commissioner.test_scan import build_portfolio, slipping, with_meetings
from tests.querycount import query_budget

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("flags_at_once")]


def scan_day(django_capture_on_commit_callbacks, day=SCAN) -> dict:
    """The beat task, tasks run eagerly: the fan-out, every batch, the finishing step."""
    with django_capture_on_commit_callbacks(execute=True):
        return tasks.engagement_scan_task.apply(kwargs={"scan_date": day.isoformat()}).get()


def test_the_day_is_planned_once_into_batches_that_cover_every_id(commissioner):
    build_portfolio(commissioner)  # 6 participations
    run = scan_plan(scan_date=SCAN, batch_size=4)
    batches = list(run.batches.values_list("number", "first_id", "last_id"))
    ids = sorted(Participation.objects.values_list("pk", flat=True))
    assert batches == [(0, 0, ids[4] - 1), (1, ids[4], None)]
    assert scan_plan(scan_date=SCAN, batch_size=2).pk == run.pk  # planned: as it was
    assert ScanBatch.objects.count() == 2


def test_a_killed_batch_is_redone_and_a_finished_one_is_not(
    commissioner, monkeypatch, django_capture_on_commit_callbacks
):
    build_portfolio(commissioner)  # 6 participations
    scan_plan(scan_date=SCAN, batch_size=2)  # 3 batches
    real_handle_flags = scan._handle_flags

    def die_in_batch_one(day, watches, *args, **kwargs):
        if min(watches) >= ScanBatch.objects.get(number=1).first_id and max(watches) <= (
            ScanBatch.objects.get(number=1).last_id
        ):
            raise RuntimeError("worker killed")
        return real_handle_flags(day, watches, *args, **kwargs)

    monkeypatch.setattr(scan, "_handle_flags", die_in_batch_one)
    assert engagement_scan_batch(scan_date=SCAN, number=0).participations_scored == 2
    with pytest.raises(RuntimeError, match="worker killed"):
        engagement_scan_batch(scan_date=SCAN, number=1)
    # Batch 1 left nothing: no snapshot of its partners, not marked finished.
    assert EngagementSnapshot.objects.count() == 2
    assert list(ScanBatch.objects.filter(finished_at__isnull=False).values_list("number")) == [(0,)]
    first = dict(EngagementSnapshot.objects.values_list("participation_id", "computed_at"))
    monkeypatch.setattr(scan, "_handle_flags", real_handle_flags)

    # The day again (beat's hourly check, a redelivery): batches 1 and 2 only.
    result = scan_day(django_capture_on_commit_callbacks)
    assert result["queued"] == 2
    assert EngagementSnapshot.objects.count() == 6
    # Batch 0 was not redone: its snapshots are the ones it wrote.
    assert {
        pk: at
        for pk, at in EngagementSnapshot.objects.values_list("participation_id", "computed_at")
        if pk in first
    } == first
    run = ScanRun.objects.get()
    assert run.finished_at is not None
    assert (run.figures["participations_scored"], run.figures["batches"]) == (6, 3)
    assert run.figures["flags_raised"] == 4
    assert len(mail.outbox) == 1  # the digest, once


def test_a_finished_day_is_not_scanned_again(commissioner, django_capture_on_commit_callbacks):
    build_portfolio(commissioner)
    scan_day(django_capture_on_commit_callbacks)
    snapshots = list(EngagementSnapshot.objects.values_list("pk", "computed_at"))
    flags = list(Flag.objects.values_list("pk", "score", "reason_codes", "notified_at"))
    with query_budget("commissioner.engagement_scan_rerun") as captured:
        result = scan_day(django_capture_on_commit_callbacks)
    assert result == {"scan_date": SCAN.isoformat(), "finished": True, "queued": 0}
    # One read, no write.
    assert not [q for q in captured.captured_queries if not q["sql"].startswith("SELECT")]
    assert list(EngagementSnapshot.objects.values_list("pk", "computed_at")) == snapshots
    assert list(Flag.objects.values_list("pk", "score", "reason_codes", "notified_at")) == flags


def test_scan_now_queues_at_most_one_scan_a_day(
    commissioner, collaboration, django_capture_on_commit_callbacks
):
    factories.ParticipationFactory(collaboration=collaboration)
    other = factories.UserFactory(role="commissioner")
    # Queued, not yet run (its task waits for the commit): a second press, by anyone, is told.
    status, run = engagement_scan_request(actor=commissioner)
    assert status == "queued"
    assert engagement_scan_request(actor=other) == ("running", run)
    assert ScanRun.objects.count() == 1
    # Run, then finished: a third press queues nothing either.
    engagement_scan_fan_out(scan_date=run.scan_date)
    with django_capture_on_commit_callbacks(execute=True):
        engagement_scan_fan_out(scan_date=run.scan_date)
    assert engagement_scan_request(actor=commissioner)[0] == "finished"
    assert EngagementSnapshot.objects.filter(scan_date=run.scan_date).count() == 1


def test_the_scan_now_page_says_a_scan_is_running(commissioner_client, collaboration, commissioner):
    factories.ParticipationFactory(collaboration=collaboration)
    # Queued by someone else and not run yet (no commit in a test transaction).
    engagement_scan_request(actor=factories.UserFactory(role="commissioner"))
    response = commissioner_client.post(reverse("commissioner:scan_now"), follow=True)
    assert "already running" in response.content.decode()
    assert ScanRun.objects.count() == 1
    assert not EngagementSnapshot.objects.exists()


def test_open_flags_are_left_alone_when_nothing_changed(commissioner):
    collaboration = with_meetings(factories.CollaborationFactory(commissioner=commissioner))
    person = slipping(collaboration, name="slipper")
    engagement_scan(scan_date=SCAN)
    flag = Flag.objects.get(participation=person)
    stored = flag.reason_codes
    # The day count is stored as the date it counts from.
    recency = next(r for r in stored if r["code"] == "recency")
    assert recency["figures"] == {"since": (SCAN - dt.timedelta(days=45)).isoformat()}

    result = engagement_scan(scan_date=SCAN + dt.timedelta(days=1))
    assert (result.flags_updated, result.flags_raised) == (0, 0)
    flag.refresh_from_db()
    assert flag.reason_codes == stored
    # Shown, the count is as of the day it is read.
    assert "no activity in 45 days" in flag.reasons_as_of(SCAN)
    assert "no activity in 46 days" in flag.reasons_as_of(SCAN + dt.timedelta(days=1))


def test_reasons_keep_the_api_field_shape(commissioner, client):
    collaboration = with_meetings(factories.CollaborationFactory(commissioner=commissioner))
    slipping(collaboration, name="slipper")
    engagement_scan(scan_date=SCAN)
    client.force_login(commissioner)
    body = client.get("/api/v1/flags/").json()
    reasons = body["results"][0]["reasons"]
    assert reasons and all(isinstance(reason, str) for reason in reasons)


def live_figures(collaboration_ids) -> dict:
    """Each collaboration's figures computed from the live tables, row by row (the slow way the
    portfolio used to take)."""
    figures = {}
    for pk in collaboration_ids:
        active = Participation.objects.filter(collaboration_id=pk, status="active")
        latest = EngagementSnapshot.objects.filter(participation__in=active, scan_date=SCAN)
        figures[pk] = (
            max((BAND_RANK[s.band] for s in latest), default=0),
            min((s.score for s in latest), default=None),
            Flag.objects.filter(participation__in=active, status__in=Flag.OPEN_STATUSES).count(),
            min(
                Obligation.objects.filter(collaboration_id=pk, status="pending").values_list(
                    "due_date", flat=True
                ),
                default=None,
            ),
            active.count(),
            {state: sum(1 for s in latest if s.state == state) for state in ("engaged",)},
        )
    return figures


def test_the_summary_agrees_with_the_live_figures(commissioner):
    build_portfolio(commissioner, copies=2)
    factories.ObligationFactory(
        collaboration=factories.CollaborationFactory(commissioner=commissioner),
        due_date=SCAN + dt.timedelta(days=5),
    )
    withdrawn = Participation.objects.filter(organisation__name__startswith="slipping").first()
    engagement_scan(scan_date=SCAN)
    withdrawn.status = "withdrawn"
    withdrawn.save()
    engagement_scan(scan_date=SCAN)  # the same day again, after the withdrawal
    summaries = {
        s.collaboration_id: (
            s.worst_rank,
            s.lowest_score,
            s.open_flags,
            s.next_deadline,
            s.partner_count,
            {"engaged": s.engaged},
        )
        for s in CollaborationSummary.objects.all()
    }
    assert summaries == live_figures(summaries)
    assert len(summaries) == 3
    assert all(s.scan_date == SCAN for s in CollaborationSummary.objects.all())


@pytest.mark.django_db(transaction=True)
def test_two_workers_on_one_batch_score_it_once(commissioner):
    """A second worker given a batch another one is scoring finds it locked and skips it."""
    if connection.vendor != "postgresql":
        pytest.skip("row locks are PostgreSQL's")
    build_portfolio(commissioner)
    scan_plan(scan_date=SCAN, batch_size=100)
    database = settings.DATABASES["default"]
    other = psycopg2.connect(
        dbname=database["NAME"],
        user=database["USER"],
        password=quote(database.get("PASSWORD") or ""),
        host=database["HOST"] or "127.0.0.1",
        port=database["PORT"] or 5432,
    )
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT id FROM commissioner_scanbatch FOR UPDATE")
            assert engagement_scan_batch(scan_date=SCAN, number=0) is None
        other.rollback()
        assert not EngagementSnapshot.objects.exists()
        assert engagement_scan_batch(scan_date=SCAN, number=0).participations_scored == 6
        assert engagement_scan_batch(scan_date=SCAN, number=0) is None  # finished: not redone
    finally:
        other.close()


def test_refreshing_open_flags_costs_no_query_per_flag(commissioner):
    """Flags read with every field the refresh writes: a deferred one cost a query per flag."""

    def rescan_queries() -> tuple[int, int]:
        engagement_scan(scan_date=SCAN)
        Flag.objects.update(reason_codes=["stale"])
        with CaptureQueriesContext(connection) as captured:
            result = engagement_scan(scan_date=SCAN)
        return result.flags_updated, len(captured)

    build_portfolio(commissioner, prefix="a")
    few, cost_few = rescan_queries()
    build_portfolio(commissioner, prefix="b", copies=3)
    many, cost_many = rescan_queries()
    assert (few, many) == (4, 16)
    assert cost_many == cost_few


@pytest.mark.django_db(transaction=True)
def test_batches_of_one_day_run_side_by_side(commissioner):
    """Two workers on two batches of the same day: one holding its batch (and, as a join would
    lock it, the day's row) does not make the other skip its own."""
    if connection.vendor != "postgresql":
        pytest.skip("row locks are PostgreSQL's")
    build_portfolio(commissioner)
    scan_plan(scan_date=SCAN, batch_size=3)  # two batches
    database = settings.DATABASES["default"]
    other = psycopg2.connect(
        dbname=database["NAME"],
        user=database["USER"],
        password=quote(database.get("PASSWORD") or ""),
        host=database["HOST"] or "127.0.0.1",
        port=database["PORT"] or 5432,
    )
    try:
        with other.cursor() as cursor:
            cursor.execute(
                "SELECT 1 FROM commissioner_scanbatch b JOIN commissioner_scanrun r "
                "ON r.id = b.run_id WHERE b.number = 0 FOR UPDATE"
            )
            assert engagement_scan_batch(scan_date=SCAN, number=1).participations_scored == 3
        other.rollback()
    finally:
        other.close()
