"""The collaboration pages as municipal staff use them: the list and its filters, the
collaboration page (structure explained, partners, goals with charts and their tables,
agreements, obligations, history), and every form with its errors and who gets a 403."""

import datetime as dt
import json
import re
from html import unescape

import pytest
from django.utils import timezone

from agreements import services
from agreements.models import (
    Agreement,
    Collaboration,
    Measurement,
    Obligation,
    Participation,
    Role,
    SharedGoal,
    Structure,
)
from tests import factories
from tests.agreements.test_services import docx, pdf
from tests.querycount import query_budget
from tests.trust.html import inline_problems

pytestmark = pytest.mark.django_db

LIST = "/collaborations/"


def html(response) -> str:
    assert response.status_code == 200, response.status_code
    body = response.content.decode()
    assert not inline_problems(body), inline_problems(body)
    return body


def page(collaboration, rest="") -> str:
    return f"/collaborations/{collaboration.slug}/{rest}"


def text(body: str) -> str:
    """The page's visible words, tags removed and whitespace collapsed."""
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", body)))


# The list ---------------------------------------------------------------------------------------


@pytest.fixture
def portfolio(collaboration, lead, partner, commissioner_user):
    """Our consortium plus a paused quality network led elsewhere, commissioned by no one."""
    network = factories.CollaborationFactory(
        title="Records Quality Network",
        structure=Structure.QUALITY_NETWORK,
        status=Collaboration.Status.PAUSED,
    )
    factories.ParticipationFactory(
        collaboration=network, organisation=network.lead_organisation, role=Role.COORDINATOR
    )
    return {"consortium": collaboration, "network": network}


def titles(response) -> list[str]:
    return re.findall(r'<th scope="row"><a href="[^"]+">([^<]+)</a></th>', html(response))


def test_the_list_filters_by_structure_status_lead_commissioner_and_mine(
    client, portfolio, partner_staff, commissioner_user, lead
):
    client.force_login(partner_staff)
    both = ["Northern Valley Transit Consortium", "Records Quality Network"]
    assert titles(client.get(LIST)) == both
    assert titles(client.get(LIST, {"structure": "quality_network"})) == [both[1]]
    assert titles(client.get(LIST, {"status": "active"})) == [both[0]]
    assert titles(client.get(LIST, {"lead_organisation": lead.pk})) == [both[0]]
    # The lead is typed, not picked from a list of every organisation.
    assert titles(client.get(LIST, {"lead_organisation": lead.name[2:9].upper()})) == [both[0]]
    assert titles(client.get(LIST, {"lead_organisation": lead.slug})) == [both[0]]
    assert titles(client.get(LIST, {"lead_organisation": "no such organisation"})) == []
    assert titles(client.get(LIST, {"commissioner": commissioner_user.pk})) == [both[0]]
    # Lakeside takes part in the consortium only.
    assert titles(client.get(LIST, {"mine": "true"})) == [both[0]]
    assert titles(client.get(LIST, {"q": "records"})) == [both[1]]
    assert titles(client.get(LIST, {"sort": "-title"})) == list(reversed(both))


def test_an_unknown_filter_value_is_explained(client, portfolio, partner_staff):
    client.force_login(partner_staff)
    body = html(client.get(LIST, {"status": "asleep"}))
    assert "Some filters were not understood" in body
    assert "Select a valid choice" in body


def test_the_list_as_an_htmx_fragment(client, portfolio, partner_staff):
    client.force_login(partner_staff)
    body = html(client.get(LIST, {"status": "paused"}, HTTP_HX_REQUEST="true"))
    assert "<h1" not in body and "Records Quality Network" in body


def test_administrators_have_no_mine_filter(client, portfolio, administrator):
    client.force_login(administrator)
    assert 'name="mine"' not in html(client.get(LIST))


def test_list_query_count_does_not_grow(client, partner_staff, lead):
    client.force_login(partner_staff)

    def more(n):
        for _ in range(n):
            collaboration = factories.CollaborationFactory(
                commissioner=factories.CommissionerFactory()
            )
            factories.ParticipationFactory(collaboration=collaboration, role=Role.LEAD)
            factories.ParticipationFactory(collaboration=collaboration)

    more(3)
    with query_budget("agreements.collaboration_list"):
        client.get(LIST)
    more(6)
    with query_budget("agreements.collaboration_list"):
        assert len(titles(client.get(LIST))) == 9


# The collaboration page ------------------------------------------------------------------------


