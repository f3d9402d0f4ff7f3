"""Long horizons, not election cycles: jurisdictions and their election dates, a collaboration's
timeline, the warnings when a goal target, a renewal or the planned end falls in a partner's
election period or the horizon is shorter than an electoral cycle, and the pages that show them."""

import datetime as dt

import pytest
from django.db import IntegrityError
from django.utils import timezone

from agreements.models import Agreement, Collaboration
from agreements.timeline import collaboration_timeline
from partners import demo as partners_demo
from partners import demo_elections
from partners.models import ElectionDate, Jurisdiction, Organisation
from tests import factories
from tests.agreements.test_views import html, text
from tests.querycount import query_budget

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 6, 1)
POLLING = dt.date(2026, 10, 26)  # Ontario's municipal election


@pytest.fixture
def ontario(lead, partner):
    municipal = Jurisdiction.objects.create(
        name="Ontario municipalities", kind=Jurisdiction.Kind.MUNICIPAL
    )
    ElectionDate.objects.create(jurisdiction=municipal, date=POLLING, description="General")
    federal = Jurisdiction.objects.create(name="Canada", kind=Jurisdiction.Kind.FEDERAL)
    ElectionDate.objects.create(jurisdiction=federal, date=dt.date(2029, 10, 15))
    Organisation.objects.filter(pk=lead.pk).update(
        municipal_jurisdiction=municipal, federal_jurisdiction=federal
    )
    Organisation.objects.filter(pk=partner.pk).update(municipal_jurisdiction=municipal)
    return municipal


def timeline_of(collaboration, today=TODAY):
    collaboration.refresh_from_db()
    return collaboration_timeline(collaboration, today=today)


def test_a_goal_target_in_a_partners_election_period_is_warned(collaboration, ontario):
    collaboration.start_date, collaboration.planned_end_date = TODAY, dt.date(2032, 1, 1)
    collaboration.save()
    factories.SharedGoalFactory(
        collaboration=collaboration, title="Riders", target_date=POLLING + dt.timedelta(days=30)
    )
    factories.SharedGoalFactory(
        collaboration=collaboration, title="Routes", target_date=POLLING + dt.timedelta(days=61)
    )
    timeline = timeline_of(collaboration)
    assert len(timeline.warnings) == 1, timeline.warnings
    warning = timeline.warnings[0]
    assert "Target date of the goal “Riders” (2026-11-25)" in warning
    assert "Ontario municipalities: polling day 2026-10-26" in warning
    assert "City of Riverton, Town of Lakeside" in warning
    kinds = [event.kind for event in timeline.events]
    assert kinds == ["start", "election", "target", "target", "election", "planned_end"]
    assert timeline.events[4].label == "Canada election"  # Riverton's federal one, 2029


def test_the_planned_end_and_a_renewal_in_the_period_are_warned(collaboration, ontario):
    collaboration.start_date = dt.date(2020, 1, 1)
    collaboration.planned_end_date = POLLING - dt.timedelta(days=90)  # the first day of the period
    collaboration.save()
    factories.AgreementFactory(
        collaboration=collaboration,
        title="Transit MOU",
        status=Agreement.Status.IN_FORCE,
        effective_date=dt.date(2020, 1, 1),
        expiry_date=dt.date(2027, 6, 30),
        renewal_notice_days=240,  # notice due 2026-11-02
    )
    warnings = timeline_of(collaboration).warnings
    assert any(w.startswith("The planned end (2026-07-28)") for w in warnings), warnings
    assert any(w.startswith("Renewal notice for “Transit MOU”") for w in warnings), warnings
    assert not any("Expiry of “Transit MOU”" in w for w in warnings)  # 2027-06-30 is clear
    assert len(warnings) == 2


def test_the_election_period_is_configurable(collaboration, ontario, settings):
    collaboration.start_date, collaboration.planned_end_date = TODAY, dt.date(2032, 1, 1)
    collaboration.save()
    factories.SharedGoalFactory(
        collaboration=collaboration, target_date=POLLING - dt.timedelta(days=20)
    )
    assert len(timeline_of(collaboration).warnings) == 1
    settings.ELECTION_PERIOD_DAYS_BEFORE = 10
    assert timeline_of(collaboration).warnings == []


def test_a_horizon_shorter_than_an_electoral_cycle_is_warned(collaboration, ontario):
    collaboration.start_date, collaboration.planned_end_date = TODAY, dt.date(2028, 9, 1)
    collaboration.save()
    (warning,) = timeline_of(collaboration).warnings
    assert "runs 2 years and 3 months (2026-06-01 to 2028-09-01)" in warning
    assert "one electoral cycle of Ontario municipalities (4 years" in warning
    collaboration.planned_end_date = dt.date(2031, 1, 1)
    collaboration.save()
    assert timeline_of(collaboration).warnings == []


