"""One filterset per model (core/filters.py): the list page, its CSV export and the API list of a
model filter with the same declaration, so a filter means the same wherever it is used."""

from __future__ import annotations

import importlib
import inspect
from collections import defaultdict

import django_filters
import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from agreements.api.views import CollaborationViewSet
from agreements.filters import CollaborationFilterSet
from commissioner.api.views import FlagViewSet
from commissioner.filters import FlagFilterSet
from commissioner.models import Flag
from partners.api.views import OrganisationViewSet
from partners.filters import OrganisationFilterSet
from tests import factories

FILTER_MODULES = ["partners.filters", "agreements.filters", "commissioner.filters"]


def test_each_model_has_one_filterset():
    by_model = defaultdict(list)
    for name in FILTER_MODULES:
        module = importlib.import_module(name)
        for _name, value in inspect.getmembers(module, inspect.isclass):
            if (
                issubclass(value, django_filters.FilterSet)
                and value.__module__ == name
                and value._meta.model is not None
            ):
                by_model[value._meta.model].append(value.__name__)
    assert {model.__name__: names for model, names in by_model.items() if len(names) > 1} == {}
    # The pages' filtersets are the API's.
    assert CollaborationViewSet.filterset_class is CollaborationFilterSet
    assert FlagViewSet.filterset_class is FlagFilterSet
    assert OrganisationViewSet.filterset_class is OrganisationFilterSet


def session(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def api_ids(response) -> set[int]:
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


@pytest.fixture
def flags(db):
    return {
        status: factories.FlagFactory(
            status=status, band="disengaged" if status == "open" else "at_risk"
        )
        for status in (Flag.Status.OPEN, Flag.Status.ACKNOWLEDGED, Flag.Status.AUTO_CLOSED)
    }


def test_the_flag_status_filter_means_the_same_on_the_page_and_in_the_api(
    flags, commissioner, commissioner_client
):
    api = session(commissioner)
    everything = {flag.pk for flag in flags.values()}
    active = {flags["open"].pk, flags["acknowledged"].pk}
    # The API lists every status unless asked; the inbox shows the flags to act on.
    assert api_ids(api.get("/api/v1/flags/")) == everything
    assert api_ids(api.get("/api/v1/flags/", {"status": "active"})) == active
    assert api_ids(api.get("/api/v1/flags/", {"status": "all"})) == everything
    assert api_ids(api.get("/api/v1/flags/", {"status": ["open", "auto_closed"]})) == {
        flags["open"].pk,
        flags["auto_closed"].pk,
    }
    assert api.get("/api/v1/flags/", {"status": "bogus"}).status_code == 400

    def inbox(**params) -> set[int]:
        response = commissioner_client.get(reverse("commissioner:flag_list"), params)
        assert response.status_code == 200
        return {
            pk
            for pk in everything
            if reverse("commissioner:flag_detail", args=[pk]) in response.content.decode()
        }

    assert inbox() == active
    assert inbox(status="all") == everything
    assert inbox(status="auto_closed") == {flags["auto_closed"].pk}
    # The state filter the inbox had is the API's too.
    assert api_ids(api.get("/api/v1/flags/", {"state": "disengaged"})) == {flags["open"].pk}
    assert inbox(state="disengaged") == {flags["open"].pk}


def test_the_collaboration_list_takes_the_apis_organisation_filter(commissioner, admin_client_):
    member = factories.OrganisationFactory(name="Member Town")
    taking_part = factories.ParticipationFactory(organisation=member).collaboration
    elsewhere = factories.CollaborationFactory(title="Elsewhere")
    url = reverse("agreements:collaboration_list")
    response = admin_client_.get(url, {"organisation": member.pk})
    html = response.content.decode()
    assert taking_part.get_absolute_url() in html and elsewhere.get_absolute_url() not in html
    # Kept as a hidden input when the other filters change; not a box to type an id in.
    assert f'type="hidden" name="organisation" value="{member.pk}"' in html
    api = session(commissioner)
    assert api_ids(api.get("/api/v1/collaborations/", {"organisation": member.pk})) == {
        taking_part.pk
    }
    # The page's search is the API's too.
    assert api_ids(api.get("/api/v1/collaborations/", {"q": "elsewhere"})) == {elsewhere.pk}
    # The API's lead filter stays an id: a name is a 400 naming it, the page takes the name.
    response = api.get("/api/v1/collaborations/", {"lead_organisation": "Member Town"})
    assert response.status_code == 400 and "lead_organisation" in response.json()
    lead = elsewhere.lead_organisation
    html = admin_client_.get(url, {"lead_organisation": lead.name}).content.decode()
    assert elsewhere.get_absolute_url() in html and taking_part.get_absolute_url() not in html