@pytest.fixture
def full(collaboration, goal, circulating, partner_obligation, partner, lead):
    today = timezone.localdate()
    for months, value in ((3, 180), (2, 240), (1, 300)):
        factories.MeasurementFactory(
            goal=goal,
            value=value,
            period_end=today - dt.timedelta(days=30 * months),
            reported_by_organisation=partner,
            evidence=f"Counts for month {months}",
        )
    factories.ObligationFactory(
        collaboration=collaboration,
        organisation=lead,
        description="Riverton's data extract",
        due_date=today - dt.timedelta(days=12),
    )
    return collaboration


def test_the_collaboration_page_shows_everything_the_partners_agreed(client, full, partner_staff):
    client.force_login(partner_staff)
    body = html(client.get(page(full)))
    words = text(body)
    assert body.count("<h1") == 1
    for section in ("overview", "partners", "goals", "agreements", "obligations", "history"):
        assert f'id="{section}"' in body
    assert "Residents get the same good service wherever they live." in words
    assert "Its active participants meet the structure's rules." in words
    assert "City of Riverton" in words and "Town of Lakeside" in words
    assert "50% of the way" in words
    assert "Transit MOU" in words and "0 of 2" in words
    assert "Overdue by 12 days" in words
    assert "1 overdue" in words


def test_each_goal_has_a_chart_with_a_table_of_the_same_figures(client, full, goal, partner_staff):
    client.force_login(partner_staff)
    body = html(client.get(page(full)))
    block = re.search(
        rf'<script id="goal-chart-data-{goal.pk}" type="application/json">(.*?)</script>', body
    )
    data = json.loads(block.group(1))
    (series,) = data["series"]  # one reporting organisation: one series, nothing combined
    assert series["label"] == "Town of Lakeside"
    assert [point["y"] for point in series["points"]] == [180.0, 240.0, 300.0]
    assert data["combined"] is None
    assert data["target"] == 500.0 and data["baseline"] == 100.0
    assert f'data-chart-source="goal-chart-data-{goal.pk}" role="img"' in body
    assert "Chart of 3 measurements of “Riders per month” over time" in body
    assert "against the target of 500.00" in body
    table = text(body.split("Measurements of Riders per month, oldest first")[1])
    assert "180.00" in table and "300.00" in table and "Counts for month 1" in table
    assert "chart.umd.min.js" in body and "js/agreements.js" in body


def at_ms(d: dt.date) -> int:
    """A date as the chart's x: milliseconds at its UTC midnight."""
    return int(dt.datetime(d.year, d.month, d.day, tzinfo=dt.UTC).timestamp() * 1000)


def chart_data(body: str, goal) -> dict:
    block = re.search(
        rf'<script id="goal-chart-data-{goal.pk}" type="application/json">(.*?)</script>', body
    )
    return json.loads(block.group(1))


def test_a_goal_chart_has_one_series_per_organisation_on_a_time_axis_and_their_combined_figure(
    client, collaboration, goal, partner, lead, partner_staff
):
    """Two organisations report on the same goal: each has its own series of (date, value)
    points — x is the period end as a timestamp, so the same date twice is one point in time,
    not two categories — and the combined figure adds each one's latest value per period."""
    goal.target_date = dt.date(2026, 12, 31)
    goal.save()
    for organisation, day, value in (
        (lead, dt.date(2026, 1, 31), 100),
        (partner, dt.date(2026, 1, 31), 40),
        (partner, dt.date(2026, 2, 28), 60),
        (lead, dt.date(2026, 3, 31), 150),
    ):
        factories.MeasurementFactory(
            goal=goal, value=value, period_end=day, reported_by_organisation=organisation
        )
    client.force_login(partner_staff)
    for url in (page(collaboration), page(collaboration, f"goals/{goal.pk}/")):
        body = html(client.get(url))
        data = chart_data(body, goal)
        assert [(s["label"], s["points"]) for s in data["series"]] == [
            (
                "City of Riverton",
                [
                    {"x": at_ms(dt.date(2026, 1, 31)), "y": 100.0},
                    {"x": at_ms(dt.date(2026, 3, 31)), "y": 150.0},
                ],
            ),
            (
                "Town of Lakeside",
                [
                    {"x": at_ms(dt.date(2026, 1, 31)), "y": 40.0},
                    {"x": at_ms(dt.date(2026, 2, 28)), "y": 60.0},
                ],
            ),
        ]
        assert [p["y"] for p in data["combined"]["points"]] == [140.0, 160.0, 210.0]
        # The target line runs to the target date.
        assert data["start"] == at_ms(dt.date(2026, 1, 31))
        assert data["end"] == at_ms(dt.date(2026, 12, 31))
        # The combined figures are in a table too.
        combined = text(
            body.split("Combined figure of all reporting partners")[1].split("</table>")[0]
        )
        assert "2026-02-28 160.00" in combined and "2026-03-31 210.00" in combined


