"""Issue 15, cases 5-10, 12 and 13: connections, bounded input and the one rule for final
states. (Cases 1-4, 11 and 14 race a live server: test_races.py.)"""

from __future__ import annotations

import datetime as dt
import importlib
import json
import os
import subprocess
import sys
import time
import zoneinfo
from pathlib import Path

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from agreements import services as agreement_services
from agreements.models import (
    Agreement,
    Collaboration,
    Measurement,
    Obligation,
    Participation,
    Role,
    Signatory,
    Structure,
)
from commissioner import services as commissioner_services
from commissioner.models import Meeting
from core.errors import DomainError
from tests import factories
from tests.conftest import token_client

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def setting(db):
    """A consortium led by Riverton (whose staff manage it) with Lakeside as a member, and
    Lakeside's read-write token."""
    lead = factories.OrganisationFactory(name="City of Riverton")
    partner = factories.OrganisationFactory(name="Town of Lakeside")
    collaboration = factories.CollaborationFactory(
        lead_organisation=lead, structure=Structure.CONSORTIUM
    )
    factories.ParticipationFactory(collaboration=collaboration, organisation=lead, role=Role.LEAD)
    membership = factories.ParticipationFactory(
        collaboration=collaboration, organisation=partner, role=Role.MEMBER
    )
    return {
        "lead": lead,
        "partner": partner,
        "collaboration": collaboration,
        "membership": membership,
        "manager": factories.staff_user(lead),
        "partner_staff": factories.staff_user(partner),
        "api": token_client(partner),
    }


# Case 5: connections -----------------------------------------------------------------------------


def test_connections_close_per_request_except_in_production(monkeypatch):
    """runserver serves each request on a thread of its own: a connection kept per thread for 60
    s exhausted PostgreSQL's 100 connections with 25 concurrent requests."""
    for name in ("collabhub.settings.local", "collabhub.settings.test"):
        module = importlib.import_module(name)
        assert module.DATABASES["default"]["CONN_MAX_AGE"] == 0, name
        assert module.DATABASES["default"]["CONN_HEALTH_CHECKS"] is True, name


# Case 13: SQLite writers wait instead of failing ----------------------------------------------

SQLITE_PROBE = """
import json, threading, time
import django
django.setup()
from django.db import connection, transaction
with connection.cursor() as cursor:
    cursor.execute("CREATE TABLE counter (id integer primary key, seen integer)")
    cursor.execute("PRAGMA journal_mode")
    journal = cursor.fetchone()[0]
connection.close()
errors = []
barrier = threading.Barrier(20)

def write():
    barrier.wait()
    try:
        # Read, decide, write: the shape of every service.
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SELECT count(*) FROM counter")
                seen = cursor.fetchone()[0]
                time.sleep(0.01)
                cursor.execute("INSERT INTO counter (seen) VALUES (%s)", [seen])
    except Exception as exc:
        errors.append(repr(exc))
    finally:
        connection.close()

threads = [threading.Thread(target=write) for _ in range(20)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
with connection.cursor() as cursor:
    cursor.execute("SELECT seen FROM counter ORDER BY seen")
    seen = [row[0] for row in cursor.fetchall()]
print(json.dumps({"errors": errors, "seen": seen, "journal": journal}))
"""


