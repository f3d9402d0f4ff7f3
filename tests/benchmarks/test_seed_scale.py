"""seed_scale: national-scale data of the requested size and shape, and the SQL floor the
benchmark compares the scan with computing exactly what the scan computes."""

import datetime as dt
import os
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from agreements.models import Collaboration, Obligation, Participation, SharedGoal
from agreements.structures import structure_problems
from benchmarks.floor import FLOOR_SCAN_SQL, floor_scan_params
from benchmarks.scale import Plan
from commissioner.models import (
    Activity,
    Attendance,
    Band,
    EngagementSnapshot,
    Flag,
    Meeting,
    SurveyPrinciple,
)
from commissioner.services import engagement_scan
from commissioner.survey.services import instrument_default
from commissioner.trend_reads import start_of
from partners.models import Contact, Organisation
from tests import factories
from tests.commissioner.survey_helpers import answer, closed_round, invite

pytestmark = pytest.mark.django_db

FACTOR = 0.002  # 20 organisations, 40 collaborations, 400 participations, 10,000 activities


@pytest.fixture
def postgresql():
    if connection.vendor != "postgresql":
        message = "seed_scale writes with PostgreSQL's COPY"
        if os.environ.get("CI"):
            pytest.fail(f"CI runs on PostgreSQL: {message}")
        pytest.skip(message)


def seed() -> None:
    call_command("seed_scale", factor=FACTOR, no_progress=True, stdout=StringIO())


def foreign_keys_and_indexes() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT (SELECT COUNT(*) FROM pg_constraint WHERE contype = 'f') "
            "+ (SELECT COUNT(*) FROM pg_indexes WHERE schemaname = 'public')"
        )
        return cursor.fetchone()[0]


def test_the_data_has_the_planned_size_and_every_collaboration_keeps_its_rules(postgresql):
    before = foreign_keys_and_indexes()
    seed()
    plan = Plan.for_factor(FACTOR)

    assert Organisation.objects.count() == plan.organisations
    assert Collaboration.objects.count() == plan.collaborations
    assert Participation.objects.count() == plan.participations
    assert 0.9 * plan.activities <= Activity.objects.count() <= 1.1 * plan.activities
    assert 0.8 * plan.obligations <= Obligation.objects.count() <= 1.2 * plan.obligations
    assert 0.75 * plan.attendance <= Attendance.objects.count() <= 1.25 * plan.attendance
    # The load dropped foreign keys and indexes for speed and put every one back.
    assert foreign_keys_and_indexes() == before
    # Every active collaboration satisfies its structure's role rules.
    for collaboration in Collaboration.objects.filter(status=Collaboration.Status.ACTIVE):
        assert structure_problems(collaboration) == [], collaboration.structure
    # Names are unique (case-insensitively, as the constraint wants) and realistic.
    assert Organisation.objects.filter(name__istartswith="City of").exists()


def test_a_scan_of_it_finds_every_band_with_reasons(postgresql):
    seed()
    engagement_scan(send_digests=False)
    today = EngagementSnapshot.objects.filter(scan_date=timezone.localdate())
    bands = set(today.values_list("band", flat=True))
    assert bands == {Band.ENGAGED, Band.AT_RISK, Band.DISENGAGED}
    assert all(flag.reasons for flag in Flag.objects.filter(status=Flag.Status.OPEN))