def test_the_combined_figure_of_a_rate_is_the_mean(collaboration, lead, partner):
    from agreements.selectors import goal_combined_figures

    goal = factories.SharedGoalFactory(collaboration=collaboration, unit="%", target=90)
    measurements = [
        factories.MeasurementFactory(
            goal=goal, value=value, period_end=dt.date(2026, 1, 31), reported_by_organisation=org
        )
        for org, value in ((lead, 80), (partner, 60))
    ]
    assert goal_combined_figures(goal, measurements) == [(dt.date(2026, 1, 31), 70)]


def test_broken_rules_are_explained_on_the_page(client, partner_staff):
    collaboration = factories.CollaborationFactory(
        structure=Structure.PRIME_CONTRACTOR, status=Collaboration.Status.FORMING
    )
    factories.ParticipationFactory(
        collaboration=collaboration,
        organisation=collaboration.lead_organisation,
        role=Role.COMMISSIONING_BODY,
    )
    client.force_login(partner_staff)
    words = text(html(client.get(page(collaboration))))
    assert "It cannot become active until these are fixed:" in words
    assert "A prime-contractor collaboration needs exactly one prime contractor; it has none." in (
        words
    )


def test_managers_see_the_edit_links_others_do_not(client, full, lead_staff, partner_staff):
    client.force_login(partner_staff)
    body = html(client.get(page(full)))
    assert "Edit collaboration" not in body and "Add a partner" not in body
    assert "Report progress" in body  # Lakeside takes part
    assert body.count(">Mark met<") == 1  # its own obligation only
    client.force_login(lead_staff)
    body = html(client.get(page(full)))
    assert "Edit collaboration" in body and "Add a partner" in body and "Waive" in body


def test_history_shows_who_changed_what(client, full, lead_staff):
    client.force_login(lead_staff)
    response = client.post(
        page(full, "edit/"),
        {
            "title_en": "Northern Valley Transit Consortium",
            "structure": "consortium",
            "lead_organisation": full.lead_organisation_id,
            "summary_en": "Now with weekend service.",
        },
    )
    assert response.status_code == 302
    words = text(html(client.get(page(full))))
    history = words.split("History")[-1]
    assert "Collaboration changed" in history
    assert "Summary" in history and "Now with weekend service." in history
    assert lead_staff.get_full_name() in history


def _summaries(client, full, lead_staff, count):
    client.force_login(lead_staff)
    for number in range(1, count + 1):
        services.collaboration_update(
            actor=lead_staff, collaboration=full, summary=f"Summary number {number}."
        )


def test_the_page_shows_the_newest_changes_and_links_to_the_whole_history(client, full, lead_staff):
    _summaries(client, full, lead_staff, 25)
    words = text(html(client.get(page(full)))).split("History")[-1]
    assert "Summary number 25." in words
    assert "Summary number 4." not in words  # older than the 20 newest
    assert "see the whole history" in words

    body = html(client.get(page(full, "history/")))
    first = text(body)
    assert "Summary number 25." in first and "Summary number 1." in first
    assert "Older changes" not in first  # 26 changes and more fit on one page of 50


def test_the_whole_history_pages_back_to_the_first_change(client, full, lead_staff):
    _summaries(client, full, lead_staff, 60)
    body = html(client.get(page(full, "history/")))
    assert "to Summary number 60." in text(body) and "to Summary number 10." not in text(body)
    older = re.search(r'href="([^"]*\?before=[^"]*)" rel="next"|rel="next" href="([^"]*)"', body)
    link = unescape(older.group(1) or older.group(2))

    second = client.get(link)

    assert second.status_code == 200
    words = text(html(second))
    assert "to Summary number 10." in words and "to Summary number 60." not in words
    assert "Newest changes" in words
    assert "Collaboration created" in words  # the first change of all


def test_a_broken_link_to_older_changes_says_so(client, full, lead_staff):
    client.force_login(lead_staff)
    for before in ("yesterday", "2026-01-01T10:00:00", "9" * 5000):
        response = client.get(page(full, "history/"), {"before": before})
        assert response.status_code == 400
        assert "That link to older changes is not valid" in text(response.content.decode())


