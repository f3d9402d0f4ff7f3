"""The commissioner's pages as people use them: the dashboard, the flag inbox, a flag, a
collaboration's health, check-ins, the policy, and meetings with their attendance."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from agreements.models import Agreement
from commissioner.filters import FlagFilterSet
from commissioner.models import Attendance, EngagementPolicy, EngagementSnapshot, Flag, Meeting
from commissioner.services import portfolio_summary_refresh
from tests import factories
from tests.querycount import query_budget

pytestmark = pytest.mark.django_db


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def text_of(html: str) -> str:
    """Text without tags or repeated whitespace."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def text(response) -> str:
    """The page's text without tags or repeated whitespace."""
    return text_of(response.content.decode())


@pytest.fixture
def flagged(collaboration):
    """A partner with an open flag and its snapshot, and an engaged one."""
    drifting = factories.ParticipationFactory(
        collaboration=collaboration, organisation=factories.OrganisationFactory(name="Driftwood")
    )
    steady = factories.ParticipationFactory(
        collaboration=collaboration, organisation=factories.OrganisationFactory(name="Steadyville")
    )
    today = timezone.localdate()
    factories.EngagementSnapshotFactory(
        participation=drifting,
        scan_date=today,
        score=25,
        band="disengaged",
        reasons=["missed 3 of the last 3 meetings", "no activity in 100 days"],
        components={"attendance": {"value": 0.0, "weight": 30}},
    )
    factories.EngagementSnapshotFactory(
        participation=steady, scan_date=today, score=95, band="engaged", reasons=[]
    )
    flag = factories.FlagFactory(
        participation=drifting,
        band="disengaged",
        score=25,
        reasons=["missed 3 of the last 3 meetings", "no activity in 100 days"],
    )
    portfolio_summary_refresh(scan_date=today)  # as the scan does when it finishes
    return {"drifting": drifting, "steady": steady, "flag": flag}


def test_staff_get_403_on_the_commissioner_pages(flagged, staff_client, collaboration):
    flag = flagged["flag"]
    intervention = factories.InterventionFactory(flag=flag)
    for url in (
        reverse("commissioner:portfolio"),
        reverse("commissioner:flag_list"),
        reverse("commissioner:flag_detail", args=[flag.pk]),
        reverse("commissioner:flag_resolve", args=[flag.pk]),
        reverse("commissioner:intervention_create", args=[flag.pk]),
        reverse("commissioner:intervention_complete", args=[intervention.pk]),
        reverse("commissioner:collaboration_health", args=[collaboration.slug]),
        reverse("commissioner:checkin_create", args=[collaboration.slug]),
        reverse("commissioner:policy_edit", args=[collaboration.slug]),
        reverse("commissioner:default_policy"),
    ):
        assert staff_client.get(url).status_code == 403, url
    for url in (
        reverse("commissioner:scan_now"),
        reverse("commissioner:flag_acknowledge", args=[flag.pk]),
        reverse("commissioner:flag_resolve", args=[flag.pk]),
    ):
        assert staff_client.post(url, {"note": "x"}).status_code == 403, url
    assert Flag.objects.get().status == "open"
    assert not EngagementSnapshot.objects.filter(score=100).exists()


# Portfolio ------------------------------------------------------------------------------------


def test_the_portfolio_shows_bands_and_the_worst_collaborations_first(
    flagged, commissioner_client, collaboration
):
    calm = factories.CollaborationFactory(commissioner=collaboration.commissioner, title="Calm")
    factories.EngagementSnapshotFactory(
        participation=factories.ParticipationFactory(collaboration=calm), band="engaged", score=90
    )
    factories.ObligationFactory(
        collaboration=collaboration, due_date=timezone.localdate() - dt.timedelta(days=3)
    )
    portfolio_summary_refresh(scan_date=timezone.localdate())
    response = commissioner_client.get(reverse("commissioner:portfolio"))
    assert response.status_code == 200
    page = text(response)
    assert "Engaged 2" in page and "At risk 0" in page and "Disengaged 1" in page
    assert page.index(collaboration.title) < page.index("Calm")
    assert "overdue" in page


