"""The engagement scan as a whole: idempotent, safe to interrupt, set-based, and what it does to
flags and the commissioners' digests."""

from __future__ import annotations

import datetime as dt
import gc
import os
import signal
import subprocess
import sys
import time
from io import StringIO
from urllib.parse import quote

import psycopg2
import pytest
from django.conf import settings
from django.core import mail
from django.core.management import CommandError, call_command
from django.db import connection
from django.forms.models import model_to_dict
from django.utils import timezone

from agreements.models import Collaboration, Obligation, Participation
from commissioner import services
from commissioner.models import Attendance, EngagementSnapshot, Flag
from commissioner.services import engagement_scan, flag_resolve, notices, scan
from tests import factories
from tests.commissioner.conftest import SCAN, at, days_before, partner
from tests.commissioner.mailbackends import RefusingBackend
from tests.querycount import query_budget

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("flags_at_once")]

NEXT_DAY = SCAN + dt.timedelta(days=1)


def drifting(collaboration, *, name: str) -> Participation:
    """Absent from the collaboration's three meetings, an obligation 70 days overdue, silent for
    100 days: 100 - 30 - 25 - 20 = 25, disengaged."""
    participation = partner(
        collaboration,
        active_on_scan_day=False,
        organisation=factories.OrganisationFactory(name=name),
    )
    factories.ActivityFactory(participation=participation, occurred_at=days_before(100))
    factories.ObligationFactory(
        collaboration=collaboration,
        organisation=participation.organisation,
        due_date=SCAN - dt.timedelta(days=70),
    )
    for meeting in collaboration.meetings.all():
        factories.AttendanceFactory(
            meeting=meeting, participation=participation, status=Attendance.Status.ABSENT
        )
    return participation


def slipping(collaboration, *, name: str) -> Participation:
    """Came to one meeting of three (recorded absent from the others) and quiet for 45 days:
    attendance 1/3 loses 30 x 2/3 = 20,
    recency 1 - 45/60 loses 20 x 3/4 = 15: 65, at risk."""
    participation = partner(
        collaboration,
        active_on_scan_day=False,
        organisation=factories.OrganisationFactory(name=name),
    )
    factories.ActivityFactory(participation=participation, occurred_at=days_before(45))
    meetings = list(collaboration.meetings.order_by("held_at"))
    factories.AttendanceFactory(meeting=meetings[0], participation=participation)
    for meeting in meetings[1:]:
        factories.AttendanceFactory(
            meeting=meeting, participation=participation, status=Attendance.Status.ABSENT
        )
    return participation


def engaged(collaboration, *, name: str) -> Participation:
    participation = partner(collaboration, organisation=factories.OrganisationFactory(name=name))
    for meeting in collaboration.meetings.all():
        factories.AttendanceFactory(meeting=meeting, participation=participation)
    return participation


def with_meetings(collaboration):
    for days in (70, 40, 10):
        factories.MeetingFactory(collaboration=collaboration, held_at=days_before(days))
    return collaboration


def build_portfolio(commissioner, *, prefix: str = "", copies: int = 1) -> dict:
    """Two collaborations of one commissioner; in each `copies` partners of each kind."""
    people = {}
    for index in range(2):
        collaboration = with_meetings(
            factories.CollaborationFactory(commissioner=commissioner, title=f"{prefix}C{index}")
        )
        for copy in range(copies):
            for kind, make in (("drifting", drifting), ("slipping", slipping), ("ok", engaged)):
                name = f"{prefix}{kind}-{index}-{copy}"
                people[name] = make(collaboration, name=name)
    return people


def state() -> dict:
    """Everything the scan leaves behind, keyed by organisation name (not by id), so that two
    runs on identical data can be compared."""
    snapshots = {
        (s.participation.organisation.name, s.scan_date): model_to_dict(
            s, exclude=["id", "participation", "computed_at"]
        )
        for s in EngagementSnapshot.objects.select_related("participation__organisation")
    }
    flags = {
        (f.participation.organisation.name, f.raised_on): (
            f.band,
            f.score,
            tuple(f.reasons),
            f.status,
            f.notified_at is not None,
        )
        for f in Flag.objects.select_related("participation__organisation")
    }
    return {"snapshots": snapshots, "flags": flags}


