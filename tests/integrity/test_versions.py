"""Edits carry a version: an API PATCH with a stale If-Match is a 412 and writes nothing; an HTML
edit form opened before someone else saved shows the current version instead of overwriting it."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from agreements.models import Obligation
from tests import factories

from .test_cases import setting  # noqa: F401 - the shared fixture

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager_api(setting):  # noqa: F811
    client = APIClient()
    client.force_login(setting["manager"])
    return client


@pytest.mark.parametrize(
    ("path", "change", "colleague"),
    [
        ("obligations", {"description": "Revised"}, {"description": "Colleague's"}),
        ("collaborations", {"summary": "Revised"}, {"summary": "Colleague's"}),
        ("goals", {"title": "Revised"}, {"title": "Colleague's"}),
        ("agreements", {"title": "Revised"}, {"title": "Colleague's"}),
        ("participations", {"role": "member"}, {"contact": None, "role": "lead"}),
        ("organisations", {"short_name": "Rev"}, {"short_name": "Col"}),
    ],
)
def test_a_patch_against_a_stale_version_is_a_412(
    setting,  # noqa: F811
    manager_api,
    path,
    change,
    colleague,
):
    collaboration = setting["collaboration"]
    objects = {
        "obligations": lambda: factories.ObligationFactory(
            collaboration=collaboration, organisation=setting["partner"]
        ),
        "collaborations": lambda: collaboration,
        "goals": lambda: factories.SharedGoalFactory(collaboration=collaboration),
        "agreements": lambda: factories.AgreementFactory(collaboration=collaboration),
        "participations": lambda: setting["membership"],
        "organisations": lambda: setting["lead"],
    }
    obj = objects[path]()
    url = f"/api/v1/{path}/{obj.pk}/"
    read = manager_api.get(url)
    assert read.status_code == 200
    etag = read["ETag"]
    assert etag.startswith('"') and etag.endswith('"')
    # Someone else saves meanwhile: the version read is now stale.
    type(obj).objects.filter(pk=obj.pk).update(**colleague)
    current = manager_api.get(url)
    assert current["ETag"] != etag
    stale = manager_api.patch(url, change, format="json", HTTP_IF_MATCH=etag)
    assert stale.status_code == 412, stale.content
    assert "changed since you opened it" in stale.json()["row_version"][0]
    fresh = manager_api.get(url)
    assert fresh.json() == current.json()  # nothing was written
    done = manager_api.patch(url, change, format="json", HTTP_IF_MATCH=fresh["ETag"])
    assert done.status_code == 200, done.content
    assert done["ETag"] != fresh["ETag"]


def test_a_stale_edit_form_shows_the_current_version(setting, client):  # noqa: F811
    obligation = factories.ObligationFactory(
        collaboration=setting["collaboration"], organisation=setting["partner"]
    )
    client.force_login(setting["manager"])
    url = f"/collaborations/{setting['collaboration'].slug}/obligations/{obligation.pk}/edit/"
    page = client.get(url)
    opened_at = page.context["form"].initial["row_version"]
    # The partner marks it met while the form is open.
    Obligation.objects.filter(pk=obligation.pk).update(description="Changed by a colleague")
    response = client.post(
        url,
        {
            "organisation": setting["partner"].pk,
            "kind": obligation.kind,
            "description": "My edit",
            "quantity": "10",
            "unit": "dollars",
            "due_date": obligation.due_date.isoformat(),
            "row_version": opened_at,
        },
    )
    assert response.status_code == 200
    content = response.content.decode()
    assert "This changed since you opened it" in content
    assert 'value="Changed by a colleague"' in content
    obligation.refresh_from_db()
    assert obligation.description == "Changed by a colleague"


def test_a_stale_contact_form_shows_the_current_version(setting, client):  # noqa: F811
    contact = factories.ContactFactory(organisation=setting["lead"], name="Ana Silva")
    client.force_login(setting["manager"])
    url = f"/organisations/{setting['lead'].slug}/contacts/{contact.pk}/edit/"
    opened_at = client.get(url).context["form"].initial["row_version"]
    type(contact).objects.filter(pk=contact.pk).update(title="Director")
    response = client.post(url, {"name": "Ana Silva-Ruiz", "row_version": opened_at})
    assert response.status_code == 200
    content = response.content.decode()
    assert "This changed since you opened it" in content
    assert 'value="Director"' in content
    contact.refresh_from_db()
    assert (contact.name, contact.title) == ("Ana Silva", "Director")