def test_the_portfolio_starts_on_the_commissioners_own_collaborations(flagged, commissioner_client):
    other = factories.CollaborationFactory(title="Someone else")
    response = commissioner_client.get(reverse("commissioner:portfolio"))
    assert "Someone else" not in text(response)
    response = commissioner_client.get(reverse("commissioner:portfolio"), {"scope": "all"})
    assert other.title in text(response)


def flagged_section(response) -> str:
    """The dashboard's "Flagged partners" section, as HTML."""
    html = response.content.decode()
    start = html.index('<section aria-labelledby="flags-heading"')
    return html[start : html.index("</section>", start)]


def test_the_portfolio_names_the_flagged_partners_with_their_reasons(flagged, commissioner_client):
    flagged["flag"].status = "acknowledged"
    flagged["flag"].save()
    response = commissioner_client.get(reverse("commissioner:portfolio"))
    section = flagged_section(response)
    assert '<h2 id="flags-heading" class="h4">Flagged partners</h2>' in section
    rows = re.findall(r"<tr>(.*?)</tr>", section.split("<tbody>")[1], re.S)
    assert len(rows) == 1  # Steadyville is engaged: no flag
    cells = [
        text_of(cell).strip() for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", rows[0], re.S)
    ]
    assert cells == [
        "Driftwood",
        flagged["drifting"].collaboration.title,
        "Disengaged",  # the band as a word, not only a colour
        "25",
        "missed 3 of the last 3 meetings no activity in 100 days",
        "Acknowledged",
        flagged["flag"].raised_on.isoformat(),
    ]
    assert f'<a href="{flagged["flag"].get_absolute_url()}">Driftwood</a>' in rows[0]
    assert "One open flag." in text_of(section)


def test_the_flagged_partners_follow_the_portfolio_scope(flagged, commissioner_client):
    factories.FlagFactory(
        participation=factories.ParticipationFactory(
            organisation=factories.OrganisationFactory(name="Faraway Township")
        ),
        band="at_risk",
        score=20,
        reasons=["2 obligations overdue, oldest 45 days"],
    )
    mine = text_of(flagged_section(commissioner_client.get(reverse("commissioner:portfolio"))))
    assert "Driftwood" in mine and "Faraway Township" not in mine
    everyone = text_of(
        flagged_section(
            commissioner_client.get(reverse("commissioner:portfolio"), {"scope": "all"})
        )
    )
    assert "Faraway Township" in everyone and "2 obligations overdue, oldest 45 days" in everyone
    # Worst first: the disengaged partner before the one at risk, although that one scores less.
    assert everyone.index("Driftwood") < everyone.index("Faraway Township")


def test_the_flagged_partners_are_the_ten_worst_with_a_link_to_all(
    commissioner_client, collaboration
):
    for score in range(12):
        factories.FlagFactory(
            participation=factories.ParticipationFactory(
                collaboration=collaboration,
                organisation=factories.OrganisationFactory(name=f"Partner scoring {score + 40}"),
            ),
            score=score + 40,
        )
    section = flagged_section(commissioner_client.get(reverse("commissioner:portfolio")))
    assert section.split("<tbody>")[1].count("<tr>") == 10
    words = text_of(section)
    assert "The 10 worst of 12 open flags" in words
    assert "Partner scoring 40" in words and "Partner scoring 49" in words
    assert "Partner scoring 50" not in words
    inbox = reverse("commissioner:flag_list") + "?mine=on"
    assert f'href="{inbox}"' in section
    assert "See all open flags in the inbox" in words


def test_without_open_flags_the_dashboard_says_so(commissioner_client, collaboration):
    section = text_of(flagged_section(commissioner_client.get(reverse("commissioner:portfolio"))))
    assert "No partner of your collaborations is flagged." in section


def test_the_portfolio_query_count_does_not_grow(commissioner_client, commissioner):
    # 3 flagged partners, then 12: past the 10 the dashboard lists.
    for copies in (3, 9):
        for _ in range(copies):
            collaboration = factories.CollaborationFactory(commissioner=commissioner)
            participation = factories.ParticipationFactory(collaboration=collaboration)
            factories.EngagementSnapshotFactory(participation=participation)
            factories.FlagFactory(participation=participation)
            factories.ObligationFactory(collaboration=collaboration)
        portfolio_summary_refresh(scan_date=timezone.localdate())
        with query_budget("commissioner.portfolio"):
            assert commissioner_client.get(reverse("commissioner:portfolio")).status_code == 200


