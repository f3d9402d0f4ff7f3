"""The commissioner's API: meetings and attendance confirmation for partners, their own
engagement snapshots, and flags and interventions for commissioners only."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from commissioner import services
from commissioner.models import Activity, Attendance, Flag, Intervention
from tests import factories
from tests.conftest import token_client
from tests.querycount import query_budget

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup(collaboration):
    """Two partners in one collaboration, and an outsider in another."""
    mine = factories.ParticipationFactory(collaboration=collaboration)
    theirs = factories.ParticipationFactory(collaboration=collaboration)
    outsider = factories.ParticipationFactory()
    meeting = factories.MeetingFactory(collaboration=collaboration)
    foreign_meeting = factories.MeetingFactory(collaboration=outsider.collaboration)
    return {
        "mine": mine,
        "theirs": theirs,
        "outsider": outsider,
        "meeting": meeting,
        "foreign_meeting": foreign_meeting,
        "api": token_client(mine.organisation, write=True),
    }


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def session(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


# Meetings -------------------------------------------------------------------------------------


def test_a_partner_lists_only_its_collaborations_meetings(setup):
    response = setup["api"].get("/api/v1/meetings/")
    assert ids(response) == [setup["meeting"].pk]
    assert setup["api"].get(f"/api/v1/meetings/{setup['foreign_meeting'].pk}/").status_code == 404


def test_a_partner_confirms_its_own_attendance(setup):
    url = f"/api/v1/meetings/{setup['meeting'].pk}/confirm-attendance/"
    response = setup["api"].post(url, {"status": "apologies"}, format="json")
    assert response.status_code == 200, response.content
    rows = response.json()["attendances"]
    assert [(r["organisation"]["id"], r["status"], r["confirmed_by_partner"]) for r in rows] == [
        (setup["mine"].organisation_id, "apologies", True)
    ]
    assert not Attendance.objects.filter(participation=setup["theirs"]).exists()


def test_confirming_attendance_refuses_bad_input_and_foreign_meetings(setup):
    meeting_url = f"/api/v1/meetings/{setup['meeting'].pk}/confirm-attendance/"
    response = setup["api"].post(meeting_url, {"status": "maybe"}, format="json")
    assert response.status_code == 400 and "status" in response.json()
    response = setup["api"].post(meeting_url, {}, format="json")
    assert response.status_code == 400 and "status" in response.json()
    future = factories.MeetingFactory(
        collaboration=setup["meeting"].collaboration,
        held_at=timezone.now() + dt.timedelta(days=2),
    )
    response = setup["api"].post(
        f"/api/v1/meetings/{future.pk}/confirm-attendance/", {"status": "present"}, format="json"
    )
    assert response.status_code == 400 and "status" in response.json()
    foreign = f"/api/v1/meetings/{setup['foreign_meeting'].pk}/confirm-attendance/"
    assert setup["api"].post(foreign, {"status": "present"}, format="json").status_code == 404
    read_only = token_client(setup["mine"].organisation, write=False)
    assert read_only.post(meeting_url, {"status": "present"}, format="json").status_code == 403
    assert not Attendance.objects.exists()


def test_a_withdrawn_partner_cannot_confirm(setup):
    setup["mine"].status = "withdrawn"
    setup["mine"].save()
    url = f"/api/v1/meetings/{setup['meeting'].pk}/confirm-attendance/"
    # It still reads the meeting (any participation status), but may not act on it.
    assert setup["api"].get(f"/api/v1/meetings/{setup['meeting'].pk}/").status_code == 200
    assert setup["api"].post(url, {"status": "present"}, format="json").status_code == 404


def test_a_partner_cannot_overwrite_what_a_manager_recorded(setup, commissioner):
    """The manager recorded the partner absent: a token confirming "present" is refused, the
    record stays, and no "meeting attended" sign of life appears."""
    meeting = setup["meeting"]
    services.attendance_record(
        actor=commissioner, meeting=meeting, participation=setup["mine"], status="absent"
    )
    url = f"/api/v1/meetings/{meeting.pk}/confirm-attendance/"
    response = setup["api"].post(url, {"status": "present"}, format="json")
    assert response.status_code == 409, response.content
    assert response.json() == {
        "status": [
            "Your organisation's attendance at this meeting is already recorded as absent; only "
            "the collaboration's managers can change it."
        ]
    }
    attendance = Attendance.objects.get(participation=setup["mine"])
    assert (attendance.status, attendance.confirmed_by_partner) == ("absent", False)
    assert not Activity.objects.filter(
        participation=setup["mine"], kind=Activity.Kind.MEETING_ATTENDED
    ).exists()
    # Confirming what was recorded is fine, and says the partner agrees.
    response = setup["api"].post(url, {"status": "absent"}, format="json")
    assert response.status_code == 200, response.content
    attendance.refresh_from_db()
    assert (attendance.status, attendance.confirmed_by_partner) == ("absent", True)


def test_a_partner_confirms_only_recent_meetings(setup):
    collaboration = setup["meeting"].collaboration
    old = factories.MeetingFactory(
        collaboration=collaboration, held_at=timezone.now() - dt.timedelta(days=31)
    )
    recent = factories.MeetingFactory(
        collaboration=collaboration, held_at=timezone.now() - dt.timedelta(days=29)
    )
    response = setup["api"].post(
        f"/api/v1/meetings/{old.pk}/confirm-attendance/", {"status": "present"}, format="json"
    )
    assert response.status_code == 400
    assert "more than 30 days ago" in response.json()["status"][0]
    assert not Attendance.objects.filter(meeting=old).exists()
    response = setup["api"].post(
        f"/api/v1/meetings/{recent.pk}/confirm-attendance/", {"status": "present"}, format="json"
    )
    assert response.status_code == 200, response.content


HUGE_ID = "99999999999999999999999"


@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("meetings", "collaboration"),
        ("engagement", "collaboration"),
        ("engagement", "organisation"),
        ("flags", "collaboration"),
        ("flags", "organisation"),
        ("interventions", "flag"),
    ],
)
@pytest.mark.parametrize("value", [HUGE_ID, "1.5", "0", "-3"])
def test_an_id_filter_that_is_not_a_valid_id_is_a_400(setup, commissioner, path, name, value):
    """Not a 500 on SQLite (an integer overflow), nor on PostgreSQL 1.5 silently read as 1: a
    400 naming the filter, on every engine."""
    response = session(commissioner).get(f"/api/v1/{path}/", {name: value})
    assert response.status_code == 400, response.content
    assert list(response.json()) == [name]


def test_the_meeting_list_query_count_does_not_grow(setup):
    collaboration = setup["meeting"].collaboration
    # The token's first call records its use (last used, API activity): not part of the list.
    setup["api"].get("/api/v1/me/")
    for _ in range(2):
        for _ in range(3):
            meeting = factories.MeetingFactory(collaboration=collaboration)
            factories.AttendanceFactory(meeting=meeting, participation=setup["mine"])
            factories.AttendanceFactory(meeting=meeting, participation=setup["theirs"])
        with query_budget("commissioner.api_meetings_list"):
            assert setup["api"].get("/api/v1/meetings/").status_code == 200


# Engagement -----------------------------------------------------------------------------------


def test_a_partner_reads_only_its_own_snapshots(setup, scan_date):
    own = factories.EngagementSnapshotFactory(
        participation=setup["mine"], reasons=["no activity in 63 days"]
    )
    factories.EngagementSnapshotFactory(participation=setup["theirs"])
    factories.EngagementSnapshotFactory(participation=setup["outsider"])
    response = setup["api"].get("/api/v1/engagement/")
    assert ids(response) == [own.pk]
    row = response.json()["results"][0]
    assert row["reasons"] == ["no activity in 63 days"]
    assert row["organisation"]["id"] == setup["mine"].organisation_id
    theirs = setup["theirs"].snapshots.get()
    assert setup["api"].get(f"/api/v1/engagement/{theirs.pk}/").status_code == 404


def test_snapshots_filter_by_collaboration_and_date(setup, commissioner):
    today = timezone.localdate()
    kept = factories.EngagementSnapshotFactory(participation=setup["mine"], scan_date=today)
    factories.EngagementSnapshotFactory(
        participation=setup["mine"], scan_date=today - dt.timedelta(days=1)
    )
    factories.EngagementSnapshotFactory(participation=setup["outsider"], scan_date=today)
    client = session(commissioner)
    collaboration = setup["mine"].collaboration_id
    response = client.get(f"/api/v1/engagement/?collaboration={collaboration}&scan_date={today}")
    assert ids(response) == [kept.pk]
    assert client.get("/api/v1/engagement/?scan_date=yesterday").status_code == 400
    assert client.get("/api/v1/engagement/?ordering=secret").status_code == 400


def test_staff_read_only_their_own_organisations_snapshots(setup):
    staff = factories.staff_user(setup["mine"].organisation)
    own = factories.EngagementSnapshotFactory(participation=setup["mine"])
    factories.EngagementSnapshotFactory(participation=setup["theirs"])
    assert ids(session(staff).get("/api/v1/engagement/")) == [own.pk]


def test_the_engagement_list_query_count_does_not_grow(setup, commissioner):
    client = session(commissioner)
    for round_ in range(2):
        for days in range(3):
            factories.EngagementSnapshotFactory(
                participation=factories.ParticipationFactory(),
                scan_date=timezone.localdate() - dt.timedelta(days=days + 10 * round_),
            )
        with query_budget("commissioner.api_engagement_list"):
            assert client.get("/api/v1/engagement/").status_code == 200


# Flags and interventions ----------------------------------------------------------------------


def test_partners_and_staff_are_refused_flags_and_interventions(setup):
    flag = factories.FlagFactory(participation=setup["mine"])
    intervention = factories.InterventionFactory(flag=flag)
    staff = session(factories.staff_user(setup["mine"].organisation))
    for client in (setup["api"], staff):
        assert client.get("/api/v1/flags/").status_code == 403
        assert client.get("/api/v1/interventions/").status_code == 403
        assert client.get(f"/api/v1/flags/{flag.pk}/").status_code == 404
        assert client.get(f"/api/v1/interventions/{intervention.pk}/").status_code == 404
        assert client.post(f"/api/v1/flags/{flag.pk}/acknowledge/").status_code == 404
        assert (
            client.post(
                f"/api/v1/interventions/{intervention.pk}/complete/", {"outcome": "x"}
            ).status_code
            == 404
        )
        response = client.post(
            "/api/v1/interventions/",
            {"flag": flag.pk, "kind": "call", "description": "x"},
            format="json",
        )
        assert response.status_code == 403
    assert Flag.objects.get().status == "open"
    assert Intervention.objects.count() == 1


def test_a_commissioner_works_a_flag_through_the_api(setup, commissioner):
    flag = factories.FlagFactory(participation=setup["mine"])
    client = session(commissioner)
    assert ids(client.get("/api/v1/flags/?status=open")) == [flag.pk]
    assert ids(client.get("/api/v1/flags/?status=resolved")) == []
    response = client.post(f"/api/v1/flags/{flag.pk}/acknowledge/")
    assert response.status_code == 200 and response.json()["status"] == "acknowledged"
    response = client.post(f"/api/v1/flags/{flag.pk}/acknowledge/")
    assert response.status_code == 409 and "status" in response.json()

    response = client.post(
        "/api/v1/interventions/",
        {"flag": flag.pk, "kind": "meeting", "description": "Meet the board", "due_date": None},
        format="json",
    )
    assert response.status_code == 201, response.content
    intervention_id = response.json()["id"]
    response = client.post(
        "/api/v1/interventions/", {"flag": 999999, "kind": "call", "description": "x"}
    )
    assert response.status_code == 400 and "flag" in response.json()
    response = client.post(f"/api/v1/interventions/{intervention_id}/complete/", {"outcome": ""})
    assert response.status_code == 400 and "outcome" in response.json()
    response = client.post(
        f"/api/v1/interventions/{intervention_id}/complete/", {"outcome": "Agreed a plan"}
    )
    assert response.status_code == 200 and response.json()["outcome"] == "Agreed a plan"

    response = client.post(f"/api/v1/flags/{flag.pk}/resolve/", {"note": ""})
    assert response.status_code == 400 and "note" in response.json()
    response = client.post(f"/api/v1/flags/{flag.pk}/resolve/", {"note": "Back on track"})
    assert response.status_code == 200 and response.json()["status"] == "resolved"


@pytest.mark.parametrize("resource", ["flags", "interventions"])
def test_flag_and_intervention_lists_query_count_does_not_grow(resource, commissioner):
    client = session(commissioner)
    for _ in range(2):
        for _ in range(3):
            factories.InterventionFactory(flag=factories.FlagFactory())
        with query_budget(f"commissioner.api_{resource}_list"):
            assert client.get(f"/api/v1/{resource}/").status_code == 200