def test_the_scan_scores_flags_and_sends_one_digest(
    commissioner, django_capture_on_commit_callbacks
):
    people = build_portfolio(commissioner)
    with django_capture_on_commit_callbacks(execute=True):
        result = engagement_scan(scan_date=SCAN)
    assert result.participations_scored == 6
    assert (result.flags_raised, result.flags_auto_closed, result.digests_sent) == (4, 0, 1)
    bands = dict(
        EngagementSnapshot.objects.values_list("participation__organisation__name", "band")
    )
    assert bands == {
        name: {"drifting": "disengaged", "slipping": "at_risk", "ok": "engaged"}[name.split("-")[0]]
        for name in people
    }
    assert EngagementSnapshot.objects.get(participation=people["drifting-0-0"]).score == 25
    assert EngagementSnapshot.objects.get(participation=people["slipping-0-0"]).score == 65
    flag = Flag.objects.get(participation=people["drifting-0-0"])
    assert (flag.status, flag.band, flag.raised_on) == ("open", "disengaged", SCAN)
    # Day counts are rendered as of a date (an open flag's as of today when shown).
    assert flag.reasons_as_of(SCAN) == [
        "missed 3 of the last 3 meetings",
        "1 obligation overdue by 70 days",
        "no activity in 100 days",
    ]
    assert len(mail.outbox) == 1
    digest = mail.outbox[0]
    assert digest.to == [commissioner.email]
    assert digest.subject == "CollabHub: 4 partners need attention"
    for name in ("drifting-0-0", "drifting-1-0", "slipping-0-0", "slipping-1-0"):
        assert name in digest.body
    assert "ok-0-0" not in digest.body
    assert "no activity in 100 days" in digest.body
    assert f"/commissioner/flags/{flag.pk}/" in digest.body


def test_a_second_scan_on_the_same_day_changes_nothing(
    commissioner, django_capture_on_commit_callbacks
):
    build_portfolio(commissioner)
    with django_capture_on_commit_callbacks(execute=True):
        engagement_scan(scan_date=SCAN)
    rows = list(EngagementSnapshot.objects.order_by("pk").values())
    flags = list(Flag.objects.order_by("pk").values())

    with django_capture_on_commit_callbacks(execute=True):
        second = engagement_scan(scan_date=SCAN)

    assert list(EngagementSnapshot.objects.order_by("pk").values()) == rows
    assert list(Flag.objects.order_by("pk").values()) == flags
    assert (second.snapshots_written, second.flags_raised, second.flags_updated) == (0, 0, 0)
    assert second.digests_sent == 0
    assert len(mail.outbox) == 1, "the same flags were announced twice"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's planner statistics")
def test_the_planner_knows_the_days_snapshots_and_flags_when_the_scan_ends(commissioner):
    """Right after a scan the planner must know today's snapshots (a portfolio planned for one
    row took 33 s at F=0.1): the scan analyses the columns it moved."""
    build_portfolio(commissioner)
    engagement_scan(scan_date=SCAN)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tablename, attname, most_common_vals::text FROM pg_stats "
            "WHERE tablename IN ('commissioner_engagementsnapshot', 'commissioner_flag') "
            "AND attname IN ('scan_date', 'status')"
        )
        stats = {(table, column): values for table, column, values in cursor.fetchall()}
    assert SCAN.isoformat() in stats[("commissioner_engagementsnapshot", "scan_date")]
    assert "open" in stats[("commissioner_flag", "status")]


def test_each_batch_is_scored_with_the_collector_paused_and_it_resumes_after(
    commissioner, monkeypatch
):
    """A sixth of a national scan went to the cyclic collector (core.collector): each batch
    runs with it off, and the scan leaves it as it found it."""
    build_portfolio(commissioner)
    seen = []
    read = scan.read_figures

    def reading(*args, **kwargs):
        seen.append(gc.isenabled())
        return read(*args, **kwargs)

    monkeypatch.setattr(scan, "read_figures", reading)
    result = engagement_scan(scan_date=SCAN, batch_size=2)

    assert result.batches >= 2
    assert seen == [False] * result.batches
    assert gc.isenabled()
    assert gc.get_freeze_count() == 0


