"""Measurement corrections and withdrawals (issue 16): the service, the API and the goal page."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from agreements import selectors, services
from agreements.models import Collaboration, Measurement, Participation
from commissioner.models import Activity
from core.actors import PartnerPrincipal
from core.errors import CONFLICT, DomainError
from tests import factories
from tests.conftest import token_client
from tests.querycount import query_budget


def principal(organisation, *, write=True) -> PartnerPrincipal:
    token, _raw = factories.api_token(organisation, write=write)
    return PartnerPrincipal(token=token)


def refused(call, *, field=None, code=None, contains=""):
    with pytest.raises(DomainError) as caught:
        call()
    if field is not None:
        assert caught.value.field == field, caught.value.message
    if code is not None:
        assert caught.value.code == code, caught.value.message
    assert contains in caught.value.message, caught.value.message
    return caught.value.message


DAY = dt.timedelta(days=1)


@pytest.fixture
def period_end():
    return timezone.localdate() - 30 * DAY


@pytest.fixture
def reported(goal, partner_staff, period_end):
    """Lakeside reported 150 riders for a period a month ago."""
    return services.measurement_report(
        actor=partner_staff, goal=goal, value=150, period_end=period_end
    )


# Services --------------------------------------------------------------------------------------


def test_the_reporting_organisation_corrects_the_value_and_progress_follows(
    goal, partner_staff, reported
):
    activities = Activity.objects.count()
    services.measurement_correct(
        actor=partner_staff, measurement=reported, value=300, reason="Typo: 300, not 150"
    )
    reported.refresh_from_db()
    assert reported.value == Decimal("300.00")
    assert reported.correction_reason == "Typo: 300, not 150"
    assert reported.corrected_at is not None
    # The history keeps both figures; no second "measurement reported".
    assert [h.value for h in reported.history.order_by("history_date")] == [
        Decimal("150.00"),
        Decimal("300.00"),
    ]
    assert Activity.objects.count() == activities
    fresh = selectors.goal_get_for(collaboration=goal.collaboration, pk=goal.pk)
    assert fresh.latest_value == Decimal("300.00")
    assert selectors.goal_progress(fresh).percent == 50  # (300 - 100) / (500 - 100)
    chart = selectors.goal_chart_data(goal, selectors.goal_measurements(goal=goal))
    assert "300" in str(chart) and "150.00" not in str(chart)


def test_a_manager_corrects_the_period_and_a_period_already_reported_is_a_conflict(
    goal, partner_staff, lead_staff, reported, period_end
):
    earlier = period_end - 10 * DAY
    services.measurement_correct(
        actor=lead_staff, measurement=reported, period_end=earlier, reason="Wrong month"
    )
    reported.refresh_from_db()
    assert reported.period_end == earlier
    other = services.measurement_report(
        actor=partner_staff, goal=goal, value=170, period_end=period_end
    )
    refused(
        lambda: services.measurement_correct(
            actor=partner_staff, measurement=other, period_end=earlier, reason="Oops"
        ),
        field="period_end",
        code=CONFLICT,
        contains="correct or withdraw that measurement instead",
    )
    # The period bounds of a report apply to a correction too.
    refused(
        lambda: services.measurement_correct(
            actor=partner_staff,
            measurement=other,
            period_end=timezone.localdate() + DAY,
            reason="x",
        ),
        field="period_end",
        contains="cannot be in the future",
    )


def test_a_correction_needs_a_reason_a_change_and_a_number(partner_staff, reported):
    refused(
        lambda: services.measurement_correct(
            actor=partner_staff, measurement=reported, value=1, reason="  "
        ),
        field="reason",
    )
    refused(
        lambda: services.measurement_correct(
            actor=partner_staff, measurement=reported, value=1, reason="x" * 20_001
        ),
        field="reason",
        contains="too long",
    )
    refused(
        lambda: services.measurement_correct(
            actor=partner_staff, measurement=reported, reason="Nothing"
        ),
        field="value",
    )
    refused(
        lambda: services.measurement_correct(
            actor=partner_staff, measurement=reported, value="lots", reason="x"
        ),
        field="value",
        contains="Enter a number",
    )
    # The same correction again (a retry) writes nothing.
    services.measurement_correct(actor=partner_staff, measurement=reported, value=2, reason="x")
    services.measurement_correct(actor=partner_staff, measurement=reported, value=2, reason="x")
    assert reported.history.count() == 2


def test_only_the_reporting_organisation_and_managers_may_correct_or_withdraw(
    goal, lead, partner, outsider_staff, commissioner_user, reported
):
    for actor in (outsider_staff, principal(partner, write=False), principal(lead)):
        with pytest.raises(PermissionDenied):
            services.measurement_correct(actor=actor, measurement=reported, value=1, reason="x")
        with pytest.raises(PermissionDenied):
            services.measurement_withdraw(actor=actor, measurement=reported, reason="x")
    services.measurement_correct(
        actor=principal(partner), measurement=reported, value=1, reason="By token"
    )
    services.measurement_correct(
        actor=commissioner_user, measurement=reported, value=2, reason="By the commissioner"
    )
    reported.refresh_from_db()
    assert reported.value == Decimal("2.00")


def test_withdrawal_hides_the_measurement_keeps_its_history_and_frees_the_period(
    goal, partner, partner_staff, reported, period_end
):
    activities = Activity.objects.count()
    services.measurement_withdraw(
        actor=partner_staff, measurement=reported, reason="Reported for the wrong goal"
    )
    assert not Measurement.objects.filter(pk=reported.pk).exists()
    row = Measurement.all_objects.get(pk=reported.pk)
    assert row.withdrawn_at is not None and row.withdrawn_reason == "Reported for the wrong goal"
    assert row.history.count() == 2
    assert selectors.goal_measurements(goal=goal) == []
    assert selectors.goal_get_for(collaboration=goal.collaboration, pk=goal.pk).latest_value is None
    assert Activity.objects.count() == activities
    refused(
        lambda: services.measurement_withdraw(actor=partner_staff, measurement=row, reason="x"),
        code=CONFLICT,
        contains="was withdrawn on",
    )
    refused(
        lambda: services.measurement_correct(
            actor=partner_staff, measurement=row, value=9, reason="x"
        ),
        code=CONFLICT,
    )
    again = services.measurement_report(
        actor=partner_staff, goal=goal, value=160, period_end=period_end
    )
    assert again.pk != reported.pk and not again.is_repeat
    assert Measurement.all_objects.filter(goal=goal, period_end=period_end).count() == 2


def test_final_states_refuse_corrections(collaboration, partner, partner_staff, reported):
    participation = Participation.objects.get(collaboration=collaboration, organisation=partner)
    participation.status = Participation.Status.WITHDRAWN
    participation.save()
    refused(
        lambda: services.measurement_correct(
            actor=partner_staff, measurement=reported, value=1, reason="x"
        ),
        contains="withdrew from",
    )
    participation.status = Participation.Status.ACTIVE
    participation.save()
    collaboration.status = Collaboration.Status.CONCLUDED
    collaboration.save()
    refused(
        lambda: services.measurement_withdraw(
            actor=partner_staff, measurement=reported, reason="x"
        ),
        contains="accepts no more",
    )


def test_a_repeated_report_with_another_value_points_to_the_correction(
    goal, partner_staff, reported, period_end
):
    refused(
        lambda: services.measurement_report(
            actor=partner_staff, goal=goal, value=1, period_end=period_end
        ),
        code=CONFLICT,
        contains=f"/api/v1/measurements/{reported.pk}/correct/",
    )


# API -------------------------------------------------------------------------------------------


def url(measurement, action):
    return f"/api/v1/measurements/{measurement.pk}/{action}/"


def test_api_correct_and_withdraw(goal, lead, partner, outsider, reported, period_end):
    api = token_client(partner)
    bad = api.post(url(reported, "correct"), {"value": "many", "reason": "x"}, format="json")
    assert bad.status_code == 400 and "value" in bad.json()
    assert api.post(url(reported, "correct"), {"value": 5}, format="json").status_code == 400
    assert (
        token_client(partner, write=False)
        .post(url(reported, "correct"), {"value": 5, "reason": "x"}, format="json")
        .status_code
        == 403
    )
    assert (
        token_client(outsider)
        .post(url(reported, "correct"), {"value": 5, "reason": "x"}, format="json")
        .status_code
        == 404
    )
    ok = api.post(url(reported, "correct"), {"value": "175.5", "reason": "Typo"}, format="json")
    assert ok.status_code == 200, ok.content
    assert ok.json()["value"] == "175.50" and ok.json()["correction_reason"] == "Typo"
    assert ok.json()["withdrawn_at"] is None
    other = services.measurement_report(
        actor=principal(partner), goal=goal, value=1, period_end=period_end - DAY
    )
    clash = api.post(
        url(other, "correct"), {"period_end": period_end.isoformat(), "reason": "x"}, format="json"
    )
    assert clash.status_code == 409 and "period_end" in clash.json()

    gone = api.post(url(reported, "withdraw"), {"reason": "Wrong goal"}, format="json")
    assert gone.status_code == 200 and gone.json()["withdrawn_at"] is not None
    assert gone.json()["withdrawn_reason"] == "Wrong goal"
    assert api.post(url(reported, "withdraw"), {"reason": "x"}, format="json").status_code == 409
    listed = [m["id"] for m in api.get("/api/v1/measurements/").json()["results"]]
    assert listed == [other.pk]
    everything = api.get("/api/v1/measurements/?include_withdrawn=true").json()["results"]
    assert {m["id"] for m in everything} == {other.pk, reported.pk}
    assert api.get(f"/api/v1/measurements/{reported.pk}/").json()["withdrawn_at"] is not None
    # The period is free again.
    again = api.post(
        "/api/v1/measurements/",
        {"goal": goal.pk, "value": 160, "period_end": period_end.isoformat()},
        format="json",
    )
    assert again.status_code == 201


def test_api_a_withdrawal_needs_a_reason(partner, reported):
    api = token_client(partner)
    answer = api.post(url(reported, "withdraw"), {}, format="json")
    assert answer.status_code == 400 and "reason" in answer.json()


# The goal page ---------------------------------------------------------------------------------


def test_the_goal_page_offers_correct_and_withdraw_to_who_may(
    client, collaboration, goal, partner_staff, outsider_staff, lead, reported
):
    page = reverse("agreements:goal_detail", args=[collaboration.slug, goal.pk])
    correct = reverse(
        "agreements:measurement_correct", args=[collaboration.slug, goal.pk, reported.pk]
    )
    withdraw = reverse(
        "agreements:measurement_withdraw", args=[collaboration.slug, goal.pk, reported.pk]
    )
    client.force_login(partner_staff)
    html = client.get(page).content.decode()
    assert correct in html and withdraw in html

    form = client.get(correct)
    assert form.status_code == 200 and 'name="reason"' in form.content.decode()
    refused_form = client.post(correct, {"value": "150.00", "period_end": "", "reason": ""})
    assert refused_form.status_code == 200
    assert "error" in refused_form.content.decode().lower()
    done = client.post(
        correct,
        {"value": "210", "period_end": reported.period_end.isoformat(), "reason": "Typo"},
    )
    assert done.status_code == 302
    reported.refresh_from_db()
    assert reported.value == Decimal("210.00")
    html = client.get(page).content.decode()
    assert "210.00" in html and "Corrected: Typo" in html

    done = client.post(withdraw, {"reason": "Reported in error"})
    assert done.status_code == 302
    assert client.get(withdraw).status_code == 404
    assert "210.00" not in client.get(page).content.decode().split("History")[0]

    lead_member = factories.staff_user(factories.OrganisationFactory(), username="someone-else")
    other = services.measurement_report(
        actor=partner_staff, goal=goal, value=1, period_end=reported.period_end
    )
    client.force_login(lead_member)
    other_correct = reverse(
        "agreements:measurement_correct", args=[collaboration.slug, goal.pk, other.pk]
    )
    assert client.get(other_correct).status_code in (403, 404)


def test_the_admin_still_lists_a_withdrawn_measurement(admin_client, partner_staff, reported):
    services.measurement_withdraw(actor=partner_staff, measurement=reported, reason="In error")
    page = admin_client.get(reverse("admin:agreements_measurement_changelist"))
    assert page.status_code == 200
    assert f"/admin/agreements/measurement/{reported.pk}/" in page.content.decode()


def test_a_scan_for_a_day_before_the_withdrawal_still_counts_the_report(
    collaboration, goal, partner, partner_staff
):
    """As-of truth (docs/engagement.md): a withdrawn report no longer counts from the moment it
    was withdrawn, but a scan for an earlier day still counts it, as a withdrawn activity."""
    from commissioner.engagement import (
        Day,
        ParticipationRow,
        default_policy,
        policies_for,
        read_figures,
    )

    # The goal was set long before both scan dates.
    type(goal).objects.filter(pk=goal.pk).update(
        created_at=timezone.now() - 100 * DAY, cadence=type(goal).Cadence.MONTHLY
    )
    measurement = factories.MeasurementFactory(
        goal=goal,
        reported_by_organisation=partner,
        period_end=timezone.localdate() - 12 * DAY,
        reported_at=timezone.now() - 10 * DAY,
    )
    participation = Participation.objects.get(collaboration=collaboration, organisation=partner)
    row = ParticipationRow(
        participation.pk, collaboration.pk, partner.pk, timezone.localdate() - 100 * DAY
    )
    policies = policies_for({collaboration.pk}, default=default_policy())

    def made(day):
        return read_figures([row], policies, Day.of(day))[row.pk].reports_made

    today, earlier = timezone.localdate(), timezone.localdate() - 5 * DAY
    assert (made(today), made(earlier)) == (1, 1)
    services.measurement_withdraw(actor=partner_staff, measurement=measurement, reason="Error")
    assert (made(today), made(earlier)) == (0, 1)


def test_the_correct_form_refuses_no_change_and_another_organisations_measurement(
    client, collaboration, goal, lead, lead_staff, partner_staff, reported
):
    correct = reverse(
        "agreements:measurement_correct", args=[collaboration.slug, goal.pk, reported.pk]
    )
    client.force_login(partner_staff)
    unchanged = client.post(
        correct,
        {"value": "150.00", "period_end": reported.period_end.isoformat(), "reason": "Same"},
    )
    assert unchanged.status_code == 200
    assert "this is what was reported" in unchanged.content.decode()
    assert reported.history.count() == 1
    theirs = services.measurement_report(
        actor=lead_staff, goal=goal, value=7, period_end=reported.period_end, organisation=lead
    )
    page = reverse("agreements:goal_detail", args=[collaboration.slug, goal.pk])
    their_correct = reverse(
        "agreements:measurement_correct", args=[collaboration.slug, goal.pk, theirs.pk]
    )
    assert their_correct not in client.get(page).content.decode()
    assert client.get(their_correct).status_code == 403
    assert client.post(their_correct, {"value": "8", "reason": "x"}).status_code == 403


def test_the_list_with_withdrawn_measurements_has_a_pinned_query_count(goal, partner, lead):
    api = token_client(partner)

    def grow(n):
        for _ in range(n):
            measurement = factories.MeasurementFactory(
                goal=goal,
                reported_by_organisation=partner,
                period_end=timezone.localdate() - (Measurement.all_objects.count() + 1) * DAY,
            )
            services.measurement_withdraw(
                actor=principal(partner), measurement=measurement, reason="In error"
            )

    grow(2)
    path = "/api/v1/measurements/?include_withdrawn=true"
    api.get(path)  # the token's daily API-use activity is recorded once
    with query_budget("agreements.api_measurement_list_with_withdrawn"):
        first = api.get(path).json()["results"]
    grow(3)
    with query_budget("agreements.api_measurement_list_with_withdrawn"):
        second = api.get(path).json()["results"]
    assert len(first) == 2 and len(second) == 5
    assert all(m["withdrawn_at"] for m in second)
    assert api.get("/api/v1/measurements/").json()["results"] == []
