"""The isolation walks can fail: against an API and pages with one hole of each kind, they
report every hole, and nothing on the sound routes."""

import pytest
from django.test import Client

from tests.trust import fake_pages
from tests.trust.apiwalk import Walk, fetch_schema, schema_operations
from tests.trust.pages import all_pages
from tests.trust.pagewalk import (
    change_failures,
    dead_form_failures,
    form_page_failures,
    harvest,
    private_row_failures,
)

pytestmark = pytest.mark.django_db


def test_api_walk_reports_every_hole_and_only_those(settings, client, world, alpha_api):
    settings.ROOT_URLCONF = "tests.trust.fake_api"
    operations = schema_operations(fetch_schema(client, world.administrator))
    walk = Walk(world=world, client=alpha_api, operations=operations).run()
    report = "\n".join(walk.failures)

    assert "GET /api/v1/goals/{id}/ [/api/v1/goals/" in report  # unscoped detail
    assert "B's object must answer 404" in report
    assert "accepted B's goals in `goal`" in report  # unscoped foreign key
    # ... found by the probes of a browser session too, not only of A's token.
    assert "A's staff (manager), B's goals in `goal`: accepted" in report
    assert "the count is not taken from the scoped list" in report
    # An endpoint that refuses every caller before validation tested nothing.
    assert "POST /api/v1/contacts/ [/api/v1/contacts/]: every caller was refused" in report
    assert "/api/v1/obligations/" not in report, report  # the sound routes pass
    assert walk.exercised == {op.label for op in operations} - {"POST /api/v1/contacts/"}


def test_page_walk_reports_every_hole_and_only_those(settings, world):
    settings.ROOT_URLCONF = "tests.trust.fake_pages"
    staff_a, administrator = Client(), Client()
    staff_a.force_login(world.a.staff)
    administrator.force_login(world.administrator)
    pages = [page for page in all_pages() if page.route in fake_pages.ROUTES]
    assert len(pages) == 4
    b_collaboration = f"/collaborations/{world.b.objects['collaborations'].slug}/"
    b_obligation = world.b.objects["obligations"].pk

    leaks = "\n".join(private_row_failures(world, staff_a, pages))
    assert f"{b_collaboration}: shows ['{world.b.private_marker}'" in leaks

    forms = "\n".join(form_page_failures(world, staff_a, pages, administrator=administrator))
    assert f"obligations/{b_obligation}/edit/ (None): 200" in forms
    # A page is a form page by the form on it, whatever its path says.
    assert f"obligations/{b_obligation}/note/ (None): 200" in forms
    assert "mark-met" not in forms  # the sound page answers 403

    # The control run finds the form that could never change anything, and only that one.
    dead = "\n".join(dead_form_failures(harvest(world, administrator, pages)))
    assert f"obligations/{b_obligation}/note/ (form on" in dead
    assert "/edit/" not in dead

    changes = "\n".join(change_failures(world, staff_a, administrator, pages))
    assert f"obligations/{b_obligation}/edit/ (None) by A's staff changed B's data" in changes
    assert "mark-met" not in changes