def test_scan_now_runs_the_scan_and_says_so(
    commissioner_client, collaboration, django_capture_on_commit_callbacks
):
    factories.ParticipationFactory(collaboration=collaboration)
    with django_capture_on_commit_callbacks(execute=True):
        response = commissioner_client.post(reverse("commissioner:scan_now"))
    assert response.status_code == 302
    assert EngagementSnapshot.objects.filter(scan_date=timezone.localdate()).count() == 1
    page = text(commissioner_client.get(response["Location"]))
    assert "The engagement scan was started" in page
    assert commissioner_client.get(reverse("commissioner:scan_now")).status_code == 405


# Flags ----------------------------------------------------------------------------------------


def test_the_flag_inbox_filters_and_acknowledges(flagged, commissioner_client):
    closed = factories.FlagFactory(
        participation=flagged["steady"], status=Flag.Status.AUTO_CLOSED, band="at_risk"
    )
    url = reverse("commissioner:flag_list")
    page = text(commissioner_client.get(url))
    assert "Driftwood" in page and "no activity in 100 days" in page
    assert "Steadyville" not in page  # closed flags are not in the inbox by default
    page = text(commissioner_client.get(url, {"status": "all", "band": "at_risk"}))
    assert "Steadyville" in page and "Driftwood" not in page
    page = text(commissioner_client.get(url, {"q": "drift"}))
    assert "Driftwood" in page
    page = text(commissioner_client.get(url, {"status": "bogus"}))
    assert "were not understood" in page and "Driftwood" in page
    fragment = commissioner_client.get(url, {"q": "steady"}, HTTP_HX_REQUEST="true")
    assert "<html" not in fragment.content.decode() and "0 flags" in text(fragment)

    response = commissioner_client.post(
        reverse("commissioner:flag_acknowledge", args=[flagged["flag"].pk]), {"next": url}
    )
    assert response.status_code == 302 and response["Location"] == url
    assert Flag.objects.get(pk=flagged["flag"].pk).status == "acknowledged"
    # An outside `next` is not followed.
    response = commissioner_client.post(
        reverse("commissioner:flag_acknowledge", args=[closed.pk]),
        {"next": "https://evil.example/"},
    )
    assert response["Location"] == closed.get_absolute_url()


def test_the_inbox_status_filter_offers_its_choices_without_the_apis_help(
    commissioner, commissioner_client
):
    """The page's list reads "Open or acknowledged" … "All": no help text naming the API's
    values "active" and "all", in either language; the API's filter keeps its help."""
    url = reverse("commissioner:flag_list")
    html = commissioner_client.get(url).content.decode()
    status = re.search(r'<select name="status"[^>]*>(.*?)</select>', html, re.S)
    assert status, html
    options = re.findall(r"<option[^>]*>([^<]*)</option>", status.group(1))
    assert options[0] == "Open or acknowledged" and options[-1] == "All", options
    assert "id_status_helptext" not in html and "“active”" not in html
    commissioner.preferred_language = "fr"
    commissioner.save(update_fields=["preferred_language"])
    french = commissioner_client.get(url).content.decode()
    assert "Ouverts ou pris en charge" in french
    assert "id_status_helptext" not in french and "« active »" not in french
    assert "active" in str(FlagFilterSet().filters["status"].extra["help_text"])


def test_the_flag_inbox_query_count_does_not_grow(commissioner_client):
    for _ in range(2):
        for _ in range(3):
            factories.InterventionFactory(flag=factories.FlagFactory())
        with query_budget("commissioner.flag_list"):
            assert commissioner_client.get(reverse("commissioner:flag_list")).status_code == 200


def test_the_flag_page_query_count_does_not_grow(flagged, commissioner_client, commissioner):
    """More interventions (some completed) and more snapshots behind the flag: the same cost."""
    flag = flagged["flag"]
    url = reverse("commissioner:flag_detail", args=[flag.pk])
    today = timezone.localdate()

    def grow(n, offset):
        for index in range(n):
            factories.InterventionFactory(
                flag=flag,
                created_by=commissioner,
                completed_at=timezone.now() if index % 2 else None,
                outcome="Agreed a plan" if index % 2 else "",
            )
            factories.EngagementSnapshotFactory(
                participation=flag.participation,
                scan_date=today - dt.timedelta(days=offset + index + 1),
            )

    grow(2, 0)
    with query_budget("commissioner.flag_detail"):
        assert commissioner_client.get(url).status_code == 200
    grow(6, 10)
    with query_budget("commissioner.flag_detail"):
        response = commissioner_client.get(url)
    assert response.status_code == 200
    assert flag.interventions.count() == 8


