"""The Django admin cannot get round the partners rules: a revoked token stays revoked and keeps
its organisation and access; roles and staff memberships are changed on the People pages."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from partners import services
from partners.models import StaffMembership, User
from tests import factories

pytestmark = pytest.mark.django_db

ME = "/api/v1/me/"


@pytest.fixture
def superuser_client(client):
    client.force_login(factories.AdministratorFactory(is_superuser=True))
    return client


def admin_form(response) -> dict:
    """The values the admin change form would submit as it stands."""
    form = response.context["adminform"].form
    data = {}
    for name, field in form.fields.items():
        value = form[name].value()
        if value is None or field.disabled:
            continue
        data[name] = value
    return data


def test_a_revoked_token_cannot_be_brought_back_in_the_admin(superuser_client, organisation):
    token, raw = factories.api_token(organisation, write=False, name="Old sync")
    services.api_token_revoke(token=token)
    other = factories.OrganisationFactory()
    url = reverse("admin:partners_apitoken_change", args=[token.pk])
    page = superuser_client.get(url)
    assert page.status_code == 200
    data = {
        **admin_form(page),
        "name": "Renamed sync",
        "revoked_at_0": "",
        "revoked_at_1": "",
        "organisation": other.pk,
        "write_enabled": "on",
        "created_by": "",
        "expires_at_0": (timezone.localdate() + dt.timedelta(days=9999)).isoformat(),
        "expires_at_1": "00:00:00",
    }
    response = superuser_client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    token.refresh_from_db()
    assert token.name == "Renamed sync"  # the one thing the admin may change
    assert token.revoked_at is not None
    assert token.organisation == organisation
    assert not token.write_enabled
    assert token.expires_at is None
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert client.get(ME).status_code == 401


def test_roles_and_memberships_are_not_changed_in_the_admin(superuser_client, organisation):
    staff = factories.staff_user(organisation, username="riley")
    url = reverse("admin:partners_user_change", args=[staff.pk])
    page = superuser_client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert f'href="{reverse("partners:people_list")}"' in html  # where roles are managed
    superuser_client.post(
        url,
        {
            **admin_form(page),
            "role": User.Role.ADMINISTRATOR,
            "is_staff": "on",
            "is_superuser": "on",
            "is_active": "",
            # The membership inline, asking to delete the staff user's organisation.
            "staff_membership-TOTAL_FORMS": "1",
            "staff_membership-INITIAL_FORMS": "1",
            "staff_membership-0-id": staff.staff_membership.pk,
            "staff_membership-0-user": staff.pk,
            "staff_membership-0-DELETE": "on",
        },
    )
    staff.refresh_from_db()
    assert staff.role == User.Role.STAFF
    assert not staff.is_staff and not staff.is_superuser
    assert staff.is_active
    assert StaffMembership.objects.get(user=staff).organisation == organisation


def test_people_are_added_on_the_people_pages_not_in_the_admin(superuser_client):
    assert superuser_client.get(reverse("admin:partners_user_add")).status_code == 403
    changelist = superuser_client.get(reverse("admin:partners_user_changelist"))
    assert changelist.status_code == 200
    assert reverse("admin:partners_user_add") not in changelist.content.decode()


def test_passwords_are_still_reset_in_the_admin(superuser_client, organisation):
    staff = factories.staff_user(organisation)
    url = reverse("admin:auth_user_password_change", args=[staff.pk])
    response = superuser_client.post(
        url,
        {
            "password1": "a-new-long-passphrase-77",
            "password2": "a-new-long-passphrase-77",
            "usable_password": "true",
        },
    )
    assert response.status_code == 302
    staff.refresh_from_db()
    assert staff.check_password("a-new-long-passphrase-77")


def test_the_admin_reads_a_website_without_a_scheme_as_https(superuser_client):
    """As the organisation form does (and as Django 6 will by default)."""
    page = superuser_client.get(reverse("admin:partners_organisation_add"))
    website = page.context["adminform"].form.fields["website"]
    assert website.clean("www.example.org") == "https://www.example.org"
