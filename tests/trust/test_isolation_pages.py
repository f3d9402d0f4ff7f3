"""Tenant isolation in the browser: a staff user of organisation A reads the shared directory and
every collaboration, but never B's private rows (engagement snapshots, flags, interventions), and
no page or htmx fragment lets A change anything of B's.

Every page comes from the URL resolver (tests/trust/pages.py), so pages added later are walked
without touching this file. Forms are harvested from each page as an administrator sees it; a
control run proves each one live (the administrator's submission, rolled back, changes B's data),
then A's staff user submits the same values: an accepted submission would change B's data, and
the test fails."""

import pytest
from django.test import Client

from tests.trust.pagewalk import (
    change_failures,
    dead_form_failures,
    form_page_failures,
    harvest,
    private_row_failures,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_a(world):
    client = Client()
    client.force_login(world.a.staff)
    return client


@pytest.fixture
def administrator(world):
    client = Client()
    client.force_login(world.administrator)
    return client


def test_staff_never_see_other_organisations_private_rows(world, staff_a):
    failures = private_row_failures(world, staff_a)
    assert not failures, "\n".join(failures)


def test_staff_cannot_open_the_forms_of_another_organisations_objects(
    world, staff_a, administrator
):
    failures = form_page_failures(world, staff_a, administrator=administrator)
    assert not failures, "\n".join(failures)


def test_staff_cannot_change_another_organisations_objects(world, staff_a, administrator):
    """The control run first: every harvested form changes B's data when the administrator
    submits it (rolled back), so A's staff submitting it tests something."""
    harvested = harvest(world, administrator)
    assert len(harvested) >= 20, f"only {len(harvested)} forms were harvested from B's pages"
    dead = dead_form_failures(harvested)
    assert not dead, "\n".join(dead)
    failures = change_failures(world, staff_a, administrator, harvested=harvested)
    assert not failures, "\n".join(failures)
