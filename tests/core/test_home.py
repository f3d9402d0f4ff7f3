"""A staff user's home page: their organisation's collaborations, what is due soon (obligations,
agreements awaiting its signature, progress reports expected) and the next meetings — theirs
only, in a number of queries that does not grow with the data."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from agreements.models import Agreement, Collaboration, Obligation, SharedGoal
from tests import factories
from tests.querycount import query_budget

pytestmark = pytest.mark.django_db


def section(body: str, heading_id: str) -> str:
    return body.split(f'id="{heading_id}"')[1].split("</section>")[0]


def build(organisation, *, label: str) -> Collaboration:
    """A running collaboration `organisation` takes part in with one of everything due."""
    today = timezone.localdate()
    collaboration = factories.CollaborationFactory(title=f"{label} collaboration")
    factories.ParticipationFactory(collaboration=collaboration, organisation=organisation)
    factories.ObligationFactory(
        collaboration=collaboration,
        organisation=organisation,
        description=f"{label} dues",
        due_date=today + dt.timedelta(days=5),
    )
    agreement = factories.AgreementFactory(
        collaboration=collaboration,
        title=f"{label} MOU",
        status=Agreement.Status.CIRCULATING,
        circulated_on=today - dt.timedelta(days=3),
    )
    factories.SignatoryFactory(agreement=agreement, organisation=organisation)
    goal = factories.SharedGoalFactory(
        collaboration=collaboration, title=f"{label} riders", cadence=SharedGoal.Cadence.MONTHLY
    )
    factories.MeasurementFactory(
        goal=goal, reported_by_organisation=organisation, period_end=today - dt.timedelta(days=40)
    )
    factories.MeetingFactory(
        collaboration=collaboration,
        title=f"{label} board",
        held_at=timezone.now() + dt.timedelta(days=3),
    )
    return collaboration


def test_staff_see_what_concerns_their_organisation(staff_client, organisation):
    today = timezone.localdate()
    mine = build(organisation, label="Ours")
    build(factories.OrganisationFactory(), label="Theirs")
    # Not due: met, far off, already signed, reported recently, a past meeting.
    factories.ObligationFactory(
        collaboration=mine,
        organisation=organisation,
        description="Met already",
        due_date=today,
        status=Obligation.Status.MET,
        met_at=timezone.now(),
    )
    factories.ObligationFactory(
        collaboration=mine,
        organisation=organisation,
        description="Next year",
        due_date=today + dt.timedelta(days=300),
    )
    signed = factories.AgreementFactory(
        collaboration=mine, title="Signed MOU", status=Agreement.Status.CIRCULATING
    )
    factories.SignatoryFactory(
        agreement=signed, organisation=organisation, signed_at=timezone.now()
    )
    fresh = factories.SharedGoalFactory(collaboration=mine, title="Fresh goal")
    factories.MeasurementFactory(
        goal=fresh, reported_by_organisation=organisation, period_end=today
    )
    factories.MeetingFactory(collaboration=mine, title="Last month's board")
    overdue = factories.ObligationFactory(
        collaboration=mine,
        organisation=organisation,
        description="Late report",
        due_date=today - dt.timedelta(days=4),
    )

    body = staff_client.get("/").content.decode()
    due = section(body, "due-heading")
    assert "Ours dues" in due and "Late report" in due and "overdue" in due
    assert due.index(overdue.description) < due.index("Ours dues")  # soonest first
    assert "Ours MOU" in due and "Signed MOU" not in due
    assert "Report on Ours riders" in due and "Fresh goal" not in due
    assert "Theirs" not in due
    assert "Met already" not in due and "Next year" not in due
    meetings = section(body, "meetings-heading")
    assert "Ours board" in meetings and "Theirs board" not in meetings
    assert "Last month" not in meetings
    collaborations = section(body, "mine-heading")
    assert "Ours collaboration" in collaborations and "Theirs" not in collaborations


def test_a_quiet_home_says_nothing_is_due(staff_client):
    body = staff_client.get("/").content.decode()
    assert "Nothing is due soon" in body
    assert "No meeting is scheduled" in body
    assert "does not take part in any collaboration yet" in body


def test_the_home_query_count_does_not_grow(staff_client, organisation):
    build(organisation, label="First")
    with query_budget("collabhub.staff_home"):
        assert staff_client.get("/").status_code == 200
    for number in range(4):
        build(organisation, label=f"More {number}")
    with query_budget("collabhub.staff_home"):
        body = staff_client.get("/").content.decode()
    assert "More 3 board" in body