def test_a_flag_is_worked_from_its_page(flagged, commissioner_client):
    flag = flagged["flag"]
    url = reverse("commissioner:flag_detail", args=[flag.pk])
    page = text(commissioner_client.get(url))
    assert "missed 3 of the last 3 meetings" in page and "Driftwood" in page

    create = reverse("commissioner:intervention_create", args=[flag.pk])
    response = commissioner_client.post(create, {"kind": "", "description": ""})
    assert response.status_code == 200
    assert 'id="id_kind_error"' in response.content.decode()
    assert 'aria-invalid="true"' in response.content.decode()
    response = commissioner_client.post(
        create, {"kind": "call", "description": "Call the CAO", "due_date": "2000-01-01"}
    )
    assert "cannot be before the flag was raised" in text(response)
    response = commissioner_client.post(create, {"kind": "call", "description": "Call the CAO"})
    assert response.status_code == 302
    intervention = flag.interventions.get()
    assert Flag.objects.get(pk=flag.pk).status == "acknowledged"

    complete = reverse("commissioner:intervention_complete", args=[intervention.pk])
    assert commissioner_client.post(complete, {"outcome": ""}).status_code == 200
    assert commissioner_client.post(complete, {"outcome": "Will attend"}).status_code == 302
    assert "Will attend" in text(commissioner_client.get(url))

    resolve = reverse("commissioner:flag_resolve", args=[flag.pk])
    response = commissioner_client.post(resolve, {"note": ""})
    assert response.status_code == 200 and "id_note_error" in response.content.decode()
    assert commissioner_client.post(resolve, {"note": "Back on track"}).status_code == 302
    flag.refresh_from_db()
    assert (flag.status, flag.resolution_note) == ("resolved", "Back on track")
    # A closed flag offers no more actions, and refuses them with a message.
    assert "Log intervention" not in text(commissioner_client.get(url))
    response = commissioner_client.post(resolve, {"note": "again"})
    assert "already closed" in text(response)


def test_an_unknown_flag_is_a_404(commissioner_client):
    assert (
        commissioner_client.get(reverse("commissioner:flag_detail", args=[999])).status_code == 404
    )


# Health ---------------------------------------------------------------------------------------


def test_the_health_page_explains_each_partner(flagged, commissioner_client, collaboration):
    today = timezone.localdate()
    for days in (14, 7):
        factories.EngagementSnapshotFactory(
            participation=flagged["drifting"],
            scan_date=today - dt.timedelta(days=days),
            score=60 - days,
            band="at_risk",
        )
    meeting = factories.MeetingFactory(collaboration=collaboration, title="Board")
    factories.AttendanceFactory(
        meeting=meeting, participation=flagged["steady"], status=Attendance.Status.PRESENT
    )
    factories.AttendanceFactory(
        meeting=meeting, participation=flagged["drifting"], status=Attendance.Status.ABSENT
    )
    goal = factories.SharedGoalFactory(collaboration=collaboration, title="Riders", target=500)
    factories.MeasurementFactory(goal=goal, value=300)
    factories.ObligationFactory(
        collaboration=collaboration,
        organisation=flagged["drifting"].organisation,
        description="Annual dues",
        due_date=today - dt.timedelta(days=5),
    )
    factories.AgreementFactory(
        collaboration=collaboration,
        title="Service agreement",
        status=Agreement.Status.IN_FORCE,
        effective_date=today - dt.timedelta(days=300),
        expiry_date=today + dt.timedelta(days=60),
    )
    response = commissioner_client.get(
        reverse("commissioner:collaboration_health", args=[collaboration.slug])
    )
    assert response.status_code == 200
    html = response.content.decode()
    page = text(response)
    assert "Driftwood" in page and "no activity in 100 days" in page
    assert "Present" in page and "Absent" in page
    assert "Riders" in page and "50%" in page  # (300 - 100) / (500 - 100)
    assert "Annual dues" in page and "overdue" in page
    assert "Service agreement" in page
    # The chart's data, from a JSON block (no inline script), and its table.
    trend = json.loads(
        re.search(r'<script id="score-trend-data" type="application/json">(.*?)</script>', html)[1]
    )
    drifting_line = next(d for d in trend["datasets"] if d["label"] == "Driftwood")
    assert drifting_line["data"] == [46, 53, 25]
    assert "Score trend as a table" in page
    assert "vendor/chartjs/chart.umd.min.js" in html and "js/commissioner.js" in html


