"""CSV exports of the collaboration list (collaborations, and their participations, obligations
and measurements) and of the flag inbox: the rows of the list with its filters, every cell that
would start a spreadsheet formula guarded, streamed, and a query count that does not grow."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.test import Client
from django.urls import reverse

from agreements.models import Collaboration, Obligation
from core import csv_export
from tests import factories
from tests.partners.test_views import csv_body
from tests.querycount import query_budget

pytestmark = pytest.mark.django_db

COLLABORATIONS = "/collaborations/export.csv"


def export_of(kind: str) -> str:
    return reverse(f"agreements:{kind[:-1]}_export")


def rows(client: Client, url: str, params=None) -> list[list[str]]:
    response = client.get(url, params or {})
    assert response.status_code == 200, response
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith("attachment; filename=")
    return list(csv.reader(io.StringIO(csv_body(response))))


@pytest.fixture
def two(db, collaboration, lead, partner):
    """The fixture's active collaboration (two partners, a goal with a measurement, an
    obligation) and a paused one with a hostile title and description."""
    goal = factories.SharedGoalFactory(collaboration=collaboration, title="Riders")
    factories.MeasurementFactory(
        goal=goal,
        value=120,
        period_end=dt.date(2026, 1, 31),
        reported_by_organisation=partner,
        evidence="@SUM(1+1)",
    )
    factories.ObligationFactory(
        collaboration=collaboration, organisation=partner, description="Annual dues"
    )
    paused = factories.CollaborationFactory(
        title='=HYPERLINK("http://evil.example","click")',
        status=Collaboration.Status.PAUSED,
        lead_organisation=lead,
    )
    factories.ParticipationFactory(collaboration=paused, organisation=lead)
    factories.ObligationFactory(
        collaboration=paused, organisation=lead, description="-cmd|' /C calc'!A0"
    )
    return collaboration, paused


def test_the_collaboration_export_is_the_list_with_its_filters(client, two, lead_staff):
    active, paused = two
    client.force_login(lead_staff)
    everything = rows(client, COLLABORATIONS)
    assert everything[0][:3] == ["Collaboration", "Slug", "Structure"]
    assert {row[1] for row in everything[1:]} == {active.slug, paused.slug}
    only_active = rows(client, COLLABORATIONS, {"status": "active"})
    assert [row[1] for row in only_active[1:]] == [active.slug]
    # The list page links to the export with its current filters.
    page = client.get("/collaborations/", {"status": "active", "page": "1"}).content.decode()
    assert 'href="/collaborations/export.csv?status=active"' in page
    assert 'href="/collaborations/export/obligations.csv?status=active"' in page


def test_cells_that_would_start_a_formula_are_guarded(client, two, lead_staff):
    client.force_login(lead_staff)
    titles = [row[0] for row in rows(client, COLLABORATIONS)[1:]]
    assert '\'=HYPERLINK("http://evil.example","click")' in titles
    descriptions = [row[3] for row in rows(client, export_of("obligations"))[1:]]
    assert "'-cmd|' /C calc'!A0" in descriptions and "Annual dues" in descriptions
    evidence = [row[-1] for row in rows(client, export_of("measurements"))[1:]]
    assert evidence == ["'@SUM(1+1)"]


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("participations", [["City of Riverton", "Lead"], ["Town of Lakeside", "Member"]]),
        ("obligations", [["Town of Lakeside", "Funding contribution"]]),
        ("measurements", [["Riders", "Households served"]]),
    ],
)
def test_children_are_those_of_the_listed_collaborations(client, two, lead_staff, kind, expected):
    active, _paused = two
    client.force_login(lead_staff)
    exported = rows(client, export_of(kind), {"status": "active"})
    assert all(row[0] == active.title for row in exported[1:])
    assert [row[1:3] for row in exported[1:]] == expected
    everything = rows(client, export_of(kind))
    assert len(everything) >= len(exported)


def test_a_bad_filter_or_kind_is_refused(client, two, lead_staff):
    client.force_login(lead_staff)
    response = client.get(COLLABORATIONS, {"status": "exploded"})
    assert response.status_code == 400
    assert "status" in response.content.decode()
    assert client.get("/collaborations/export/flags.csv").status_code == 404  # no such export


@pytest.mark.parametrize(
    "kind", ["collaborations", "participations", "obligations", "measurements"]
)
def test_export_query_counts_do_not_grow(client, lead_staff, kind):
    client.force_login(lead_staff)

    def grow(count: int) -> None:
        for _ in range(count):
            collaboration = factories.CollaborationFactory()
            participation = factories.ParticipationFactory(collaboration=collaboration)
            factories.ObligationFactory(
                collaboration=collaboration, organisation=participation.organisation
            )
            factories.MeasurementFactory(
                goal=factories.SharedGoalFactory(collaboration=collaboration)
            )

    def exported() -> int:
        with query_budget(f"agreements.export_{kind}"):
            return len(rows(client, export_of(kind)))

    grow(2)
    first = exported()
    grow(5)
    assert exported() == first + 5


def test_a_large_export_is_streamed_with_the_same_rows(client, two, lead_staff, monkeypatch):
    client.force_login(lead_staff)
    written = client.get(COLLABORATIONS)
    assert not written.streaming and int(written["Content-Length"]) > 0
    monkeypatch.setattr(csv_export, "STREAM_FROM_ROWS", 1)
    streamed = client.get(COLLABORATIONS)
    assert streamed.streaming
    assert streamed["Content-Disposition"] == written["Content-Disposition"]
    assert csv_body(streamed) == csv_body(written)


# The flag inbox ---------------------------------------------------------------------------------


def test_the_flag_export_is_the_inbox_with_its_filters(client, two, commissioner_user, lead_staff):
    active, _ = two
    participation = active.participations.get(organisation__name="Town of Lakeside")
    factories.FlagFactory(participation=participation, band="disengaged", reasons=["+1 absent"])
    factories.FlagFactory(
        participation=active.participations.get(organisation__name="City of Riverton"),
        band="at_risk",
    )
    url = reverse("commissioner:flag_export")
    client.force_login(lead_staff)
    assert client.get(url).status_code == 403  # staff have no flags
    client.force_login(commissioner_user)
    everything = rows(client, url)
    assert everything[0][:4] == ["Partner", "Collaboration", "State", "Band"]
    assert len(everything) == 3
    disengaged = rows(client, url, {"band": "disengaged"})
    assert [row[0] for row in disengaged[1:]] == ["Town of Lakeside"]
    assert disengaged[1][5] == "'+1 absent"
    page = client.get(reverse("commissioner:flag_list"), {"band": "disengaged"}).content.decode()
    assert 'href="/commissioner/flags/export.csv?band=disengaged"' in page


def test_a_drifting_flag_exports_as_drifting_as_the_inbox_says(client, two, commissioner_user):
    """A drifting partner's band is still "engaged": the export says its state, as the inbox
    does, beside the band."""
    active, _ = two
    participation = active.participations.get(organisation__name="City of Riverton")
    factories.FlagFactory(participation=participation, band="engaged", state="drifting")
    client.force_login(commissioner_user)
    inbox = client.get(reverse("commissioner:flag_list")).content.decode()
    assert "Drifting" in inbox
    header, row = rows(client, reverse("commissioner:flag_export"))
    exported = dict(zip(header, row, strict=True))
    assert (exported["Partner"], exported["State"], exported["Band"]) == (
        "City of Riverton",
        "Drifting",
        "Engaged",
    )


def test_obligation_status_and_overdue_read_as_words(client, collaboration, partner, lead_staff):
    factories.ObligationFactory(
        collaboration=collaboration,
        organisation=partner,
        due_date=dt.date(2020, 1, 1),
        status=Obligation.Status.PENDING,
    )
    client.force_login(lead_staff)
    (row,) = rows(client, export_of("obligations"))[1:]
    assert row[6:9] == ["2020-01-01", "Pending", "yes"]


def test_the_flag_export_query_count_does_not_grow(client, commissioner_user):
    client.force_login(commissioner_user)
    url = reverse("commissioner:flag_export")

    def exported() -> int:
        with query_budget("commissioner.flag_export"):
            return len(rows(client, url))

    factories.FlagFactory.create_batch(2)
    first = exported()
    factories.FlagFactory.create_batch(5)
    assert exported() == first + 5