def test_twenty_concurrent_writes_on_sqlite_all_succeed_in_turn(tmp_path):
    """`make run`'s embedded SQLite: 17 of 20 concurrent valid writes failed "database is
    locked". With WAL, a busy timeout and IMMEDIATE transactions they queue."""
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in {"REDIS_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    environment["DATABASE_URL"] = f"sqlite:///{tmp_path / 'race.sqlite3'}"
    environment["DJANGO_SETTINGS_MODULE"] = "collabhub.settings.local"
    result = subprocess.run(
        [sys.executable, "-c", SQLITE_PROBE],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    probe = json.loads(result.stdout.strip().splitlines()[-1])
    assert probe["errors"] == []
    assert probe["journal"] == "wal"
    # Each writer saw every write before it: none read a stale count.
    assert probe["seen"] == list(range(20))


# Case 6: a meeting at the end of time ----------------------------------------------------------


def test_a_meeting_at_9999_12_31_is_refused_not_stored(setting, client):
    toronto = zoneinfo.ZoneInfo("America/Toronto")
    with pytest.raises(DomainError) as caught:
        commissioner_services.meeting_create(
            actor=setting["manager"],
            collaboration=setting["collaboration"],
            title="Forever",
            held_at=dt.datetime(9999, 12, 31, 23, 59, tzinfo=toronto),
        )
    assert caught.value.field == "held_at"
    client.force_login(setting["manager"])
    response = client.post(
        f"/commissioner/collaborations/{setting['collaboration'].slug}/meetings/new/",
        {"title": "Forever", "held_at": "9999-12-31T23:59"},
    )
    assert response.status_code == 200
    assert "Enter a date between 1900-01-01 and 2200-12-31." in response.content.decode()
    assert not Meeting.objects.exists()
    # The meetings API and pages stay up for everyone.
    assert setting["api"].get("/api/v1/meetings/").status_code == 200


# Case 7: the last signature after the expiry date ----------------------------------------------


def _expired_circulating(setting) -> Agreement:
    agreement = factories.AgreementFactory(
        collaboration=setting["collaboration"],
        status=Agreement.Status.CIRCULATING,
        expiry_date=timezone.localdate() - dt.timedelta(days=1),
    )
    factories.SignatoryFactory(agreement=agreement, organisation=setting["partner"])
    return agreement


def test_the_last_signature_past_the_expiry_date_names_expiry_date(setting):
    agreement = _expired_circulating(setting)
    response = setting["api"].post(f"/api/v1/agreements/{agreement.pk}/sign/", {}, format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["expiry_date"]
    assert "after its expiry date" in response.json()["expiry_date"][0]
    agreement.refresh_from_db()
    assert agreement.status == Agreement.Status.CIRCULATING
    assert not Signatory.objects.filter(agreement=agreement, signed_at__isnull=False).exists()


def test_the_browser_shows_the_expiry_problem_rather_than_a_500(setting, client):
    agreement = _expired_circulating(setting)
    client.force_login(setting["partner_staff"])
    response = client.post(
        f"/collaborations/{setting['collaboration'].slug}/agreements/{agreement.pk}/sign/",
        {"organisation": setting["partner"].pk, "signed_by_name": "Lee"},
    )
    assert response.status_code == 200
    assert "after its expiry date" in response.content.decode()


# Case 8: year 1 ---------------------------------------------------------------------------------


def test_a_collaboration_starting_in_year_1_still_takes_reports(setting):
    """Stored before dates were bounded: reports on it no longer overflow (a 500)."""
    Collaboration.objects.filter(pk=setting["collaboration"].pk).update(start_date=dt.date(1, 1, 1))
    goal = factories.SharedGoalFactory(collaboration=setting["collaboration"])
    response = setting["api"].post(
        "/api/v1/measurements/",
        {"goal": goal.pk, "value": "5", "period_end": timezone.localdate().isoformat()},
        format="json",
    )
    assert response.status_code == 201, response.content


def test_year_1_dates_are_refused_at_the_door(setting):
    manager = APIClient()
    manager.force_login(setting["manager"])
    response = manager.patch(
        f"/api/v1/collaborations/{setting['collaboration'].pk}/",
        {"start_date": "0001-01-01"},
        format="json",
    )
    assert response.status_code == 400
    assert list(response.json()) == ["start_date"]
    response = manager.post(
        "/api/v1/agreements/",
        {
            "collaboration": setting["collaboration"].pk,
            "title": "Old",
            "kind": "mou",
            "effective_date": "0001-01-01",
        },
        format="json",
    )
    assert response.status_code == 400 and list(response.json()) == ["effective_date"]


def test_renewal_reminders_survive_an_agreement_of_year_1(
    setting, django_capture_on_commit_callbacks
):
    """An agreement effective 0001-01-01 with 90 days' notice crashed the reminders for all."""
    factories.ContactFactory(organisation=setting["lead"], is_primary=True)
    Agreement.objects.bulk_create(
        [
            Agreement(
                collaboration=setting["collaboration"],
                title="Ancient",
                kind=Agreement.Kind.MOU,
                status=Agreement.Status.IN_FORCE,
                effective_date=dt.date(1, 1, 1),
                expiry_date=dt.date(1, 1, 10),
                renewal_notice_days=90,
            ),
            Agreement(
                collaboration=setting["collaboration"],
                title="Current",
                kind=Agreement.Kind.MOU,
                status=Agreement.Status.IN_FORCE,
                effective_date=timezone.localdate() - dt.timedelta(days=300),
                expiry_date=timezone.localdate() + dt.timedelta(days=30),
                renewal_notice_days=90,
            ),
        ]
    )
    with django_capture_on_commit_callbacks(execute=True):
        commissioner_services.agreement_renewal_reminders_send()
    assert len(mail.outbox) == 2
    assert any("Current" in message.subject + message.body for message in mail.outbox)


# Case 9: 1e400 ----------------------------------------------------------------------------------


@pytest.mark.parametrize("goal", ["1e400", "-1e400", "1.5", "true", '"9' + "9" * 40 + '"'])
def test_an_id_that_is_no_id_is_a_400_for_partner_tokens(setting, goal):
    body = '{"goal": %s, "value": "1", "period_end": "%s"}' % (  # noqa: UP031
        goal,
        timezone.localdate().isoformat(),
    )
    response = setting["api"].generic(
        "POST", "/api/v1/measurements/", body, content_type="application/json"
    )
    assert response.status_code == 400, response.content
    assert not Measurement.objects.exists()


# Case 10: 100,000 signatories -------------------------------------------------------------------


def test_a_list_of_100000_ids_is_refused_before_any_lookup(setting):
    manager = APIClient()
    manager.force_login(setting["manager"])
    body = {
        "collaboration": setting["collaboration"].pk,
        "title": "Huge",
        "kind": "mou",
        "signatory_organisations": list(range(1, 100_001)),
    }
    started = time.monotonic()
    with CaptureQueriesContext(connection) as queries:
        response = manager.post("/api/v1/agreements/", body, format="json")
    assert time.monotonic() - started < 5
    assert response.status_code == 400
    assert "at most 200" in response.json()["signatory_organisations"][0]
    assert len(queries) < 15
    # 200 is the limit; within it the ids are still checked, with one query.
    body["signatory_organisations"] = [setting["partner"].pk] * 200
    response = manager.post("/api/v1/agreements/", body, format="json")
    assert response.status_code == 201, response.content


# Case 12: one rule for final states ---------------------------------------------------------------


def _refused(call, contains):
    with pytest.raises(DomainError) as caught:
        call()
    assert contains in caught.value.message, caught.value.message


def test_a_dissolved_collaboration_takes_no_partner_writes(setting):
    collaboration = setting["collaboration"]
    agreement = factories.AgreementFactory(
        collaboration=collaboration, status=Agreement.Status.CIRCULATING
    )
    factories.SignatoryFactory(agreement=agreement, organisation=setting["partner"])
    obligation = factories.ObligationFactory(
        collaboration=collaboration, organisation=setting["partner"]
    )
    goal = factories.SharedGoalFactory(collaboration=collaboration)
    meeting = factories.MeetingFactory(collaboration=collaboration)
    for final in (Collaboration.Status.DISSOLVED, Collaboration.Status.CONCLUDED):
        Collaboration.objects.filter(pk=collaboration.pk).update(status=final)
        actor = setting["partner_staff"]
        _refused(
            lambda a=actor: agreement_services.agreement_sign(
                agreement=agreement, organisation=setting["partner"], actor=a
            ),
            f"is {final}",
        )
        _refused(
            lambda a=actor: agreement_services.obligation_mark_met(
                obligation=obligation, actor=a, evidence="Paid"
            ),
            f"is {final}",
        )
        _refused(
            lambda a=actor: agreement_services.measurement_report(
                actor=a, goal=goal, value=1, period_end=timezone.localdate()
            ),
            f"is {final}",
        )
        _refused(
            lambda a=actor: commissioner_services.attendance_confirm(
                actor=a, meeting=meeting, status="present"
            ),
            f"is {final}",
        )
    assert not Signatory.objects.filter(signed_at__isnull=False).exists()
    assert Obligation.objects.get().status == Obligation.Status.PENDING


def test_a_withdrawn_partner_writes_nothing_more(setting):
    collaboration = setting["collaboration"]
    agreement = factories.AgreementFactory(
        collaboration=collaboration, status=Agreement.Status.CIRCULATING
    )
    factories.SignatoryFactory(agreement=agreement, organisation=setting["partner"])
    obligation = factories.ObligationFactory(
        collaboration=collaboration, organisation=setting["partner"]
    )
    Participation.objects.filter(pk=setting["membership"].pk).update(
        status=Participation.Status.WITHDRAWN, left_on=timezone.localdate()
    )
    manager = setting["manager"]  # even a manager recording it on paper
    _refused(
        lambda: agreement_services.agreement_sign(
            agreement=agreement, organisation=setting["partner"], actor=manager
        ),
        "withdrew from",
    )
    _refused(
        lambda: agreement_services.obligation_mark_met(
            obligation=obligation, actor=manager, evidence="Paid"
        ),
        "withdrew from",
    )
    response = setting["api"].post(
        f"/api/v1/obligations/{obligation.pk}/mark-met/", {"evidence": "Paid"}, format="json"
    )
    assert response.status_code in (400, 404)
    assert Obligation.objects.get().status == Obligation.Status.PENDING


# Every IntegrityError is a conflict, never a 500 -------------------------------------------


def test_an_unforeseen_constraint_refusal_is_a_409_page_not_a_500(setting, client, monkeypatch):
    """A constraint no service foresaw (the services turn the ones they expect into form
    errors): the page says to reload, with a 409, and the API names the field."""
    from django.db import IntegrityError

    def refuse(**kwargs):
        raise IntegrityError(
            'duplicate key value violates unique constraint "participation_one_per_organisation"'
        )

    monkeypatch.setattr(agreement_services, "participation_add", refuse)
    newcomer = factories.OrganisationFactory()
    client.force_login(setting["manager"])
    response = client.post(
        f"/collaborations/{setting['collaboration'].slug}/participations/new/",
        {"organisation": newcomer.pk, "role": "member", "status": "active"},
    )
    assert response.status_code == 409
    assert "Reload to see the current data" in response.content.decode()
    api = APIClient()
    api.force_login(setting["manager"])
    response = api.post(
        "/api/v1/participations/",
        {
            "collaboration": setting["collaboration"].pk,
            "organisation": newcomer.pk,
            "role": "member",
        },
        format="json",
    )
    assert response.status_code == 409
    assert list(response.json()) == ["organisation"]


def test_a_year_1_datetime_stored_earlier_is_rendered_as_rfc_3339(setting):
    """Year 1 came out with Toronto's local mean time (-05:17:32); midnight UTC overflowed."""
    meeting = factories.MeetingFactory(collaboration=setting["collaboration"])
    Meeting.objects.filter(pk=meeting.pk).update(held_at=dt.datetime(1, 1, 1, tzinfo=dt.UTC))
    response = setting["api"].get(f"/api/v1/meetings/{meeting.pk}/")
    assert response.status_code == 200
    assert response.json()["held_at"] == "0001-01-01T00:00:00Z"


SCAN_NOW_PROBE = """
import json, threading
import django
django.setup()
from django.core.management import call_command
from django.db import connection
call_command("migrate", verbosity=0)
call_command("seed_demo", verbosity=0)
from commissioner.services import engagement_scan_request
from partners.models import User
commissioner = User.objects.filter(role=User.Role.COMMISSIONER).first()
connection.close()
outcomes, barrier = [], threading.Barrier(4)

def scan_now():
    barrier.wait()
    try:
        outcomes.append(engagement_scan_request(actor=commissioner)[0])
    finally:
        connection.close()

threads = [threading.Thread(target=scan_now) for _ in range(4)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
print(json.dumps({"outcomes": outcomes}))
"""


def test_concurrent_scan_now_on_sqlite_all_run(tmp_path):
    """On `make run`'s SQLite, tasks run in-process: a "Scan now" beside another used to fail
    "database is locked", which the page reported as "the task queue is not answering"."""
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in {"REDIS_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    environment["DATABASE_URL"] = f"sqlite:///{tmp_path / 'scan.sqlite3'}"
    environment["DJANGO_SETTINGS_MODULE"] = "collabhub.settings.local"
    environment["MEDIA_ROOT"] = str(tmp_path / "media")
    result = subprocess.run(
        [sys.executable, "-c", SCAN_NOW_PROBE],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    probe = json.loads(result.stdout.strip().splitlines()[-1])
    # At most one scan a day: one press queues it (and, in-process, runs it); the others are
    # told it is running or finished. None fails.
    outcomes = sorted(probe["outcomes"])
    assert outcomes.count("queued") == 1, (outcomes, result.stderr[-3000:])
    assert set(outcomes) <= {"queued", "running", "finished"}, result.stderr[-3000:]