def test_labels_with_a_colon_are_one_string_french_spaces(
    flagged, commissioner, commissioner_client, collaboration
):
    """The labels "Lead: …", "Commissioner: …" and "Due: …" are each one string to translate,
    so French puts its non-breaking space before the colon."""
    collaboration.commissioner = commissioner
    collaboration.save(update_fields=["commissioner"])
    factories.InterventionFactory(flag=flagged["flag"], due_date=dt.date(2031, 1, 15))
    commissioner.preferred_language = "fr"
    commissioner.save(update_fields=["preferred_language"])
    health_url = reverse("commissioner:collaboration_health", args=[collaboration.slug])
    flag_url = reverse("commissioner:flag_detail", args=[flagged["flag"].pk])
    health = commissioner_client.get(health_url).content.decode()
    flag = commissioner_client.get(flag_url).content.decode()
    assert f"Chef de file\xa0: {collaboration.lead_organisation.name}" in health
    name = commissioner.get_full_name() or commissioner.username
    assert f"Commissaire\xa0: {name}" in health
    assert "Échéance\xa0: 2031-01-15" in flag


def trend_table(html: str) -> list[list[str]]:
    """The rows of "Score trend as a table": the date, then each partner's score."""
    start = html.index("<summary>Score trend as a table</summary>")
    body = html[html.index("<tbody>", start) : html.index("</tbody>", start)]
    return [
        [cell.strip() for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row)]
        for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)
    ]


def test_the_health_trend_labels_each_score_with_its_own_scan_date(
    commissioner_client, collaboration
):
    """The demo's defect: beyond 16 scan dates the trend went by week, labelled each point with
    the week's Monday (never a scan date) and showed the week's last score beside it, and the
    latest scan date never appeared. Now each label is a scan date, each score that date's."""
    today = timezone.localdate()
    weekly = factories.ParticipationFactory(
        collaboration=collaboration, organisation=factories.OrganisationFactory(name="Hillcrest")
    )
    sparse = factories.ParticipationFactory(
        collaboration=collaboration, organisation=factories.OrganisationFactory(name="Sparseby")
    )
    # Hillcrest: scans 12 weeks back, then every 14 days, then every day of the last 3 weeks
    # (so weeks hold several scans); the first falls on a Wednesday, never a week's Monday.
    first = today - dt.timedelta(days=84 + (today - dt.timedelta(days=84)).weekday() - 2)
    days = {
        first,
        *(today - dt.timedelta(days=d) for d in (70, 56, 42)),
        *(today - dt.timedelta(days=d) for d in range(21)),
    }
    score = {day: 10 + (day - first).days % 80 for day in days}
    for day in days:
        factories.EngagementSnapshotFactory(participation=weekly, scan_date=day, score=score[day])
    # Sparseby: scanned on other days than Hillcrest, its last scan four days ago.
    sparse_score = {today - dt.timedelta(days=d): 90 - d for d in (45, 25, 4)}
    for day, value in sparse_score.items():
        factories.EngagementSnapshotFactory(participation=sparse, scan_date=day, score=value)

    html = commissioner_client.get(
        reverse("commissioner:collaboration_health", args=[collaboration.slug])
    ).content.decode()
    trend = json.loads(
        re.search(r'<script id="score-trend-data" type="application/json">(.*?)</script>', html)[1]
    )
    labels = [dt.date.fromisoformat(label) for label in trend["labels"]]
    lines = {dataset["label"]: dataset["data"] for dataset in trend["datasets"]}
    assert len(days | set(sparse_score)) > 16  # so the trend goes by week
    assert labels == sorted(labels)
    assert labels[0] == first and labels[-1] == today  # the first and the latest scans
    for name, scores in (("Hillcrest", score), ("Sparseby", sparse_score)):
        shown = {
            day: value for day, value in zip(labels, lines[name], strict=True) if value is not None
        }
        # Every score is the one of the date beside it...
        assert shown == {day: scores[day] for day in shown}
        # ...and each week shows its last scan, so the partner's latest is there.
        weeks = {day - dt.timedelta(days=day.weekday()) for day in scores}
        for monday in weeks:
            last = max(day for day in scores if monday <= day < monday + dt.timedelta(days=7))
            assert last in shown
        assert max(scores) in shown
    assert set(labels) <= days | set(sparse_score)
    # The table says the same, date by date.
    names = [dataset["label"] for dataset in trend["datasets"]]
    expected = [
        [day.isoformat(), *("—" if lines[n][i] is None else str(lines[n][i]) for n in names)]
        for i, day in enumerate(labels)
    ]
    assert trend_table(html) == expected