@pytest.mark.django_db(transaction=True)
def test_a_scan_that_dies_inside_a_batch_leaves_nothing_of_it_and_a_rerun_completes_it(
    commissioner, monkeypatch
):
    """Really committed batches (a transactional test, no test-wide transaction to hide behind):
    the scan dies in the second batch after its snapshots are written and before its flags
    are. The first batch stays; nothing of the second does; nobody is mailed."""
    build_portfolio(commissioner)
    ids = sorted(Participation.objects.values_list("pk", flat=True))
    real_handle_flags = scan._handle_flags
    calls = []

    def die_in_the_second_batch(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            assert EngagementSnapshot.objects.filter(participation__in=ids[2:4]).count() == 2
            raise RuntimeError("worker killed")
        return real_handle_flags(*args, **kwargs)

    monkeypatch.setattr(scan, "_handle_flags", die_in_the_second_batch)
    with pytest.raises(RuntimeError, match="worker killed"):
        engagement_scan(scan_date=SCAN, batch_size=2)
    assert sorted(EngagementSnapshot.objects.values_list("participation", flat=True)) == ids[:2]
    assert set(Flag.objects.values_list("participation", flat=True)) <= set(ids[:2])
    assert Flag.objects.filter(notified_at__isnull=False).count() == 0
    assert mail.outbox == []
    monkeypatch.setattr(scan, "_handle_flags", real_handle_flags)

    # On commit, outside any test transaction: the digest goes as it would in production.
    engagement_scan(scan_date=SCAN, batch_size=2)
    interrupted = state()
    interrupted_mail = [(m.to, m.subject, m.body) for m in mail.outbox]

    # The same data scanned in one go.
    EngagementSnapshot.objects.all().delete()
    Flag.objects.all().delete()
    mail.outbox.clear()
    engagement_scan(scan_date=SCAN, batch_size=2)
    assert state() == interrupted
    assert len(interrupted["snapshots"]) == 6
    assert len(interrupted_mail) == 1
    # The digest lists the same flags (their links differ: they are new rows).
    strip = [line for line in interrupted_mail[0][2].splitlines() if "/flags/" not in line]
    assert [line for line in mail.outbox[0].body.splitlines() if "/flags/" not in line] == strip


def test_the_query_count_does_not_grow_with_the_participations(commissioner):
    from django.db import connection

    # Pinned per engine: on PostgreSQL an upsert is two statements (rows travel by COPY into a
    # staging table, core.bulk), elsewhere one.
    budget = f"commissioner.engagement_scan.{connection.vendor}"
    build_portfolio(commissioner, prefix="a")
    with query_budget(budget):
        first = engagement_scan(scan_date=SCAN, batch_size=500)
    assert (first.participations_scored, first.batches) == (6, 1)

    EngagementSnapshot.objects.all().delete()
    Flag.objects.all().delete()
    build_portfolio(commissioner, prefix="b", copies=2)
    with query_budget(budget):
        second = engagement_scan(scan_date=SCAN, batch_size=500)
    assert (second.participations_scored, second.batches) == (18, 1)


def test_each_batch_costs_the_same_fixed_number_of_queries(commissioner):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    build_portfolio(commissioner, copies=2)  # 12 participations

    def queries(batch_size):
        EngagementSnapshot.objects.all().delete()
        Flag.objects.all().delete()
        with CaptureQueriesContext(connection) as captured:
            result = engagement_scan(scan_date=SCAN, batch_size=batch_size)
        return result.batches, len(captured)

    one_batch, cost_one = queries(12 + 1)
    three_batches, cost_three = queries(4 + 1)  # 5, 5, 2
    assert (one_batch, three_batches) == (1, 3)
    per_batch = (cost_three - cost_one) / 2
    # The figures (attendance, obligations, reporting, contact, lateness, relationship,
    # signatures), the previous scans, the upsert and the flags: a fixed count per batch.
    assert per_batch == int(per_batch) and per_batch <= 25


def test_a_partner_that_recovers_has_its_flag_closed_automatically(commissioner):
    collaboration = with_meetings(factories.CollaborationFactory(commissioner=commissioner))
    person = drifting(collaboration, name="drifter")
    engagement_scan(scan_date=SCAN)
    flag = Flag.objects.get(participation=person)
    services.flag_acknowledge(actor=commissioner, flag=flag)

    # The partner comes back: attends, pays, is heard from.
    Attendance.objects.filter(participation=person).update(status=Attendance.Status.PRESENT)
    Obligation.objects.filter(organisation=person.organisation).update(
        status=Obligation.Status.MET, met_at=at(SCAN)
    )
    factories.ActivityFactory(participation=person, occurred_at=at(NEXT_DAY, 8))
    result = engagement_scan(scan_date=NEXT_DAY)

    flag.refresh_from_db()
    assert flag.status == Flag.Status.AUTO_CLOSED
    assert flag.closed_at is not None
    assert result.flags_auto_closed == 1
    assert not Flag.objects.filter(participation=person, status__in=Flag.OPEN_STATUSES).exists()


def test_an_open_flag_follows_the_partner_without_a_second_flag(commissioner):
    collaboration = with_meetings(factories.CollaborationFactory(commissioner=commissioner))
    person = slipping(collaboration, name="slipper")
    engagement_scan(scan_date=SCAN)
    flag = Flag.objects.get(participation=person)
    assert flag.band == "at_risk"

    # Worse two days later: an obligation long overdue. 100 - 20 (attendance) - 25 (obligations)
    # - 20 x 47/60 (recency) = 39.33 -> 39, disengaged.
    factories.ObligationFactory(
        collaboration=collaboration,
        organisation=person.organisation,
        due_date=SCAN - dt.timedelta(days=80),
    )
    result = engagement_scan(scan_date=SCAN + dt.timedelta(days=2))
    assert Flag.objects.filter(participation=person).count() == 1
    flag.refresh_from_db()
    assert (flag.band, flag.score) == ("disengaged", 39)
    assert flag.raised_on == SCAN
    assert "1 obligation overdue by 82 days" in flag.reasons_as_of(SCAN + dt.timedelta(days=2))
    assert result.flags_updated == 1


def test_a_resolved_flag_stands_until_the_partner_gets_worse_or_recovers(commissioner):
    collaboration = with_meetings(factories.CollaborationFactory(commissioner=commissioner))
    person = slipping(collaboration, name="slipper")
    engagement_scan(scan_date=SCAN)
    flag_resolve(actor=commissioner, flag=Flag.objects.get(participation=person), note="On leave")

    # Still at risk the next day: the person's resolution stands.
    engagement_scan(scan_date=NEXT_DAY)
    assert not Flag.objects.filter(participation=person, status="open").exists()

    # Worse: disengaged is a new state, and a new flag.
    factories.ObligationFactory(
        collaboration=collaboration,
        organisation=person.organisation,
        due_date=SCAN - dt.timedelta(days=80),
    )
    engagement_scan(scan_date=NEXT_DAY + dt.timedelta(days=1))
    assert Flag.objects.get(participation=person, status="open").band == "disengaged"


def test_a_partner_that_drops_again_after_recovering_gets_a_new_flag(commissioner):
    collaboration = with_meetings(factories.CollaborationFactory(commissioner=commissioner))
    person = slipping(collaboration, name="slipper")
    engagement_scan(scan_date=SCAN)
    flag_resolve(actor=commissioner, flag=Flag.objects.get(participation=person), note="Called")
    # Engaged on the next scan...
    activity = factories.ActivityFactory(participation=person, occurred_at=at(NEXT_DAY, 8))
    Attendance.objects.filter(participation=person).update(status=Attendance.Status.PRESENT)
    for meeting in collaboration.meetings.exclude(attendances__participation=person):
        factories.AttendanceFactory(meeting=meeting, participation=person)
    engagement_scan(scan_date=NEXT_DAY)
    assert EngagementSnapshot.objects.get(participation=person, scan_date=NEXT_DAY).band == (
        "engaged"
    )
    # ...then at risk again: entering the band again raises a flag.
    activity.delete()
    Attendance.objects.filter(participation=person).update(status=Attendance.Status.ABSENT)
    engagement_scan(scan_date=NEXT_DAY + dt.timedelta(days=1))
    assert Flag.objects.filter(participation=person, status="open").count() == 1


def test_digests_go_to_each_commissioner_once_and_never_twice(
    commissioner, django_capture_on_commit_callbacks
):
    other = factories.CommissionerFactory(email="other@example.org")
    mine = with_meetings(factories.CollaborationFactory(commissioner=commissioner))
    theirs = with_meetings(factories.CollaborationFactory(commissioner=other))
    nobody = with_meetings(factories.CollaborationFactory(commissioner=None))
    drifting(mine, name="mine-1")
    slipping(mine, name="mine-2")
    drifting(theirs, name="theirs-1")
    orphan = drifting(nobody, name="orphan")

    with django_capture_on_commit_callbacks(execute=True):
        engagement_scan(scan_date=SCAN)
    by_recipient = {tuple(m.to): m for m in mail.outbox}
    assert set(by_recipient) == {(commissioner.email,), (other.email,)}
    assert "mine-1" in by_recipient[(commissioner.email,)].body
    assert "mine-2" in by_recipient[(commissioner.email,)].body
    assert "theirs-1" not in by_recipient[(commissioner.email,)].body
    assert "theirs-1" in by_recipient[(other.email,)].body
    # Nobody to tell about the orphan yet: it waits, unnotified.
    assert Flag.objects.get(participation=orphan).notified_at is None

    # A commissioner is named; the next scan tells them about it, and only about it.
    Collaboration.objects.filter(pk=nobody.pk).update(commissioner=other)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        engagement_scan(scan_date=SCAN)
    assert [m.to for m in mail.outbox] == [[other.email]]
    assert "orphan" in mail.outbox[0].body and "theirs-1" not in mail.outbox[0].body


def test_a_digest_the_mail_server_refused_is_sent_by_the_next_scan(
    commissioner, monkeypatch, django_capture_on_commit_callbacks
):
    drifting(with_meetings(factories.CollaborationFactory(commissioner=commissioner)), name="d")

    class Refusing:
        def send_messages(self, messages):
            raise ConnectionRefusedError("smtp down")

    monkeypatch.setattr(notices.mail, "get_connection", lambda: Refusing())
    with django_capture_on_commit_callbacks(execute=True):
        engagement_scan(scan_date=SCAN)
    assert Flag.objects.get().notified_at is None
    monkeypatch.undo()
    with django_capture_on_commit_callbacks(execute=True):
        engagement_scan(scan_date=SCAN)
    assert len(mail.outbox) == 1
    assert Flag.objects.get().notified_at is not None


def test_only_active_participations_of_active_collaborations_are_scanned(commissioner):
    collaboration = factories.CollaborationFactory(commissioner=commissioner)
    scored = partner(collaboration)
    partner(collaboration, status=Participation.Status.WITHDRAWN)
    partner(collaboration, status=Participation.Status.INVITED)
    partner(collaboration, joined_days_ago=-3)  # joins after the scan date
    paused = factories.CollaborationFactory(status=Collaboration.Status.PAUSED)
    partner(paused)
    result = engagement_scan(scan_date=SCAN)
    assert result.participations_scored == 1
    assert list(EngagementSnapshot.objects.values_list("participation", flat=True)) == [scored.pk]


def test_the_management_command_scans_the_given_date(commissioner):
    drifting(with_meetings(factories.CollaborationFactory(commissioner=commissioner)), name="d")
    out = StringIO()
    call_command("engagement_scan", "--date", SCAN.isoformat(), stdout=out)
    assert f"Engagement scan {SCAN.isoformat()}: 1 participations scored" in out.getvalue()
    assert "1 flags raised" in out.getvalue()
    assert EngagementSnapshot.objects.get().scan_date == SCAN
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("engagement_scan", "--date", "31/03/2026")


@pytest.mark.django_db(transaction=True)
def test_a_scan_process_killed_mid_batch_is_completed_by_a_rerun(commissioner):
    """Not a simulation: `manage.py engagement_scan --batch-size 1` runs as its own process
    against the test database and is SIGKILLed in the middle of its second batch: after that
    batch's snapshot is written, held by another session's lock on the row of the flag the batch
    must then refresh. The rerun leaves exactly what an uninterrupted scan leaves."""
    if connection.vendor != "postgresql":
        message = "needs PostgreSQL (a database the scan's process can share with the test)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    first = engaged(factories.CollaborationFactory(commissioner=commissioner), name="first")
    second = build_portfolio(commissioner)["drifting-0-0"]
    assert Participation.objects.order_by("pk").values_list("pk", flat=True)[1] == second.pk

    def earlier_flag() -> Flag:
        # Raised and announced by last week's scan; today's must refresh it.
        return Flag.objects.create(
            participation=second,
            band="at_risk",
            score=1,
            reasons=["from last week"],
            raised_on=SCAN - dt.timedelta(days=7),
            notified_at=timezone.now(),
        )

    held = earlier_flag()
    command = [
        sys.executable,
        "manage.py",
        "engagement_scan",
        "--date",
        SCAN.isoformat(),
        "--batch-size",
        "1",
    ]
    db = connection.settings_dict
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "collabhub.settings.test",
        "DATABASE_URL": "postgres://{}:{}@{}:{}/{}".format(
            quote(db["USER"] or "", safe=""),
            quote(db["PASSWORD"] or "", safe=""),
            db["HOST"] or "127.0.0.1",
            db["PORT"] or 5432,
            db["NAME"],
        ),
    }

    def scan(**kwargs):
        return subprocess.Popen(
            command,
            cwd=settings.BASE_DIR,
            env=environment,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            **kwargs,
        )

    blocker = psycopg2.connect(
        dbname=db["NAME"],
        user=db["USER"],
        password=db["PASSWORD"],
        host=db["HOST"] or "127.0.0.1",
        port=db["PORT"] or 5432,
    )
    process = None
    try:
        with blocker.cursor() as cursor:
            # Everything goes on until the second batch updates this flag: then it waits.
            cursor.execute("SELECT 1 FROM commissioner_flag WHERE id = %s FOR UPDATE", [held.pk])
        process = scan()
        deadline = time.monotonic() + 60

        def waiting_on_the_flags() -> list[int]:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                    "AND wait_event_type = 'Lock' AND query LIKE %s AND pid <> pg_backend_pid()",
                    ["UPDATE%commissioner_flag%"],
                )
                return [row[0] for row in cursor.fetchall()]

        while not (EngagementSnapshot.objects.exists() and waiting_on_the_flags()):
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline, "the scan never reached its second batch"
            time.sleep(0.05)
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
        # What a dead machine's connection comes to: its server session ends, unfinished.
        with connection.cursor() as cursor:
            for pid in waiting_on_the_flags():
                cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    finally:
        blocker.rollback()
        blocker.close()
        if process is not None and process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == -signal.SIGKILL
    # The first batch is committed; the second batch's snapshot, written, died with it, and
    # last week's flag is as it was.
    assert list(EngagementSnapshot.objects.values_list("participation", flat=True)) == [first.pk]
    assert list(Flag.objects.values_list("pk", "score", "reason_codes")) == [
        (held.pk, 1, ["from last week"])
    ]

    rerun = scan()
    out, err = rerun.communicate(timeout=120)
    assert rerun.returncode == 0, err
    assert "7 participations scored in 7 batches" in out.decode()
    interrupted = state()

    EngagementSnapshot.objects.all().delete()
    Flag.objects.all().delete()
    earlier_flag()
    uninterrupted = scan()
    _out, err = uninterrupted.communicate(timeout=120)
    assert uninterrupted.returncode == 0, err
    assert state() == interrupted
    assert len(interrupted["snapshots"]) == 7
    assert len(interrupted["flags"]) == 4
    refreshed = interrupted["flags"][("drifting-0-0", SCAN - dt.timedelta(days=7))]
    assert refreshed[1:3] != (1, ("from last week",))