def test_the_whole_history_is_read_by_whoever_reads_the_collaboration(client, full, outsider_staff):
    """Signed-in people read every collaboration (core/scope.py), and so its history; nobody
    else does, and a collaboration that does not exist has none."""
    assert client.get(page(full, "history/")).status_code == 302  # to log in
    client.force_login(outsider_staff)
    assert client.get(page(full, "history/")).status_code == 200
    assert client.get("/collaborations/no-such-thing/history/").status_code == 404


def test_a_history_page_costs_the_same_queries_however_long_the_history(client, full, lead_staff):
    _summaries(client, full, lead_staff, 3)
    with query_budget("agreements.collaboration_history"):
        client.get(page(full, "history/"))
    _summaries(client, full, lead_staff, 60)
    with query_budget("agreements.collaboration_history"):
        assert client.get(page(full, "history/")).status_code == 200


def test_detail_query_count_does_not_grow(client, full, partner, lead, partner_staff):
    from tests.agreements.test_api import _grow

    client.force_login(partner_staff)
    _grow(full, partner, lead, 2)
    factories.MeetingFactory.create_batch(2, collaboration=full)
    with query_budget("agreements.collaboration_detail"):
        client.get(page(full))
    _grow(full, partner, lead, 6)
    factories.MeetingFactory.create_batch(6, collaboration=full)
    with query_budget("agreements.collaboration_detail"):
        assert client.get(page(full)).status_code == 200


def test_the_goal_page_query_count_does_not_grow(client, goal, lead_staff):
    """Measurements by ever more partners (each with its history): the page costs the same."""
    client.force_login(lead_staff)
    today = timezone.localdate()

    def grow(n):
        for index in range(n):
            organisation = factories.OrganisationFactory()
            factories.ParticipationFactory(
                collaboration=goal.collaboration, organisation=organisation
            )
            factories.MeasurementFactory(
                goal=goal,
                reported_by_organisation=organisation,
                value=150 + index,
                period_end=today - dt.timedelta(days=10 * index),
            )

    grow(2)
    with query_budget("agreements.goal_detail"):
        assert client.get(page(goal.collaboration, f"goals/{goal.pk}/")).status_code == 200
    grow(6)
    with query_budget("agreements.goal_detail"):
        response = client.get(page(goal.collaboration, f"goals/{goal.pk}/"))
    assert response.status_code == 200
    assert Measurement.objects.filter(goal=goal).count() == 8


def test_the_agreement_page_query_count_does_not_grow(client, circulating, lead_staff):
    """More signatories (some signed) and more obligations under the agreement: the same cost."""
    client.force_login(lead_staff)
    collaboration = circulating.collaboration

    def grow(n):
        for index in range(n):
            organisation = factories.OrganisationFactory()
            factories.ParticipationFactory(collaboration=collaboration, organisation=organisation)
            factories.SignatoryFactory(
                agreement=circulating,
                organisation=organisation,
                signed_at=timezone.now() if index % 2 else None,
            )
            factories.ObligationFactory(
                collaboration=collaboration, organisation=organisation, agreement=circulating
            )

    grow(2)
    with query_budget("agreements.agreement_detail"):
        assert client.get(page(collaboration, f"agreements/{circulating.pk}/")).status_code == 200
    grow(6)
    with query_budget("agreements.agreement_detail"):
        response = client.get(page(collaboration, f"agreements/{circulating.pk}/"))
    assert response.status_code == 200
    assert circulating.signatories.count() == 10


def test_unknown_collaboration_is_404(client, partner_staff):
    client.force_login(partner_staff)
    assert client.get("/collaborations/no-such-thing/").status_code == 404


# Collaboration forms ---------------------------------------------------------------------------


def test_staff_set_up_a_collaboration(client, lead_staff, lead):
    client.force_login(lead_staff)
    body = html(client.get("/collaborations/new/"))
    assert "City of Riverton" in body
    response = client.post(
        "/collaborations/new/",
        {
            "title_en": "Shared Building Inspection",
            "structure": "mutual",
            "lead_organisation": lead.pk,
        },
    )
    collaboration = Collaboration.objects.get(title="Shared Building Inspection")
    assert response.status_code == 302 and response["Location"] == page(collaboration)
    assert collaboration.participations.get().organisation == lead
    assert "was set up as a proposal" in html(client.get(page(collaboration)))


def test_the_collaboration_form_explains_its_errors(client, lead_staff):
    client.force_login(lead_staff)
    body = html(
        client.post(
            "/collaborations/new/",
            {
                "title_en": "",
                "structure": "",
                "start_date": "2025-06-01",
                "planned_end_date": "2025-01-01",
            },
        )
    )
    assert "There is a problem" in body
    assert 'id="id_title_en_error"' in body and 'aria-invalid="true"' in body
    assert "Required in English, in French or in both." in body
    assert "The planned end date cannot be before the start date." in body