def test_the_health_page_query_count_does_not_grow(commissioner_client, collaboration):
    url = reverse("commissioner:collaboration_health", args=[collaboration.slug])
    today = timezone.localdate()
    for round_ in range(2):
        meetings = [factories.MeetingFactory(collaboration=collaboration) for _ in range(2)]
        for _ in range(3):
            participation = factories.ParticipationFactory(collaboration=collaboration)
            for days in range(3):
                factories.EngagementSnapshotFactory(
                    participation=participation, scan_date=today - dt.timedelta(days=days)
                )
            factories.FlagFactory(participation=participation)
            for meeting in meetings:
                factories.AttendanceFactory(meeting=meeting, participation=participation)
            factories.ObligationFactory(
                collaboration=collaboration, organisation=participation.organisation
            )
        goal = factories.SharedGoalFactory(collaboration=collaboration)
        factories.MeasurementFactory(goal=goal)
        factories.AgreementFactory(
            collaboration=collaboration,
            status=Agreement.Status.IN_FORCE,
            expiry_date=today + dt.timedelta(days=30 + round_),
        )
        with query_budget("commissioner.collaboration_health"):
            assert commissioner_client.get(url).status_code == 200


def test_a_check_in_is_logged_from_the_health_page(flagged, commissioner_client, collaboration):
    url = reverse("commissioner:checkin_create", args=[collaboration.slug])
    response = commissioner_client.post(url, {"participation": "", "description": "x"})
    assert response.status_code == 200 and "id_participation_error" in response.content.decode()
    foreign = factories.ParticipationFactory()
    response = commissioner_client.post(url, {"participation": foreign.pk, "description": "x"})
    assert response.status_code == 200  # not a choice here
    response = commissioner_client.post(
        url, {"participation": flagged["drifting"].pk, "description": "Spoke to the CAO"}
    )
    assert response.status_code == 302
    assert flagged["drifting"].activities.get().description == "Spoke to the CAO"
    assert not foreign.activities.exists()


def test_the_policy_page(commissioner, administrator, collaboration):
    commissioner_client, admin_client = login(commissioner), login(administrator)
    url = reverse("commissioner:policy_edit", args=[collaboration.slug])
    response = commissioner_client.get(url)
    assert 'value="90"' in response.content.decode()  # the model default is shown
    data = {
        "window_days": 60,
        "weight_attendance": 30,
        "weight_obligations": 25,
        "weight_reporting": 15,
        "weight_recency": 20,
        "weight_signatures": 10,
        "engaged_min": 40,
        "at_risk_min": 40,
        "inactivity_days": 60,
        "overdue_grace_days": 60,
    }
    response = commissioner_client.post(url, data)
    assert response.status_code == 200 and "id_engaged_min_error" in response.content.decode()
    response = commissioner_client.post(url, {**data, "engaged_min": 75})
    assert response.status_code == 302
    assert EngagementPolicy.objects.get(collaboration=collaboration).engaged_min == 75
    response = commissioner_client.post(url, {"reset": "1"})
    assert response.status_code == 302
    assert not EngagementPolicy.objects.exists()

    default_url = reverse("commissioner:default_policy")
    assert commissioner_client.get(default_url).status_code == 403
    # "Try" has no button on the default policy's page, and never saves there either.
    assert (
        admin_client.post(default_url, {**data, "engaged_min": 80, "try": "1"}).status_code == 200
    )
    assert not EngagementPolicy.objects.exists()
    assert admin_client.post(default_url, {**data, "engaged_min": 80}).status_code == 302
    assert EngagementPolicy.objects.get(collaboration=None).engaged_min == 80