def test_a_digest_refused_part_way_is_the_only_one_sent_again(
    commissioner, settings, django_capture_on_commit_callbacks
):
    """Two commissioners, two digests; the mail server refuses the second. The first is marked
    sent and never sent again; the second's flags are unmarked and go with the next scan.
    (Partner names no generated name can contain: "mine" was in "Jasmine Rhodes".)"""
    other = factories.CommissionerFactory(email="other@example.org")
    drifting(
        with_meetings(factories.CollaborationFactory(commissioner=commissioner, title="A")),
        name="mine-partner-1",
    )
    drifting(
        with_meetings(factories.CollaborationFactory(commissioner=other, title="B")),
        name="theirs-partner-2",
    )
    settings.EMAIL_BACKEND = "tests.commissioner.mailbackends.RefusingBackend"
    RefusingBackend.reset(refuse={2})
    with django_capture_on_commit_callbacks(execute=True):
        engagement_scan(scan_date=SCAN)
    assert [m.to for m in mail.outbox] == [[commissioner.email]]
    notified = dict(Flag.objects.values_list("participation__organisation__name", "notified_at"))
    assert notified["mine-partner-1"] is not None and notified["theirs-partner-2"] is None

    with django_capture_on_commit_callbacks(execute=True):
        assert services.flag_digests_send() == 1
    assert [m.to for m in mail.outbox] == [[commissioner.email], [other.email]]
    body = mail.outbox[1].body
    assert "theirs-partner-2" in body and "mine-partner-1" not in body
    assert not Flag.objects.filter(notified_at__isnull=True).exists()