def test_past_dates_and_closed_collaborations_are_not_warned(collaboration, ontario):
    collaboration.start_date, collaboration.planned_end_date = dt.date(2020, 1, 1), POLLING
    collaboration.save()
    assert len(timeline_of(collaboration).warnings) == 1
    assert timeline_of(collaboration, today=POLLING + dt.timedelta(days=1)).warnings == []
    collaboration.status = Collaboration.Status.CONCLUDED
    collaboration.save()
    assert timeline_of(collaboration).warnings == []


def test_without_jurisdictions_there_is_nothing_to_warn(collaboration):
    collaboration.planned_end_date = timezone.localdate() + dt.timedelta(days=30)
    collaboration.save()
    timeline = timeline_of(collaboration, today=timezone.localdate())
    assert timeline.warnings == [] and timeline.elections == []


def test_election_dates_are_unique_per_jurisdiction(ontario):
    with pytest.raises(IntegrityError):
        ElectionDate.objects.create(jurisdiction=ontario, date=POLLING)


def test_the_demo_has_real_canadian_dates_and_links_its_governments():
    partners_demo.seed()
    first = demo_elections.seed()
    assert demo_elections.seed().startswith("0 jurisdictions created, 0 organisation links")
    assert first.startswith("3 jurisdictions created")
    riverton = Organisation.objects.get(slug="riverton")
    assert riverton.municipal_jurisdiction.name == "Ontario municipalities"
    assert riverton.municipal_jurisdiction.elections.filter(date=POLLING).exists()
    assert riverton.provincial_jurisdiction.name == "Ontario"
    assert riverton.federal_jurisdiction.elections.filter(date=dt.date(2025, 4, 28)).exists()
    assert Organisation.objects.get(slug="pinecrest").municipal_jurisdiction is None


# Pages ------------------------------------------------------------------------------------------


@pytest.fixture
def near_election(collaboration, ontario, lead_staff):
    """An election 30 days from today and a goal due 10 days after it."""
    today = timezone.localdate()
    ElectionDate.objects.filter(jurisdiction=ontario).update(date=today + dt.timedelta(days=30))
    collaboration.planned_end_date = today + dt.timedelta(days=3000)
    collaboration.save()
    factories.SharedGoalFactory(
        collaboration=collaboration, title="Riders", target_date=today + dt.timedelta(days=40)
    )
    return collaboration


def test_the_timeline_page_lists_dates_elections_and_warnings(
    client, near_election, ontario, lead_staff
):
    client.force_login(lead_staff)
    url = f"/collaborations/{near_election.slug}/timeline/"
    with query_budget("agreements.collaboration_timeline"):
        body = html(client.get(url))
    words = text(body)
    assert "1 date to plan around elections" in words
    assert "Target date of the goal “Riders”" in words
    assert "Ontario municipalities election (General)" in words
    # The count does not grow with goals, agreements, partners and elections.
    for n in range(3):
        factories.SharedGoalFactory(collaboration=near_election)
        factories.AgreementFactory(
            collaboration=near_election, expiry_date=timezone.localdate() + dt.timedelta(days=n)
        )
        factories.ParticipationFactory(
            collaboration=near_election,
            organisation=factories.OrganisationFactory(municipal_jurisdiction=ontario),
        )
        ElectionDate.objects.create(
            jurisdiction=ontario, date=timezone.localdate() + dt.timedelta(days=400 + n)
        )
    with query_budget("agreements.collaboration_timeline"):
        html(client.get(url))


def test_htmx_gets_the_warnings_alone(client, near_election, lead_staff):
    client.force_login(lead_staff)
    response = client.get(
        f"/collaborations/{near_election.slug}/timeline/", headers={"HX-Request": "true"}
    )
    body = response.content.decode()
    assert "<html" not in body and "plan around elections" in body


def test_the_collaboration_and_health_pages_load_the_warnings(
    client, near_election, lead_staff, commissioner_user
):
    address = f"/collaborations/{near_election.slug}/timeline/"
    client.force_login(lead_staff)
    detail = html(client.get(f"/collaborations/{near_election.slug}/"))
    assert f'hx-get="{address}"' in detail and f'href="{address}"' in detail
    client.force_login(commissioner_user)
    health = html(client.get(f"/commissioner/collaborations/{near_election.slug}/health/"))
    assert f'hx-get="{address}"' in health


def test_the_timeline_is_read_like_its_collaboration(client, near_election, outsider_staff):
    """Staff read every collaboration (docs/permissions.md), so its timeline too; an unknown
    one is a 404 and nobody signed in is sent to log in."""
    address = f"/collaborations/{near_election.slug}/timeline/"
    assert client.get(address).status_code == 302
    client.force_login(outsider_staff)
    assert client.get(address).status_code == 200
    assert client.get("/collaborations/no-such-thing/timeline/").status_code == 404