def test_each_policy_setting_has_its_own_limits_and_one_message_for_them(
    commissioner, collaboration
):
    """The form's bounds are the services' (not one bound for every setting): the browser's
    number input offers them, and a value past either end gets the same message."""
    client = login(commissioner)
    url = reverse("commissioner:policy_edit", args=[collaboration.slug])
    html = client.get(url).content.decode()
    assert 'name="drift_evidence" value="200" min="1" max="5000"' in html
    assert 'name="window_days" value="90" min="7" max="730"' in html
    values = dict(client.get(url).context["form"].initial)

    saved = client.post(url, {**values, "drift_evidence": 1250})
    assert saved.status_code == 302
    assert EngagementPolicy.objects.get(collaboration=collaboration).drift_evidence == 1250
    for name, value, message in [
        ("drift_evidence", 0, "Enter a number from 1 to 5000."),
        ("drift_evidence", 5001, "Enter a number from 1 to 5000."),
        ("window_days", 1000, "Enter a number from 7 to 730."),
        ("window_days", 99999, "Enter a number from 7 to 730."),
        ("engaged_min", -1, "Enter a number from 1 to 100."),
        ("engaged_min", 150, "Enter a number from 1 to 100."),
    ]:
        response = client.post(url, {**values, name: value})
        assert response.status_code == 200, (name, value)
        assert response.context["form"].errors[name] == [message], (name, value)


# Meetings -------------------------------------------------------------------------------------


def test_every_signed_in_person_reads_meetings_managers_change_them(collaboration, staff):
    meeting = factories.MeetingFactory(collaboration=collaboration, title="Board")
    member = factories.ParticipationFactory(collaboration=collaboration)
    reader = login(staff)
    assert "Board" in text(
        reader.get(reverse("commissioner:meeting_list", args=[collaboration.slug]))
    )
    assert reader.get(reverse("commissioner:meeting_detail", args=[meeting.pk])).status_code == 200
    create = reverse("commissioner:meeting_create", args=[collaboration.slug])
    attendance = reverse("commissioner:meeting_attendance", args=[meeting.pk])
    assert reader.get(create).status_code == 403
    assert reader.post(attendance, {f"participation_{member.pk}": "present"}).status_code == 403
    assert not Attendance.objects.exists()

    manager = login(factories.staff_user(collaboration.lead_organisation))
    response = manager.post(create, {"title": "", "held_at": "not a date"})
    assert response.status_code == 200
    assert "id_title_error" in response.content.decode()
    assert "id_held_at_error" in response.content.decode()
    response = manager.post(create, {"title": "Working group", "held_at": "2026-01-15T14:30"})
    assert response.status_code == 302
    created = Meeting.objects.get(title="Working group")
    assert timezone.localtime(created.held_at).strftime("%Y-%m-%d %H:%M") == "2026-01-15 14:30"

    response = manager.post(attendance, {f"participation_{member.pk}": "present"})
    assert response.status_code == 302
    assert Attendance.objects.get(participation=member).status == "present"
    assert member.activities.get().kind == "meeting_attended"


