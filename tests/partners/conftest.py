"""Fixtures of the partners tests: a second organisation and its staff, and helpers."""

import pytest

from tests import factories


@pytest.fixture
def other_organisation(db):
    return factories.OrganisationFactory(name="Town of Elsewhere", slug="elsewhere")


@pytest.fixture
def other_staff(db, other_organisation):
    return factories.staff_user(other_organisation, username="elsewhere-staff")


@pytest.fixture
def other_staff_client(client, other_staff):
    client.force_login(other_staff)
    return client