def test_activation_refused_with_the_explanation(client, lead_staff, lead):
    collaboration = factories.CollaborationFactory(
        lead_organisation=lead, structure=Structure.CONSORTIUM, status=Collaboration.Status.FORMING
    )
    factories.ParticipationFactory(collaboration=collaboration, organisation=lead, role=Role.MEMBER)
    client.force_login(lead_staff)
    words = text(html(client.post(page(collaboration, "status/"), {"status": "active"})))
    assert "cannot become active while its structure's rules are broken" in words
    assert "A consortium needs exactly one lead; it has none." in words
    assert Collaboration.objects.get(pk=collaboration.pk).status == "forming"
    response = client.post(page(collaboration, "status/"), {"status": "dissolved"})
    assert response.status_code == 302
    assert Collaboration.objects.get(pk=collaboration.pk).status == "dissolved"
    assert "That status is final" in html(client.get(page(collaboration, "status/")))


def test_a_status_the_collaboration_cannot_reach_is_not_offered(client, collaboration, lead_staff):
    client.force_login(lead_staff)
    body = html(client.get(page(collaboration, "status/")))
    assert 'value="paused"' in body and 'value="proposed"' not in body
    body = html(client.post(page(collaboration, "status/"), {"status": "proposed"}))
    assert "Select a valid choice" in body


@pytest.mark.parametrize(
    "rest",
    [
        "edit/",
        "status/",
        "participations/new/",
        "goals/new/",
        "agreements/new/",
        "obligations/new/",
    ],
)
def test_non_managers_get_403_on_manager_pages(client, collaboration, partner_staff, rest):
    client.force_login(partner_staff)
    assert client.get(page(collaboration, rest)).status_code == 403
    assert client.post(page(collaboration, rest), {}).status_code == 403


# Participations --------------------------------------------------------------------------------


def test_add_a_partner_with_a_role_of_the_structure(client, collaboration, lead_staff, outsider):
    contact = factories.ContactFactory(organisation=outsider, name="Ola Norberg")
    client.force_login(lead_staff)
    body = html(client.get(page(collaboration, "participations/new/")))
    roles = re.findall(r'<option value="(\w+)"', body.split('name="role"')[1].split("</select>")[0])
    assert roles == ["lead", "member"]
    assert "A consortium has the roles Lead, Member." in text(body)
    response = client.post(
        page(collaboration, "participations/new/"),
        {"organisation": outsider.pk, "role": "member", "status": "active", "contact": contact.pk},
    )
    assert response.status_code == 302
    participation = collaboration.participations.get(organisation=outsider)
    assert (participation.role, participation.contact) == (Role.MEMBER, contact)


def test_a_second_lead_is_refused_with_the_rule(client, collaboration, lead_staff, outsider):
    client.force_login(lead_staff)
    body = text(
        html(
            client.post(
                page(collaboration, "participations/new/"),
                {"organisation": outsider.pk, "role": "lead", "status": "active"},
            )
        )
    )
    assert "A consortium needs exactly one lead; it has 2" in body
    assert not collaboration.participations.filter(organisation=outsider).exists()


def test_contact_options_follow_the_chosen_organisation(
    client, collaboration, lead_staff, outsider
):
    factories.ContactFactory(organisation=outsider, name="Ola Norberg")
    client.force_login(lead_staff)
    body = html(
        client.get(
            page(collaboration, "participations/contact-options/"),
            {"organisation": outsider.pk},
            HTTP_HX_REQUEST="true",
        )
    )
    assert "Ola Norberg" in body and 'name="contact"' in body


HUGE_ID = "99999999999999999999999"  # beyond any database integer (SQLite overflows on it)