def test_staff_reach_meetings_from_the_collaboration_page_and_back(
    collaboration, staff, organisation
):
    """Staff of a participating organisation see the latest meetings on the collaboration page
    and the way to all of them; the meeting pages lead back to the collaboration. Its managers
    also get "New meeting" and "Record attendance" there."""
    factories.ParticipationFactory(collaboration=collaboration, organisation=organisation)
    board = factories.MeetingFactory(collaboration=collaboration, title="Board")
    older = [
        factories.MeetingFactory(
            collaboration=collaboration,
            title=f"Old meeting {n}",
            held_at=timezone.now() - dt.timedelta(days=100 + n),
        )
        for n in range(5)
    ]
    reader = login(staff)
    page = reader.get(collaboration.get_absolute_url()).content.decode()
    meetings = page.split('id="meetings-heading"')[1].split("</section>")[0]
    list_url = reverse("commissioner:meeting_list", args=[collaboration.slug])
    assert 'href="#meetings"' in page
    assert f'href="{reverse("commissioner:meeting_detail", args=[board.pk])}"' in meetings
    assert older[-1].title not in meetings  # the five latest only...
    assert f'href="{list_url}"' in meetings and "Earlier meetings" in meetings  # ...and the rest
    assert "New meeting" not in meetings and "Record attendance" not in meetings

    back = f'href="{collaboration.get_absolute_url()}"'
    for url in (list_url, reverse("commissioner:meeting_detail", args=[board.pk])):
        assert back in reader.get(url).content.decode(), url

    manager = login(factories.staff_user(collaboration.lead_organisation))
    page = manager.get(collaboration.get_absolute_url()).content.decode()
    meetings = page.split('id="meetings-heading"')[1].split("</section>")[0]
    assert f'href="{reverse("commissioner:meeting_create", args=[collaboration.slug])}"' in meetings
    assert f'href="{reverse("commissioner:meeting_attendance", args=[board.pk])}"' in meetings
    for url in (
        reverse("commissioner:meeting_create", args=[collaboration.slug]),
        reverse("commissioner:meeting_attendance", args=[board.pk]),
    ):
        assert back in manager.get(url).content.decode(), url


def test_the_meeting_pages_query_counts_do_not_grow(collaboration, commissioner):
    """The meeting list with more meetings, a meeting with more partners and attendances: each
    page costs the same."""
    client = login(commissioner)
    meeting = factories.MeetingFactory(collaboration=collaboration, title="Board")
    list_url = reverse("commissioner:meeting_list", args=[collaboration.slug])
    detail_url = reverse("commissioner:meeting_detail", args=[meeting.pk])
    statuses = ["present", "apologies", "absent"]

    def grow(n):
        for index in range(n):
            member = factories.ParticipationFactory(collaboration=collaboration)
            factories.AttendanceFactory(
                meeting=meeting, participation=member, status=statuses[index % 3]
            )
            other = factories.MeetingFactory(
                collaboration=collaboration,
                held_at=timezone.now() - dt.timedelta(days=30 + index),
            )
            factories.AttendanceFactory(meeting=other, participation=member)

    grow(2)
    with query_budget("commissioner.meeting_list"):
        assert client.get(list_url).status_code == 200
    with query_budget("commissioner.meeting_detail"):
        assert client.get(detail_url).status_code == 200
    grow(6)
    with query_budget("commissioner.meeting_list"):
        response = client.get(list_url)
    assert response.status_code == 200 and text(response).count("Steering committee") == 8
    with query_budget("commissioner.meeting_detail"):
        response = client.get(detail_url)
    assert response.status_code == 200
    assert meeting.attendances.count() == 8


def test_attendance_cannot_be_present_at_a_meeting_still_to_come(collaboration, commissioner):
    upcoming = factories.MeetingFactory(
        collaboration=collaboration, held_at=timezone.now() + dt.timedelta(days=5)
    )
    member = factories.ParticipationFactory(
        collaboration=collaboration, organisation=factories.OrganisationFactory(name="Future Town")
    )
    response = login(commissioner).post(
        reverse("commissioner:meeting_attendance", args=[upcoming.pk]),
        {f"participation_{member.pk}": "present"},
    )
    assert response.status_code == 200
    assert "Future Town: The meeting has not taken place yet" in text(response)
    assert not Attendance.objects.exists()


def test_administrators_set_the_default_policy_in_the_admin_too(administrator):
    client = login(administrator)
    url = reverse("admin:commissioner_engagementpolicy_add")
    data = {
        "collaboration": "",
        "window_days": 60,
        "weight_attendance": 30,
        "weight_obligations": 25,
        "weight_reporting": 15,
        "weight_recency": 20,
        "weight_signatures": 10,
        "engaged_min": 70,
        "at_risk_min": 80,
        "inactivity_days": 60,
        "overdue_grace_days": 60,
    }
    response = client.post(url, data)
    assert response.status_code == 200
    assert "The engaged band must start above the at-risk band." in text(response)
    assert client.post(url, {**data, "at_risk_min": 40}).status_code == 302
    assert EngagementPolicy.objects.get(collaboration=None).window_days == 60
    # Flags are only looked at there: they change through the dashboard.
    assert client.get(reverse("admin:commissioner_flag_add")).status_code == 403