def vary(today) -> None:
    """Give the seeded data what the early warning reads beyond the seed's regular record:
    attendance not yet recorded (within the grace, and for one partner only), recorded or
    corrected after earlier scan dates, meetings entered late, a partner withdrawn, a named
    contact changed and one gone, partners falling against their own record (attendance,
    obligations and reports late), and closed survey rounds answered low, apart from the
    others, or not at all."""
    now = timezone.now()
    collaborations = list(
        Collaboration.objects.filter(status=Collaboration.Status.ACTIVE).order_by("pk")
    )
    recent = Meeting.objects.filter(
        held_at__gte=now - dt.timedelta(days=10), held_at__lt=now
    ).order_by("pk")
    # Nothing recorded yet for the latest meetings of a few collaborations, or for one partner
    # only: gaps within the grace, not absences.
    Attendance.objects.filter(meeting__in=recent[:3]).delete()
    for meeting in recent[3:7]:
        Attendance.objects.filter(pk__in=meeting.attendances.order_by("pk")[:1]).delete()
    older = Meeting.objects.filter(
        held_at__lt=now - dt.timedelta(days=20), held_at__gte=now - dt.timedelta(days=80)
    ).order_by("pk")
    for meeting in older[:8]:
        # One partner's attendance missing where the others' is recorded: an absence.
        Attendance.objects.filter(pk__in=meeting.attendances.order_by("pk")[:1]).delete()
    for meeting in older[8:14]:
        # Recorded only now, or corrected now: earlier scans saw something else.
        Attendance.objects.filter(meeting=meeting).update(recorded_at=now)
    Attendance.objects.filter(meeting__in=older[14:30], status=Attendance.Status.PRESENT).update(
        status=Attendance.Status.ABSENT, previous_status=Attendance.Status.PRESENT, changed_at=now
    )
    # Meetings entered only now: earlier scans did not know of them.
    Meeting.objects.filter(pk__in=[m.pk for m in [*older[30:34], *recent[7:9]]]).update(
        created_at=now
    )
    # A partner withdrawn last week: the others of its collaboration lose points.
    withdrawing = Participation.objects.filter(
        collaboration=collaborations[0], status=Participation.Status.ACTIVE
    ).first()
    Participation.objects.filter(pk=withdrawing.pk).update(
        status=Participation.Status.WITHDRAWN, left_on=today - dt.timedelta(days=7)
    )
    # A named contact changed twice, and a contact gone (from the change history).
    changing = Participation.objects.filter(
        collaboration=collaborations[1], status=Participation.Status.ACTIVE
    ).first()
    for _ in range(2):
        changing.contact = Contact.objects.create(
            organisation_id=changing.organisation_id, name="New Contact", email="n@example.org"
        )
        changing.save()
    gone = Participation.objects.filter(
        collaboration=collaborations[2], status=Participation.Status.ACTIVE
    ).first()
    gone.contact.is_active = False
    gone.contact.save()
    # A contact named long ago and replaced now (changed: the naming in force 90 days ago
    # counts), and a named contact gone long ago (no longer counts).
    replaced, long_gone = (
        Participation.objects.filter(
            collaboration=collaborations[7], status=Participation.Status.ACTIVE
        )
        .exclude(contact=None)
        .order_by("pk")[:2]
    )
    long_ago = now - dt.timedelta(days=200)
    replaced.save()  # the naming in force, in the change history (the seeder writes none)
    Participation.history.filter(id=replaced.pk).update(history_date=long_ago)
    replaced.contact = Contact.objects.create(
        organisation_id=replaced.organisation_id, name="Successor", email="s@example.org"
    )
    replaced.save()
    long_gone.contact.is_active = False
    long_gone.contact.save()
    Contact.history.filter(id=long_gone.contact_id).update(history_date=long_ago)
    # Partners falling against their own record: absent from their latest three meetings after
    # attending every one before, late with obligations and reports of late only.
    for collaboration in collaborations[8:12]:
        partner = Participation.objects.filter(
            collaboration=collaboration, status=Participation.Status.ACTIVE
        ).first()
        # Meetings every fortnight or so, everyone present: a record to fall from.
        partners = Participation.objects.filter(
            collaboration=collaboration, status=Participation.Status.ACTIVE
        )
        for weeks in (17, 15, 13, 11, 9, 7, 5):
            held = now - dt.timedelta(days=7 * weeks)
            meeting = Meeting.objects.create(
                collaboration=collaboration, title="Extra", held_at=held
            )
            Meeting.objects.filter(pk=meeting.pk).update(created_at=held)
            Attendance.objects.bulk_create(
                Attendance(
                    meeting=meeting,
                    participation=other,
                    status=Attendance.Status.PRESENT,
                    recorded_at=held,
                )
                for other in partners
            )
        mine = Attendance.objects.filter(participation=partner)
        mine.update(status=Attendance.Status.PRESENT, changed_at=None)
        before = now - dt.timedelta(days=4)  # absent at the last three of each compared day
        latest = mine.filter(meeting__held_at__lt=before).order_by("-meeting__held_at")[:3]
        Attendance.objects.filter(
            Q(pk__in=[a.pk for a in latest]) | Q(pk__in=mine.filter(meeting__held_at__gte=before))
        ).update(status=Attendance.Status.ABSENT)
        for due_days_ago, late in ((120, 0), (110, 0), (100, 0), (45, 35), (40, 30)):
            due = today - dt.timedelta(days=due_days_ago)
            factories.ObligationFactory(
                collaboration=collaboration,
                organisation=partner.organisation,
                due_date=due,
                status=Obligation.Status.MET,
                met_at=start_of(due + dt.timedelta(days=late)) + dt.timedelta(hours=12),
            )
        goal = factories.SharedGoalFactory(collaboration=collaboration)
        SharedGoal.objects.filter(pk=goal.pk).update(created_at=now - dt.timedelta(days=400))
        for ended_days_ago, delay in ((120, 2), (105, 1), (90, 3), (50, 40), (45, 36)):
            period_end = today - dt.timedelta(days=ended_days_ago)
            factories.MeasurementFactory(
                goal=goal,
                period_end=period_end,
                reported_by_organisation=partner.organisation,
                reported_at=start_of(period_end + dt.timedelta(days=delay))
                + dt.timedelta(hours=10),
            )
    # Yesterday's record of each compared day, for the drift evidence: attendance recorded then
    # (present, apologies, absent), a report and obligations (one overdue, one early) come in.
    statuses = [Attendance.Status.PRESENT, Attendance.Status.APOLOGIES, Attendance.Status.ABSENT]
    for index, day in enumerate((today - dt.timedelta(days=10), today - dt.timedelta(days=3))):
        yesterday = start_of(day - dt.timedelta(days=1)) + dt.timedelta(hours=12)
        collaboration = collaborations[12 + index]
        partners = list(
            Participation.objects.filter(
                collaboration=collaboration, status=Participation.Status.ACTIVE
            ).order_by("pk")
        )
        held = start_of(day - dt.timedelta(days=6)) + dt.timedelta(hours=10)
        meeting = Meeting.objects.create(collaboration=collaboration, title="Late", held_at=held)
        Meeting.objects.filter(pk=meeting.pk).update(created_at=held)
        Attendance.objects.bulk_create(
            Attendance(meeting=meeting, participation=partner, status=status, recorded_at=yesterday)
            for partner, status in zip(partners, statuses, strict=False)
        )
        goal = factories.SharedGoalFactory(collaboration=collaboration)
        SharedGoal.objects.filter(pk=goal.pk).update(created_at=now - dt.timedelta(days=200))
        factories.MeasurementFactory(
            goal=goal,
            period_end=day - dt.timedelta(days=8),
            reported_by_organisation=partners[0].organisation,
            reported_at=yesterday,
        )
        for due in (day - dt.timedelta(days=20), day + dt.timedelta(days=5)):
            factories.ObligationFactory(
                collaboration=collaboration,
                organisation=partners[1].organisation,
                due_date=due,
                status=Obligation.Status.MET,
                met_at=yesterday,
            )
    # Closed survey rounds: trust rated low, a principle seen apart, a partner not answering.
    codes = list(
        SurveyPrinciple.objects.filter(instrument=instrument_default())
        .order_by("position")
        .values_list("code", flat=True)
    )
    other = next(code for code in codes if code not in ("trust", "commitment"))
    for collaboration in collaborations[3:7]:
        partners = list(
            Participation.objects.filter(
                collaboration=collaboration, status=Participation.Status.ACTIVE
            ).order_by("pk")
        )
        survey_round = closed_round(
            collaboration,
            opened_on=today - dt.timedelta(days=40),
            closes_on=today - dt.timedelta(days=10),
        )
        for index, partner in enumerate(partners):
            if index == 0:
                answer(survey_round, partner, {"trust": 1, "commitment": 4, other: 4})
            elif index == 1:
                answer(survey_round, partner, {"trust": 4, "commitment": 4, other: 1})
            elif index == 2:
                invite(survey_round, partner)
            else:
                answer(survey_round, partner, {"trust": 4, "commitment": 5, other: 4})