@pytest.mark.parametrize(
    ("method", "rest", "data"),
    [
        ("get", "participations/new/", {"organisation": HUGE_ID}),
        ("get", "participations/contact-options/", {"organisation": HUGE_ID}),
        ("post", "participations/new/", {"organisation": HUGE_ID, "role": "member"}),
        ("get", "participations/new/", {"organisation": "-1"}),
    ],
)
def test_an_organisation_id_out_of_range_is_ignored_not_a_500(
    client, collaboration, lead_staff, method, rest, data
):
    """On SQLite (`make run`) such an id reaching a query raised OverflowError, a 500. It never
    reaches the database now, whichever the engine: the form is shown without it."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(lead_staff)
    with CaptureQueriesContext(connection) as captured:
        response = getattr(client, method)(page(collaboration, rest), data)
    assert response.status_code == 200
    assert not [q["sql"] for q in captured.captured_queries if HUGE_ID in q["sql"]]
    if method == "post":
        assert "Select a valid choice" in text(response.content.decode())
        assert collaboration.participations.count() == 2


def test_withdraw_a_partner(client, collaboration, lead_staff, partner, outsider):
    factories.ParticipationFactory(collaboration=collaboration, organisation=outsider)
    participation = collaboration.participations.get(organisation=partner)
    client.force_login(lead_staff)
    response = client.post(page(collaboration, f"participations/{participation.pk}/withdraw/"), {})
    assert response.status_code == 302, text(response.content.decode())
    participation.refresh_from_db()
    assert participation.status == Participation.Status.WITHDRAWN


def test_a_participation_of_another_collaboration_is_404(client, collaboration, lead_staff):
    elsewhere = factories.ParticipationFactory()
    client.force_login(lead_staff)
    assert (
        client.get(page(collaboration, f"participations/{elsewhere.pk}/edit/")).status_code == 404
    )


# Goals and measurements ------------------------------------------------------------------------


def test_a_goal_with_equal_baseline_and_target_is_refused(client, collaboration, lead_staff):
    client.force_login(lead_staff)
    body = html(
        client.post(
            page(collaboration, "goals/new/"),
            {
                "title_en": "Flat",
                "indicator_en": "x",
                "unit": "x",
                "baseline": "5",
                "target": "5",
                "cadence": "monthly",
            },
        )
    )
    assert "The target must differ from the baseline" in body
    assert not SharedGoal.objects.filter(title="Flat").exists()


def test_a_participants_staff_report_progress(client, goal, partner_staff, partner):
    client.force_login(partner_staff)
    body = html(client.get(page(goal.collaboration, f"goals/{goal.pk}/measurements/new/")))
    assert 'name="reported_by_organisation"' not in body  # they report for Lakeside only
    period_end = (timezone.localdate() - dt.timedelta(days=45)).isoformat()
    response = client.post(
        page(goal.collaboration, f"goals/{goal.pk}/measurements/new/"),
        {"value": "321", "period_end": period_end, "evidence": "Fare-box"},
    )
    assert response.status_code == 302
    measurement = Measurement.objects.get()
    assert measurement.reported_by_organisation == partner
    body = text(html(client.get(page(goal.collaboration, f"goals/{goal.pk}/"))))
    assert "321.00" in body
    assert f"Measurement: Riders per month, period ending {period_end}" in body


def test_a_future_period_is_refused_on_the_form(client, goal, partner_staff):
    client.force_login(partner_staff)
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    body = html(
        client.post(
            page(goal.collaboration, f"goals/{goal.pk}/measurements/new/"),
            {"value": "1", "period_end": tomorrow.isoformat()},
        )
    )
    assert "cannot be in the future" in body


def test_outsiders_cannot_report(client, goal, outsider_staff):
    client.force_login(outsider_staff)
    assert (
        client.get(page(goal.collaboration, f"goals/{goal.pk}/measurements/new/")).status_code
        == 403
    )


# Agreements ------------------------------------------------------------------------------------


def test_draft_an_agreement_with_a_document(client, collaboration, lead_staff, lead, partner):
    client.force_login(lead_staff)
    response = client.post(
        page(collaboration, "agreements/new/"),
        {
            "title": "Data-Sharing Agreement",
            "kind": "data_sharing",
            "version": "1",
            "renewal_notice_days": "60",
            "signatory_organisations": [lead.pk, partner.pk],
            "document": docx("DSA final.docx"),
        },
    )
    assert response.status_code == 302, response.content
    agreement = Agreement.objects.get(title="Data-Sharing Agreement")
    assert agreement.signatories.count() == 2
    download = client.get(page(collaboration, f"agreements/{agreement.pk}/document/"))
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment")
    assert "DSA_final.docx" in download["Content-Disposition"]
    assert download["Content-Type"].startswith("application/vnd.openxmlformats")


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (
            lambda: __import__("django.core.files.uploadedfile", fromlist=["x"]).SimpleUploadedFile(
                "agreement.pdf", b"GIF89a not a document"
            ),
            "This file is not a PDF, DOCX or ODT document",
        ),
        (lambda: pdf(size=2 * 1024 * 1024), "too large: at most 1 MB"),
    ],
)
def test_a_refused_upload_is_explained(
    client, collaboration, lead_staff, settings, upload, message
):
    settings.MAX_UPLOAD_BYTES = 1024 * 1024
    client.force_login(lead_staff)
    body = html(
        client.post(
            page(collaboration, "agreements/new/"),
            {
                "title": "Bad",
                "kind": "mou",
                "version": "1",
                "renewal_notice_days": "90",
                "document": upload(),
            },
        )
    )
    assert message in body
    assert 'id="id_document_error"' in body
    assert not Agreement.objects.filter(title="Bad").exists()


def test_circulate_then_sign_in_the_browser(
    client, collaboration, lead_staff, partner_staff, lead, partner
):
    agreement = factories.AgreementFactory(collaboration=collaboration, title="Fleet MOU")
    factories.SignatoryFactory(agreement=agreement, organisation=lead)
    factories.SignatoryFactory(agreement=agreement, organisation=partner)
    client.force_login(lead_staff)
    response = client.post(
        page(collaboration, f"agreements/{agreement.pk}/status/"), {"status": "circulating"}
    )
    assert response.status_code == 302
    client.force_login(partner_staff)
    body = html(client.get(page(collaboration, f"agreements/{agreement.pk}/sign/")))
    options = re.findall(r'<option value="(\d+)"', body)
    assert options == [str(partner.pk)]  # staff sign for their own organisation only
    response = client.post(
        page(collaboration, f"agreements/{agreement.pk}/sign/"),
        {"organisation": partner.pk, "signed_by_name": "Lee Lakeside, Clerk"},
        follow=True,
    )
    assert "Town of Lakeside signed." in text(html(response))
    client.force_login(lead_staff)
    response = client.post(
        page(collaboration, f"agreements/{agreement.pk}/sign/"),
        {"organisation": lead.pk},
        follow=True,
    )
    words = text(html(response))
    assert "Every signatory has now signed: the agreement is in force." in words
    assert "Signatory: Town of Lakeside on Fleet MOU changed" in words


def test_outsiders_cannot_open_the_sign_page(client, circulating, outsider_staff):
    client.force_login(outsider_staff)
    url = page(circulating.collaboration, f"agreements/{circulating.pk}/sign/")
    assert client.get(url).status_code == 403


def test_an_agreement_of_another_collaboration_is_404(client, collaboration, lead_staff):
    elsewhere = factories.AgreementFactory()
    client.force_login(lead_staff)
    assert client.get(page(collaboration, f"agreements/{elsewhere.pk}/")).status_code == 404


# Obligations -----------------------------------------------------------------------------------


def test_the_obligated_organisation_marks_it_met(client, partner_obligation, partner_staff):
    collaboration = partner_obligation.collaboration
    client.force_login(partner_staff)
    url = page(collaboration, f"obligations/{partner_obligation.pk}/met/")
    assert "Evidence" in html(client.get(url))
    assert "This field is required" in html(client.post(url, {"evidence": ""}))
    response = client.post(url, {"evidence": "EFT 2025-0007"})
    assert response.status_code == 302
    assert Obligation.objects.get(pk=partner_obligation.pk).status == Obligation.Status.MET


def test_others_cannot_mark_it_met_or_waive(
    client, partner_obligation, outsider_staff, partner_staff
):
    collaboration = partner_obligation.collaboration
    client.force_login(outsider_staff)
    assert (
        client.post(
            page(collaboration, f"obligations/{partner_obligation.pk}/met/"), {"evidence": "x"}
        ).status_code
        == 403
    )
    client.force_login(partner_staff)
    assert (
        client.post(
            page(collaboration, f"obligations/{partner_obligation.pk}/waive/"), {"reason": "x"}
        ).status_code
        == 403
    )
    assert Obligation.objects.get(pk=partner_obligation.pk).status == Obligation.Status.PENDING


def test_add_an_obligation_with_its_errors(client, collaboration, lead_staff, partner):
    client.force_login(lead_staff)
    body = html(
        client.post(
            page(collaboration, "obligations/new/"),
            {
                "organisation": partner.pk,
                "kind": "funding",
                "description": "Annual contribution",
                "quantity": "50000",
                "due_date": "2030-03-31",
            },
        )
    )
    assert "Give the unit of the quantity" in body
    response = client.post(
        page(collaboration, "obligations/new/"),
        {
            "organisation": partner.pk,
            "kind": "funding",
            "description": "Annual contribution",
            "quantity": "50000",
            "unit": "dollars",
            "due_date": "2030-03-31",
        },
    )
    assert response.status_code == 302
    assert Obligation.objects.get(description="Annual contribution").organisation == partner


def test_the_admin_shows_agreements_data_read_only(client, full, administrator, circulating):
    client.force_login(administrator)
    for path in (
        "/admin/agreements/collaboration/",
        f"/admin/agreements/collaboration/{full.pk}/change/",
        f"/admin/agreements/collaboration/{full.pk}/history/",
        "/admin/agreements/agreement/",
        f"/admin/agreements/agreement/{circulating.pk}/change/",
        "/admin/agreements/obligation/",
        "/admin/agreements/measurement/",
        "/admin/agreements/participation/",
        "/admin/agreements/sharedgoal/",
    ):
        assert client.get(path).status_code == 200, path
    assert client.get("/admin/agreements/collaboration/add/").status_code == 403


def test_a_missing_document_is_404(client, circulating, lead_staff):
    client.force_login(lead_staff)
    url = page(circulating.collaboration, f"agreements/{circulating.pk}/document/")
    assert client.get(url).status_code == 404


# Paper signatures and evidence (issue 16) -----------------------------------------------------


def test_a_manager_records_a_paper_signature_on_its_real_date(
    client, circulating, lead_staff, partner_staff, partner
):
    collaboration = circulating.collaboration
    url = page(collaboration, f"agreements/{circulating.pk}/sign/")
    client.force_login(partner_staff)
    assert 'id="id_signed_on"' not in html(client.get(url))  # staff sign now, for themselves
    client.force_login(lead_staff)
    assert 'id="id_signed_on"' in html(client.get(url))
    today = timezone.localdate()
    refused = {
        (today + dt.timedelta(days=1)).isoformat(): "cannot be in the future",
        (circulating.circulated_on - dt.timedelta(days=1)).isoformat(): "before the agreement",
    }
    for signed_on, message in refused.items():
        body = html(
            client.post(
                url, {"organisation": partner.pk, "signed_by_name": "Lee", "signed_on": signed_on}
            )
        )
        assert message in body and 'id="id_signed_on_error"' in body
    signatory = circulating.signatories.get(organisation=partner)
    signatory.refresh_from_db()
    assert signatory.signed_at is None

    paper_day = circulating.circulated_on + dt.timedelta(days=1)
    response = client.post(
        url,
        {
            "organisation": partner.pk,
            "signed_by_name": "Lee Park",
            "signed_by_title": "Municipal Clerk",
            "signed_on": paper_day.isoformat(),
        },
    )
    assert response.status_code == 302
    signatory.refresh_from_db()
    assert timezone.localtime(signatory.signed_at).date() == paper_day
    assert (signatory.signed_by_name, signatory.signed_by_title) == ("Lee Park", "Municipal Clerk")
    detail = text(html(client.get(page(collaboration, f"agreements/{circulating.pk}/"))))
    assert "Lee Park, Municipal Clerk" in detail


def test_evidence_with_a_link_and_a_file_in_the_browser(client, partner_obligation, partner_staff):
    collaboration = partner_obligation.collaboration
    client.force_login(partner_staff)
    url = page(collaboration, f"obligations/{partner_obligation.pk}/met/")
    assert 'enctype="multipart/form-data"' in html(client.get(url))
    body = html(client.post(url, {"evidence": "EFT 7", "evidence_url": "ftp://example.org/x"}))
    assert 'id="id_evidence_url_error"' in body
    body = html(client.post(url, {"evidence": "EFT 7", "evidence_file": not_a_document()}))
    assert 'id="id_evidence_file_error"' in body and "PDF, DOCX or ODT" in body
    assert Obligation.objects.get(pk=partner_obligation.pk).status == Obligation.Status.PENDING

    response = client.post(
        url,
        {
            "evidence": "EFT 2025-0007",
            "evidence_url": "https://lakeside.example/eft/7",
            "evidence_file": pdf("EFT receipt.pdf"),
        },
    )
    assert response.status_code == 302
    obligation = Obligation.objects.get(pk=partner_obligation.pk)
    assert obligation.status == Obligation.Status.MET
    assert obligation.evidence_url == "https://lakeside.example/eft/7"
    assert obligation.evidence_file.name.endswith("EFT_receipt.pdf")

    listing = html(client.get(collaboration.get_absolute_url()))
    assert 'href="https://lakeside.example/eft/7"' in listing
    download = page(collaboration, f"obligations/{obligation.pk}/evidence-file/")
    assert f'href="{download}"' in listing
    response = client.get(download)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "attachment" in response["Content-Disposition"]


def not_a_document():
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("receipt.pdf", b"just text, not a document")