def test_a_flag_that_gets_worse_is_announced_again(
    commissioner, django_capture_on_commit_callbacks
):
    collaboration = with_meetings(factories.CollaborationFactory(commissioner=commissioner))
    person = slipping(collaboration, name="slipper")
    with django_capture_on_commit_callbacks(execute=True):
        engagement_scan(scan_date=SCAN)
    assert len(mail.outbox) == 1 and "At risk (score 65)" in mail.outbox[0].body

    # The next day, nothing changed but the date: the flag is left alone (its reasons count
    # days from a date) and not announced again.
    with django_capture_on_commit_callbacks(execute=True):
        assert engagement_scan(scan_date=NEXT_DAY).flags_updated == 0
    assert len(mail.outbox) == 1

    # Disengaged: the commissioner is told in the next digest (see
    # test_an_open_flag_follows_the_partner_without_a_second_flag for the score).
    factories.ObligationFactory(
        collaboration=collaboration,
        organisation=person.organisation,
        due_date=SCAN - dt.timedelta(days=80),
    )
    with django_capture_on_commit_callbacks(execute=True):
        engagement_scan(scan_date=SCAN + dt.timedelta(days=2))
    assert len(mail.outbox) == 2
    assert "slipper" in mail.outbox[1].body and "Disengaged (score 39)" in mail.outbox[1].body
    flag = Flag.objects.get(participation=person)
    assert (flag.status, flag.band, flag.notified_at is not None) == ("open", "disengaged", True)

    # Still disengaged: once is enough.
    with django_capture_on_commit_callbacks(execute=True):
        engagement_scan(scan_date=SCAN + dt.timedelta(days=3))
    assert len(mail.outbox) == 2


