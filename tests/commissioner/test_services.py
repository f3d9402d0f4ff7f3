"""The commissioner's writes: who may make them, what they refuse, and the activity they log."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone

from agreements.models import Participation
from commissioner import services
from commissioner.models import Activity, Attendance, EngagementPolicy, Flag, Intervention
from core.actors import PartnerPrincipal
from core.errors import DomainError
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def flag(collaboration):
    return factories.FlagFactory(
        participation=factories.ParticipationFactory(collaboration=collaboration)
    )


# Flags and interventions ----------------------------------------------------------------------


def test_a_commissioner_acknowledges_then_resolves_a_flag(flag, commissioner):
    services.flag_acknowledge(actor=commissioner, flag=flag)
    flag.refresh_from_db()
    assert (flag.status, flag.acknowledged_by) == ("acknowledged", commissioner)
    with pytest.raises(DomainError, match="already acknowledged"):
        services.flag_acknowledge(actor=commissioner, flag=flag)

    services.flag_resolve(actor=commissioner, flag=flag, note="  Partner back on track.  ")
    flag.refresh_from_db()
    assert (flag.status, flag.resolution_note, flag.resolved_by) == (
        "resolved",
        "Partner back on track.",
        commissioner,
    )
    assert flag.closed_at is not None
    with pytest.raises(DomainError, match="already closed") as refused:
        services.flag_resolve(actor=commissioner, flag=flag, note="again")
    assert refused.value.field == "status"


def test_resolving_needs_a_note(flag, administrator):
    with pytest.raises(DomainError) as refused:
        services.flag_resolve(actor=administrator, flag=flag, note="   ")
    assert refused.value.field == "note"
    assert Flag.objects.get(pk=flag.pk).status == "open"


@pytest.mark.parametrize("who", ["staff", "partner"])
def test_only_commissioners_and_administrators_act_on_flags(flag, who, organisation):
    actor = (
        factories.staff_user(organisation)
        if who == "staff"
        else PartnerPrincipal(token=factories.api_token(organisation)[0])
    )
    for call in (
        lambda: services.flag_acknowledge(actor=actor, flag=flag),
        lambda: services.flag_resolve(actor=actor, flag=flag, note="x"),
        lambda: services.intervention_add(actor=actor, flag=flag, kind="call", description="x"),
    ):
        with pytest.raises(PermissionDenied):
            call()
    assert Flag.objects.get(pk=flag.pk).status == "open"
    assert not Intervention.objects.exists()


def test_an_intervention_on_an_open_flag_acknowledges_it(flag, commissioner):
    intervention = services.intervention_add(
        actor=commissioner,
        flag=flag,
        kind=Intervention.Kind.ESCALATION,
        description="Letter to the mayor",
        due_date=flag.raised_on + dt.timedelta(days=7),
    )
    assert intervention.created_by == commissioner
    flag.refresh_from_db()
    assert flag.status == "acknowledged"

    services.intervention_complete(
        actor=commissioner, intervention=intervention, outcome="Mayor replied"
    )
    intervention.refresh_from_db()
    assert intervention.outcome == "Mayor replied" and intervention.completed_at is not None
    with pytest.raises(DomainError, match="already completed"):
        services.intervention_complete(actor=commissioner, intervention=intervention, outcome="x")


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"kind": "carrier-pigeon", "description": "x"}, "kind"),
        ({"kind": "call", "description": ""}, "description"),
        ({"kind": "call", "description": "x" * 5001}, "description"),
        ({"kind": "call", "description": "x", "due_date": dt.date(2000, 1, 1)}, "due_date"),
    ],
)
def test_a_bad_intervention_is_refused_naming_the_field(flag, commissioner, values, field):
    with pytest.raises(DomainError) as refused:
        services.intervention_add(actor=commissioner, flag=flag, **values)
    assert refused.value.field == field
    assert not Intervention.objects.exists()


def test_no_intervention_on_a_closed_flag(flag, commissioner):
    Flag.objects.filter(pk=flag.pk).update(status=Flag.Status.AUTO_CLOSED)
    with pytest.raises(DomainError, match="closed") as refused:
        services.intervention_add(actor=commissioner, flag=flag, kind="call", description="x")
    assert refused.value.field == "flag"


# Check-ins ------------------------------------------------------------------------------------


def test_a_check_in_is_a_sign_of_life(collaboration, commissioner):
    participation = factories.ParticipationFactory(collaboration=collaboration)
    activity = services.checkin_log(
        actor=commissioner, participation=participation, description="Phoned the CAO"
    )
    assert (activity.kind, activity.recorded_by, activity.description) == (
        Activity.Kind.CHECK_IN,
        commissioner,
        "Phoned the CAO",
    )


def test_check_ins_are_refused_for_staff_withdrawn_partners_and_the_future(
    collaboration, commissioner, staff
):
    participation = factories.ParticipationFactory(collaboration=collaboration)
    with pytest.raises(PermissionDenied):
        services.checkin_log(actor=staff, participation=participation, description="x")
    with pytest.raises(DomainError) as refused:
        services.checkin_log(
            actor=commissioner,
            participation=participation,
            description="x",
            occurred_at=timezone.now() + dt.timedelta(days=1),
        )
    assert refused.value.field == "occurred_at"
    Participation.objects.filter(pk=participation.pk).update(status="withdrawn")
    participation.refresh_from_db()
    with pytest.raises(DomainError) as refused:
        services.checkin_log(actor=commissioner, participation=participation, description="x")
    assert refused.value.field == "participation"
    assert not Activity.objects.exists()


# Meetings and attendance ----------------------------------------------------------------------


def test_managers_record_meetings_others_may_not(collaboration, commissioner, staff):
    held_at = timezone.now() - dt.timedelta(days=1)
    meeting = services.meeting_create(
        actor=commissioner, collaboration=collaboration, title=" Board ", held_at=held_at
    )
    assert meeting.title == "Board"
    lead_staff = factories.staff_user(collaboration.lead_organisation)
    services.meeting_create(
        actor=lead_staff, collaboration=collaboration, title="Working group", held_at=held_at
    )
    with pytest.raises(PermissionDenied):
        services.meeting_create(
            actor=staff, collaboration=collaboration, title="x", held_at=held_at
        )
    with pytest.raises(DomainError) as refused:
        services.meeting_create(
            actor=commissioner, collaboration=collaboration, title="", held_at=held_at
        )
    assert refused.value.field == "title"


def test_attendance_keeps_the_activity_log_in_step(collaboration, commissioner):
    meeting = factories.MeetingFactory(collaboration=collaboration)
    participation = factories.ParticipationFactory(collaboration=collaboration)
    services.attendance_record(
        actor=commissioner, meeting=meeting, participation=participation, status="present"
    )
    attended = Activity.objects.get(participation=participation)
    assert (attended.kind, attended.occurred_at) == (
        Activity.Kind.MEETING_ATTENDED,
        meeting.held_at,
    )
    # Recording it again does not log it twice; a correction withdraws it (kept, with when, so
    # a scan for a day before the correction still counts it), and the attendance keeps what
    # it replaced.
    services.attendance_record(
        actor=commissioner, meeting=meeting, participation=participation, status="present"
    )
    assert Activity.objects.filter(participation=participation).count() == 1
    services.attendance_record(
        actor=commissioner, meeting=meeting, participation=participation, status="absent"
    )
    assert not Activity.objects.filter(
        participation=participation, withdrawn_at__isnull=True
    ).exists()
    assert Activity.objects.get(participation=participation).withdrawn_at is not None
    attendance = Attendance.objects.get()
    assert (attendance.status, attendance.previous_status) == ("absent", "present")
    assert attendance.changed_at is not None


def test_attendance_refuses_strangers_and_the_future(collaboration, commissioner):
    meeting = factories.MeetingFactory(collaboration=collaboration)
    stranger = factories.ParticipationFactory()
    with pytest.raises(DomainError) as refused:
        services.attendance_record(
            actor=commissioner, meeting=meeting, participation=stranger, status="present"
        )
    assert refused.value.field == "participation"
    upcoming = factories.MeetingFactory(
        collaboration=collaboration, held_at=timezone.now() + dt.timedelta(days=3)
    )
    member = factories.ParticipationFactory(collaboration=collaboration)
    with pytest.raises(DomainError, match="only apologies") as refused:
        services.attendance_record(
            actor=commissioner, meeting=upcoming, participation=member, status="present"
        )
    assert refused.value.field == "status"
    services.attendance_record(
        actor=commissioner, meeting=upcoming, participation=member, status="apologies"
    )
    with pytest.raises(DomainError) as refused:
        services.attendance_record(
            actor=commissioner, meeting=meeting, participation=member, status="maybe"
        )
    assert refused.value.field == "status"


def test_a_partner_confirms_its_own_attendance_only(collaboration):
    meeting = factories.MeetingFactory(collaboration=collaboration)
    participation = factories.ParticipationFactory(collaboration=collaboration)
    other = factories.ParticipationFactory(collaboration=collaboration)
    token, _raw = factories.api_token(participation.organisation, write=True)
    attendance = services.attendance_confirm(
        actor=PartnerPrincipal(token=token), meeting=meeting, status="present"
    )
    assert (attendance.participation, attendance.confirmed_by_partner) == (participation, True)
    assert not Attendance.objects.filter(participation=other).exists()
    assert Activity.objects.get().participation == participation

    read_only, _raw = factories.api_token(participation.organisation, write=False)
    with pytest.raises(PermissionDenied):
        services.attendance_confirm(
            actor=PartnerPrincipal(token=read_only), meeting=meeting, status="absent"
        )
    outsider, _raw = factories.api_token(factories.OrganisationFactory(), write=True)
    with pytest.raises(DomainError, match="active part"):
        services.attendance_confirm(
            actor=PartnerPrincipal(token=outsider), meeting=meeting, status="present"
        )


def partner_actor(participation) -> PartnerPrincipal:
    token, _raw = factories.api_token(participation.organisation, write=True)
    return PartnerPrincipal(token=token)


@pytest.mark.parametrize("recorded", ["absent", "apologies"])
def test_what_a_manager_recorded_wins_over_a_partners_confirmation(
    collaboration, commissioner, recorded
):
    meeting = factories.MeetingFactory(collaboration=collaboration)
    participation = factories.ParticipationFactory(collaboration=collaboration)
    services.attendance_record(
        actor=commissioner, meeting=meeting, participation=participation, status=recorded
    )
    partner = partner_actor(participation)
    with pytest.raises(DomainError) as refused:
        services.attendance_confirm(actor=partner, meeting=meeting, status="present")
    assert refused.value.field == "status"
    assert f"already recorded as {recorded}" in refused.value.message
    attendance = Attendance.objects.get()
    assert (attendance.status, attendance.confirmed_by_partner) == (recorded, False)
    assert not Activity.objects.filter(kind=Activity.Kind.MEETING_ATTENDED).exists()

    # The partner may confirm what was recorded; the manager may still change it.
    services.attendance_confirm(actor=partner, meeting=meeting, status=recorded)
    attendance.refresh_from_db()
    assert (attendance.status, attendance.confirmed_by_partner) == (recorded, True)
    services.attendance_record(
        actor=commissioner, meeting=meeting, participation=participation, status="present"
    )
    assert Attendance.objects.get().status == "present"
    assert Activity.objects.filter(kind=Activity.Kind.MEETING_ATTENDED).count() == 1


def test_a_partner_does_not_rewrite_its_own_confirmation(collaboration):
    """Apologies sent in advance stand: after the meeting, only a manager turns them into
    "present"."""
    meeting = factories.MeetingFactory(
        collaboration=collaboration, held_at=timezone.now() + dt.timedelta(days=2)
    )
    participation = factories.ParticipationFactory(collaboration=collaboration)
    partner = partner_actor(participation)
    services.attendance_confirm(actor=partner, meeting=meeting, status="apologies")
    meeting.held_at = timezone.now() - dt.timedelta(days=1)
    meeting.save()
    with pytest.raises(DomainError, match="already recorded as apologies"):
        services.attendance_confirm(actor=partner, meeting=meeting, status="present")
    assert Attendance.objects.get().status == "apologies"


def test_a_partner_confirms_meetings_held_in_the_last_30_days_only(collaboration):
    participation = factories.ParticipationFactory(collaboration=collaboration)
    partner = partner_actor(participation)
    now = timezone.now()

    def meeting(days_ago, **kwargs):
        return factories.MeetingFactory(
            collaboration=collaboration, held_at=now - dt.timedelta(days=days_ago, **kwargs)
        )

    with pytest.raises(DomainError, match="more than 30 days ago") as refused:
        services.attendance_confirm(actor=partner, meeting=meeting(30, hours=1), status="present")
    assert refused.value.field == "status"
    with pytest.raises(DomainError, match="has not taken place yet"):
        services.attendance_confirm(actor=partner, meeting=meeting(-1), status="present")
    assert not Attendance.objects.exists()
    services.attendance_confirm(actor=partner, meeting=meeting(29, hours=23), status="present")
    services.attendance_confirm(actor=partner, meeting=meeting(-1), status="apologies")
    assert sorted(Attendance.objects.values_list("status", flat=True)) == [
        "apologies",
        "present",
    ]


def test_the_database_refuses_a_second_open_flag(collaboration):
    """At most one open flag per participation is a constraint of the database, not only of
    the code that writes flags (flag_one_open_per_participation)."""
    participation = factories.ParticipationFactory(collaboration=collaboration)
    factories.FlagFactory(participation=participation, status=Flag.Status.OPEN)
    for status in (Flag.Status.OPEN, Flag.Status.ACKNOWLEDGED):
        with pytest.raises(IntegrityError), transaction.atomic():
            factories.FlagFactory(participation=participation, status=status)
    # Closed flags are history: any number of them.
    for status in (Flag.Status.RESOLVED, Flag.Status.AUTO_CLOSED, Flag.Status.NOT_SCANNED):
        factories.FlagFactory(participation=participation, status=status)
    assert Flag.objects.filter(participation=participation).count() == 4


def test_attendance_of_many_at_once_is_all_or_nothing(collaboration, commissioner):
    meeting = factories.MeetingFactory(collaboration=collaboration)
    first = factories.ParticipationFactory(collaboration=collaboration)
    second = factories.ParticipationFactory(collaboration=collaboration)
    changed = services.attendance_record_many(
        actor=commissioner,
        meeting=meeting,
        statuses={first.pk: "present", second.pk: ""},
    )
    assert changed == 1
    with pytest.raises(DomainError):
        services.attendance_record_many(
            actor=commissioner,
            meeting=meeting,
            statuses={second.pk: "present", first.pk: "nonsense"},
        )
    assert not Attendance.objects.filter(participation=second).exists()


# Policy ---------------------------------------------------------------------------------------

GOOD_POLICY = {
    "window_days": 60,
    "weight_attendance": 40,
    "weight_obligations": 20,
    "weight_reporting": 10,
    "weight_recency": 20,
    "weight_signatures": 10,
    "engaged_min": 75,
    "at_risk_min": 45,
    "inactivity_days": 45,
    "overdue_grace_days": 30,
}


def test_policies_by_role(collaboration, commissioner, administrator):
    services.policy_set(actor=commissioner, collaboration=collaboration, **GOOD_POLICY)
    assert EngagementPolicy.objects.get(collaboration=collaboration).window_days == 60
    with pytest.raises(PermissionDenied):
        services.policy_set(actor=commissioner, collaboration=None, **GOOD_POLICY)
    services.policy_set(actor=administrator, collaboration=None, **GOOD_POLICY)
    services.policy_set(
        actor=administrator, collaboration=None, **{**GOOD_POLICY, "window_days": 30}
    )
    assert EngagementPolicy.objects.get(collaboration=None).window_days == 30
    assert services.policy_reset(actor=commissioner, collaboration=collaboration)
    policy, own = services.policy_in_force(collaboration=collaboration)
    assert (policy.window_days, own) == (30, False)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"engaged_min": 40}, "engaged_min"),
        ({"window_days": 0}, "window_days"),
        ({"weight_recency": 101}, "weight_recency"),
        ({"inactivity_days": "soon"}, "inactivity_days"),
        ({"drift_contact_left": 1001}, "drift_contact_left"),
        # A contact gone lowers the bar for drifting; it cannot be the whole bar.
        ({"drift_contact_left": 200, "drift_evidence": 200}, "drift_contact_left"),
        ({"drift_evidence": 40}, "drift_contact_left"),  # under the default 50 kept
        (
            {
                "weight_attendance": 0,
                "weight_obligations": 0,
                "weight_reporting": 0,
                "weight_recency": 0,
                "weight_signatures": 0,
            },
            "weight_attendance",
        ),
    ],
)
def test_a_bad_policy_is_refused_naming_the_field(administrator, change, field):
    with pytest.raises(DomainError) as refused:
        services.policy_set(actor=administrator, **{**GOOD_POLICY, **change})
    assert refused.value.field == field
    assert not EngagementPolicy.objects.exists()


# Activity entry points ------------------------------------------------------------------------


def test_activity_record_ignores_organisations_that_do_not_take_part(collaboration):
    participation = factories.ParticipationFactory(collaboration=collaboration)
    assert (
        services.activity_record(
            collaboration_id=collaboration.pk,
            organisation_id=factories.OrganisationFactory().pk,
            kind=Activity.Kind.API_CALL,
        )
        is None
    )
    activity = services.activity_record(
        collaboration_id=collaboration.pk,
        organisation_id=participation.organisation_id,
        kind=Activity.Kind.MEASUREMENT_REPORTED,
        description="x" * 400,
    )
    assert activity.participation == participation and len(activity.description) == 300


def test_api_use_is_logged_once_a_day_per_active_participation(collaboration):
    participation = factories.ParticipationFactory(collaboration=collaboration)
    factories.ParticipationFactory(
        organisation=participation.organisation, status=Participation.Status.WITHDRAWN
    )
    other = factories.ParticipationFactory(organisation=participation.organisation)
    use = {"organisation_id": participation.organisation_id, "collaboration_id": collaboration.pk}
    assert services.api_use_record(**use) == 1
    assert services.api_use_record(**use) == 0
    # Credited to the collaboration touched only, never to the organisation's others.
    assert list(
        Activity.objects.filter(kind=Activity.Kind.API_CALL).values_list(
            "participation_id", flat=True
        )
    ) == [participation.pk]
    assert not other.activities.exists()
