"""The engagement scan as a whole: idempotent, safe to interrupt, set-based, and what it does to
flags and the commissioners' digests."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.forms.models import model_to_dict

from agreements.models import Collaboration, Obligation, Participation
from commissioner import services
from commissioner.models import Attendance, EngagementSnapshot, Flag
from commissioner.services import engagement_scan, flag_resolve
from tests import factories
from tests.commissioner.conftest import SCAN, at, days_before, partner
from tests.querycount import query_budget

pytestmark = pytest.mark.django_db

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
    """Came to one meeting of three and quiet for 45 days: attendance 1/3 loses 30 x 2/3 = 20,
    recency 1 - 45/60 loses 20 x 3/4 = 15: 65, at risk."""
    participation = partner(
        collaboration,
        active_on_scan_day=False,
        organisation=factories.OrganisationFactory(name=name),
    )
    factories.ActivityFactory(participation=participation, occurred_at=days_before(45))
    meetings = list(collaboration.meetings.order_by("held_at"))
    factories.AttendanceFactory(meeting=meetings[0], participation=participation)
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
    assert flag.reasons == [
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


def test_an_interrupted_scan_rerun_ends_as_an_uninterrupted_one(
    commissioner, monkeypatch, django_capture_on_commit_callbacks
):
    build_portfolio(commissioner)
    real_batch = services._scan_batch
    calls = []

    def crash_on_second_batch(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("worker killed")
        return real_batch(*args, **kwargs)

    monkeypatch.setattr(services, "_scan_batch", crash_on_second_batch)
    with pytest.raises(RuntimeError), django_capture_on_commit_callbacks(execute=True):
        engagement_scan(scan_date=SCAN, batch_size=2)
    # The first batch is committed, nothing of the second, and nobody was mailed.
    assert EngagementSnapshot.objects.count() == 2
    assert mail.outbox == []
    monkeypatch.setattr(services, "_scan_batch", real_batch)

    with django_capture_on_commit_callbacks(execute=True):
        engagement_scan(scan_date=SCAN, batch_size=2)
    interrupted = state()
    interrupted_mail = [(m.to, m.subject, m.body) for m in mail.outbox]

    # The same data scanned in one go.
    EngagementSnapshot.objects.all().delete()
    Flag.objects.all().delete()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        engagement_scan(scan_date=SCAN, batch_size=2)
    assert state() == interrupted
    assert len(interrupted["snapshots"]) == 6
    assert len(interrupted_mail) == 1
    # The digest lists the same flags (their links differ: they are new rows).
    strip = [line for line in interrupted_mail[0][2].splitlines() if "/flags/" not in line]
    assert [line for line in mail.outbox[0].body.splitlines() if "/flags/" not in line] == strip


def test_the_query_count_does_not_grow_with_the_participations(commissioner):
    build_portfolio(commissioner, prefix="a")
    with query_budget("commissioner.engagement_scan"):
        first = engagement_scan(scan_date=SCAN, batch_size=500)
    assert (first.participations_scored, first.batches) == (6, 1)

    EngagementSnapshot.objects.all().delete()
    Flag.objects.all().delete()
    build_portfolio(commissioner, prefix="b", copies=2)
    with query_budget("commissioner.engagement_scan"):
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
    assert per_batch == int(per_batch) and per_batch <= 20


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
    assert "1 obligation overdue by 82 days" in flag.reasons
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

    monkeypatch.setattr(services.mail, "get_connection", lambda: Refusing())
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