def test_the_floor_computes_exactly_what_the_scan_computes(postgresql):
    """The benchmark's floor is only a floor if it does the same work: same figures, same
    score, same watch state, for every participation. Earlier days are scanned first, oldest
    first, so the streaks and the accumulated evidence the floor reads back are the app's."""
    seed()
    today = timezone.localdate()
    vary(today)
    for days in (56, 49, 45):
        engagement_scan(scan_date=today - dt.timedelta(days=days), send_digests=False)
    # Six weeks ago the falling partners' collaborations scored far higher.
    EngagementSnapshot.objects.filter(
        participation__collaboration__in=list(
            Collaboration.objects.filter(status=Collaboration.Status.ACTIVE).order_by("pk")
        )[8:12],
        scan_date__lt=today - dt.timedelta(days=40),
    ).update(score=100)
    for days in (35, 28, 21, 14, 10, 7, 5, 3, 2, 1):
        engagement_scan(scan_date=today - dt.timedelta(days=days), send_digests=False)
    engagement_scan(scan_date=today, send_digests=False)
    columns = [
        "score", "band", "meetings_held", "meetings_attended", "meetings_apologies",
        "consecutive_absences", "obligations_due", "obligations_overdue", "max_days_overdue",
        "reports_expected", "reports_missing", "days_since_activity", "signatures_pending",
        "max_days_awaiting_signature", "attendance_rate", "meetings_unrecorded", "components",
        "state", "warning_streak", "clear_streak", "drift_evidence", "trend",
    ]  # fmt: skip
    # Today's scan, and earlier days' replayed as known then (corrections made since, the
    # attendance recorded since, the meetings entered since, are not what they saw).
    for day in (today - dt.timedelta(days=10), today - dt.timedelta(days=3), today):
        scanned = {row[0]: row[1:] for row in today_rows(day, columns)}
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(FLOOR_SCAN_SQL, floor_scan_params(day))
            floor = {row[0]: row[1:] for row in today_rows(day, columns)}
            transaction.set_rollback(True)
        assert len(scanned) > 200
        # Not vacuous: the data holds what the early warning reads.
        by_name = [dict(zip(columns, row, strict=True)) for row in scanned.values()]
        assert any(row["state"] == "drifting" for row in by_name)
        assert any(row["drift_evidence"] > 0 for row in by_name)
        assert any(row["warning_streak"] > 1 for row in by_name)
        assert any(row["clear_streak"] > 1 for row in by_name)
        assert any(row["meetings_unrecorded"] > 0 for row in by_name)
        for code in ("attendance", "contact", "obligation_late", "report_delay", "score"):
            assert any(code in row["trend"]["points"] for row in by_name), code
        assert any(row["trend"]["partners_withdrawn"] for row in by_name)
        # Yesterday's record, weighed by the drift evidence, both ways.
        for figure in (
            "contact_yesterday", "present_yesterday", "apologies_yesterday", "absent_yesterday",
            "reports_outstanding", "reports_yesterday", "obligations_met_yesterday",
            "obligations_overdue_yesterday",
        ):  # fmt: skip
            assert day == today or any(row["trend"][figure] for row in by_name), (day, figure)
        assert any(row["trend"]["step"] > 0 for row in by_name)
        assert any(row["trend"]["step"] < 0 for row in by_name)
        assert any(row["trend"]["survey"].get("answered_last_round") is False for row in by_name)
        assert any(row["trend"]["survey"].get("divergent_principles") for row in by_name)
        # The floor leaves the survey's figures out of the trend (their points are in the
        # score).
        trend = columns.index("trend")
        for rows in (scanned, floor):
            for values in rows.values():
                values[trend].pop("survey")
        assert floor == scanned, day
    assert any(row["trend"]["contact_left"] for row in by_name)
    left = dict(
        EngagementSnapshot.objects.filter(
            scan_date=today, participation__contact__name="Successor"
        ).values_list("participation__contact__name", "trend__contact_left")
    )
    assert left == {"Successor": True}
    # Gone with no one named in its place (the lower bar for drifting): the contact made
    # inactive now, not the one replaced.
    assert any(row["trend"]["contact_vacant"] for row in by_name)
    assert not EngagementSnapshot.objects.filter(
        scan_date=today, participation__contact__name="Successor", trend__contact_vacant=True
    ).exists()
    gone_long_ago = EngagementSnapshot.objects.filter(
        scan_date=today,
        participation__contact__in=Contact.history.filter(
            is_active=False, history_date__lt=timezone.now() - dt.timedelta(days=150)
        ).values("id"),
    )
    # (the contact is named on each of its organisation's participations)
    assert {s.trend["contact_left"] for s in gone_long_ago} == {False}


def today_rows(today, columns):
    return EngagementSnapshot.objects.filter(scan_date=today).values_list(
        "participation_id", *columns
    )


def test_seed_scale_refuses_a_database_it_cannot_copy_into():
    if connection.vendor == "postgresql":
        with pytest.raises(CommandError, match="positive"):
            call_command("seed_scale", factor=0, no_progress=True)
    else:
        with pytest.raises(CommandError, match="PostgreSQL"):
            call_command("seed_scale", factor=FACTOR, no_progress=True)