def test_flags_of_partners_no_longer_scanned_are_closed_and_never_announced(
    commissioner, django_capture_on_commit_callbacks
):
    """A partner withdrawn, a collaboration paused — here behind the services' backs, as an
    import or the admin would: the scan visits neither, and closes their open flags itself."""
    ours = with_meetings(factories.CollaborationFactory(commissioner=commissioner, title="A"))
    leaving = drifting(ours, name="leaving")
    staying = drifting(ours, name="staying")
    paused = with_meetings(factories.CollaborationFactory(commissioner=commissioner, title="B"))
    on_hold = drifting(paused, name="on-hold")
    engagement_scan(scan_date=SCAN, send_digests=False)
    assert Flag.objects.filter(status="open", notified_at__isnull=True).count() == 3

    Participation.objects.filter(pk=leaving.pk).update(status=Participation.Status.WITHDRAWN)
    Collaboration.objects.filter(pk=paused.pk).update(status=Collaboration.Status.PAUSED)
    with django_capture_on_commit_callbacks(execute=True):
        result = engagement_scan(scan_date=NEXT_DAY)

    assert (result.participations_scored, result.flags_closed_not_scanned) == (1, 2)
    for participation in (leaving, on_hold):
        flag = Flag.objects.get(participation=participation)
        assert (flag.status, flag.notified_at) == (Flag.Status.NOT_SCANNED, None)
        assert flag.closed_at is not None
    assert Flag.objects.get(participation=staying).status == Flag.Status.OPEN
    assert len(mail.outbox) == 1
    assert "staying" in mail.outbox[0].body
    assert "leaving" not in mail.outbox[0].body and "on-hold" not in mail.outbox[0].body
    assert "closed as no longer scanned" in str(result)

    # Nothing more to close, nothing more to say.
    with django_capture_on_commit_callbacks(execute=True):
        again = engagement_scan(scan_date=NEXT_DAY)
    assert (again.flags_closed_not_scanned, again.digests_sent, len(mail.outbox)) == (0, 0, 1)


def test_a_digest_never_names_a_partner_that_left_even_before_a_scan_closed_its_flag(
    commissioner, django_capture_on_commit_callbacks
):
    collaboration = factories.CollaborationFactory(commissioner=commissioner)
    present = factories.FlagFactory(
        participation=partner(collaboration, organisation=factories.OrganisationFactory(name="P"))
    )
    gone = factories.FlagFactory(
        participation=partner(
            collaboration,
            status=Participation.Status.WITHDRAWN,
            organisation=factories.OrganisationFactory(name="Gone Town"),
        )
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert services.flag_digests_send() == 1
    assert "Gone Town" not in mail.outbox[0].body
    gone.refresh_from_db()
    present.refresh_from_db()
    assert (gone.status, gone.notified_at) == ("open", None)
    assert present.notified_at is not None
