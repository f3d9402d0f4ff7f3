"""The commissioner's Celery tasks: thin wrappers of the services, reminders sent once each, the
scan through a real worker and a real Redis broker, and "Scan now" with the broker down."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import time

import pytest
from celery.contrib.testing.worker import start_worker
from django.conf import settings
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from agreements.models import Agreement, Collaboration, Obligation
from collabhub.celery import app
from commissioner import tasks
from commissioner.models import EngagementSnapshot, Reminder, ScanRun
from commissioner.services import agreement_renewal_reminders_send, obligation_reminders_send
from core.scheduling import beat_schedule_sync, run_due_tasks
from tests import factories
from tests.commissioner.mailbackends import RefusingBackend

DEAD_BROKER = "redis://127.0.0.1:1/0"  # nothing listens on port 1


def use_broker(url: str) -> None:
    """Point the Celery app at another broker, dropping the connections it pooled."""
    app.conf.broker_url = url
    app._pool = None
    if "amqp" in app.__dict__:
        app.amqp._producer_pool = None


# Thin tasks -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_beat_schedule_names_real_tasks():
    names = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    for name in (
        "commissioner.tasks.engagement_scan_task",
        "commissioner.tasks.send_obligation_reminders_task",
        "commissioner.tasks.send_agreement_renewal_reminders_task",
    ):
        assert name in names
        assert name in app.tasks
    scan_task = app.tasks["commissioner.tasks.engagement_scan_task"]
    # Acknowledged once done, and requeued (not acknowledged) when a prefork child is killed.
    assert (scan_task.acks_late, scan_task.reject_on_worker_lost) == (True, True)
    # A scan killed by the time limit is acknowledged (no loop), and the limits stay below the
    # broker's visibility timeout, so no second copy starts while the first still runs.
    assert app.conf.task_acks_on_failure_or_timeout is not False
    visibility = settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]
    assert settings.CELERY_TASK_SOFT_TIME_LIMIT < settings.CELERY_TASK_TIME_LIMIT < visibility


def test_the_scan_time_comes_from_the_environment():
    """ENGAGEMENT_SCAN_HOUR / _MINUTE reach the beat schedule: the settings are loaded afresh in
    another process with those variables set."""
    code = (
        "import json; from collabhub.settings import base; "
        "entry = base.CELERY_BEAT_SCHEDULE['engagement-scan']; "
        "print(json.dumps([entry['task'], sorted(entry['schedule'].hour), "
        "sorted(entry['schedule'].minute)]))"
    )

    def schedule(**env) -> list:
        environment = {
            key: value for key, value in os.environ.items() if not key.startswith("ENGAGEMENT_")
        }
        result = subprocess.run(
            [sys.executable, "-c", code],
            cwd=settings.BASE_DIR,
            env={**environment, **env},
            capture_output=True,
            text=True,
            check=True,
        )
        return json.loads(result.stdout)

    task = "commissioner.tasks.engagement_scan_task"
    assert schedule() == [task, [5], [0]]
    assert schedule(ENGAGEMENT_SCAN_HOUR="23", ENGAGEMENT_SCAN_MINUTE="45") == [task, [23], [45]]
    assert schedule(ENGAGEMENT_SCAN_HOUR="2") == [task, [2], [0]]


@pytest.mark.django_db
def test_the_scan_task_calls_the_service(collaboration, django_capture_on_commit_callbacks):
    factories.ParticipationFactory(collaboration=collaboration)
    # Tasks run eagerly: the fan-out queues its one batch on commit, which scores it and
    # queues the finishing step.
    with django_capture_on_commit_callbacks(execute=True):
        result = tasks.engagement_scan_task.apply(kwargs={"scan_date": "2026-03-31"}).get()
    assert (result["scan_date"], result["queued"]) == ("2026-03-31", 1)
    assert EngagementSnapshot.objects.get().scan_date == dt.date(2026, 3, 31)
    run = ScanRun.objects.get()
    assert run.finished_at is not None and run.figures["participations_scored"] == 1


@pytest.mark.django_db
def test_the_daily_scan_runs_from_the_in_process_scheduler(
    collaboration, django_capture_on_commit_callbacks
):
    factories.ParticipationFactory(collaboration=collaboration)
    beat_schedule_sync()
    PeriodicTask.objects.filter(name="engagement-scan").update(
        last_run_at=timezone.now() - dt.timedelta(days=2)
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert "engagement-scan" in run_due_tasks(timezone.now())
    assert EngagementSnapshot.objects.filter(scan_date=timezone.localdate()).count() == 1


# Reminders ------------------------------------------------------------------------------------


@pytest.fixture
def owing(db, collaboration):
    """An organisation with a primary contact, taking part in the collaboration."""
    organisation = factories.OrganisationFactory(name="Owing Town")
    factories.ContactFactory(organisation=organisation, email="cao@owing.example", is_primary=True)
    factories.ContactFactory(organisation=organisation, email="clerk@owing.example")
    factories.ParticipationFactory(collaboration=collaboration, organisation=organisation)
    return organisation


def obligation(collaboration, organisation, days_from_today, **kwargs):
    return factories.ObligationFactory(
        collaboration=collaboration,
        organisation=organisation,
        due_date=timezone.localdate() + dt.timedelta(days=days_from_today),
        **kwargs,
    )


@pytest.mark.django_db
def test_obligation_reminders_go_out_once_each(
    collaboration, owing, django_capture_on_commit_callbacks
):
    soon = obligation(collaboration, owing, 5, description="Dues due soon")
    late = obligation(collaboration, owing, -10, description="Dues overdue")
    obligation(collaboration, owing, settings.OBLIGATION_REMINDER_DAYS + 10)  # not yet
    obligation(
        collaboration,
        owing,
        -3,
        status=Obligation.Status.MET,
        met_at=timezone.now(),
    )  # met
    no_contact = factories.OrganisationFactory()
    obligation(collaboration, no_contact, 3)  # nobody to tell
    ended = factories.CollaborationFactory(status=Collaboration.Status.CONCLUDED)
    obligation(ended, owing, 3)  # the collaboration has ended

    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.send_obligation_reminders_task.apply().get() == 2
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["cao@owing.example"]
    assert "Dues due soon" in message.body and "Dues overdue" in message.body
    assert "overdue since" in message.body
    assert set(Reminder.objects.values_list("kind", "obligation")) == {
        (Reminder.Kind.OBLIGATION_DUE_SOON, soon.pk),
        (Reminder.Kind.OBLIGATION_OVERDUE, late.pk),
    }

    with django_capture_on_commit_callbacks(execute=True):
        assert obligation_reminders_send() == 0
    assert len(mail.outbox) == 1

    # Days later the one that was due soon is overdue: that is a new reminder, sent once.
    later = timezone.localdate() + dt.timedelta(days=6)
    with django_capture_on_commit_callbacks(execute=True):
        assert obligation_reminders_send(today=later) == 1
        assert obligation_reminders_send(today=later) == 0
    assert len(mail.outbox) == 2
    assert Reminder.objects.filter(obligation=soon).count() == 2


@pytest.mark.django_db
def test_agreement_renewal_reminders_go_out_once(
    collaboration, owing, django_capture_on_commit_callbacks
):
    today = timezone.localdate()
    lead = collaboration.lead_organisation
    factories.ContactFactory(organisation=lead, email="lead@lead.example", is_primary=True)

    def agreement(title, expires_in, notice=90, status=Agreement.Status.IN_FORCE):
        return factories.AgreementFactory(
            collaboration=collaboration,
            title=title,
            status=status,
            effective_date=today - dt.timedelta(days=700),
            expiry_date=today + dt.timedelta(days=expires_in),
            renewal_notice_days=notice,
        )

    due = agreement("Transit service agreement", 60)
    agreement("Long notice", 170, notice=180)  # 170 - 180 < 0: due too
    agreement("Not yet", 200)
    agreement("A draft", 30, status=Agreement.Status.DRAFT)

    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.send_agreement_renewal_reminders_task.apply().get() == 2
    assert {m.subject for m in mail.outbox} == {
        "CollabHub: renewal notice for Transit service agreement",
        "CollabHub: renewal notice for Long notice",
    }
    message = next(m for m in mail.outbox if "Transit" in m.subject)
    assert message.to == ["lead@lead.example"]
    assert message.cc == [collaboration.commissioner.email]
    assert "in 60 days" in message.body and "90 days" in message.body
    assert Reminder.objects.get(agreement=due).recipient == "lead@lead.example"

    with django_capture_on_commit_callbacks(execute=True):
        assert agreement_renewal_reminders_send() == 0
    assert len(mail.outbox) == 2


# Transactional: the mail leaves when the reminders commit, as in production, so what the
# service returns is what went out.
@pytest.mark.django_db(transaction=True)
def test_a_reminder_the_mail_server_refused_is_sent_by_the_next_run(collaboration, owing, settings):
    """One e-mail per recipient; the server takes the first and refuses the second. The first's
    reminders stay recorded (never sent again); the second's are not, and go next time."""
    other = factories.OrganisationFactory(name="Second Town")
    factories.ContactFactory(organisation=other, email="cao@second.example", is_primary=True)
    factories.ParticipationFactory(collaboration=collaboration, organisation=other)
    first = obligation(collaboration, owing, 5, description="First's dues")
    second = obligation(collaboration, other, 6, description="Second's dues")
    settings.EMAIL_BACKEND = "tests.commissioner.mailbackends.RefusingBackend"
    RefusingBackend.reset(refuse={2})

    assert obligation_reminders_send() == 1
    assert [m.to for m in mail.outbox] == [["cao@owing.example"]]
    assert list(Reminder.objects.values_list("obligation", flat=True)) == [first.pk]

    assert obligation_reminders_send() == 1
    assert [m.to for m in mail.outbox] == [["cao@owing.example"], ["cao@second.example"]]
    assert "Second's dues" in mail.outbox[1].body and "First's" not in mail.outbox[1].body
    assert set(Reminder.objects.values_list("obligation", flat=True)) == {first.pk, second.pk}
    assert obligation_reminders_send() == 0
    assert len(mail.outbox) == 2


@pytest.mark.django_db(transaction=True)
def test_a_renewal_reminder_the_mail_server_refused_is_sent_by_the_next_run(
    collaboration, settings
):
    today = timezone.localdate()
    factories.ContactFactory(
        organisation=collaboration.lead_organisation, email="lead@lead.example", is_primary=True
    )
    agreements = [
        factories.AgreementFactory(
            collaboration=collaboration,
            title=title,
            status=Agreement.Status.IN_FORCE,
            effective_date=today - dt.timedelta(days=700),
            expiry_date=today + dt.timedelta(days=days),
        )
        for title, days in (("Sooner", 30), ("Later", 60))
    ]
    settings.EMAIL_BACKEND = "tests.commissioner.mailbackends.RefusingBackend"
    RefusingBackend.reset(refuse={2})
    assert agreement_renewal_reminders_send() == 1
    assert [m.subject for m in mail.outbox] == ["CollabHub: renewal notice for Sooner"]
    assert list(Reminder.objects.values_list("agreement", flat=True)) == [agreements[0].pk]
    assert agreement_renewal_reminders_send() == 1
    assert mail.outbox[-1].subject == "CollabHub: renewal notice for Later"
    assert agreement_renewal_reminders_send() == 0
    assert len(mail.outbox) == 2


@pytest.mark.django_db(transaction=True)
def test_reminders_survive_a_mail_server_that_is_down(collaboration, owing, monkeypatch):
    obligation(collaboration, owing, 5)

    class Down:
        def open(self):
            raise ConnectionRefusedError("smtp down")

        def send_messages(self, messages):
            raise ConnectionRefusedError("smtp down")

        def close(self):
            pass

    monkeypatch.setattr("commissioner.services.notices.mail.get_connection", lambda: Down())
    assert obligation_reminders_send() == 0
    assert not Reminder.objects.exists()
    monkeypatch.undo()
    assert obligation_reminders_send() == 1
    assert len(mail.outbox) == 1


# A real worker, a real broker -----------------------------------------------------------------


@pytest.fixture
def real_worker():
    if not os.environ.get("REDIS_URL"):
        message = "needs a real Redis broker: set REDIS_URL (make test does when Redis answers)"
        if os.environ.get("CI"):
            # CI provides Redis: a worker test that skips there would pass without running.
            pytest.fail(f"CI is set but REDIS_URL is not: {message}")
        pytest.skip(message)
    app.conf.task_always_eager = False
    use_broker(os.environ["REDIS_URL"])
    try:
        with start_worker(app, perform_ping_check=False, pool="solo", loglevel="WARNING"):
            yield app
    finally:
        app.conf.task_always_eager = True


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_the_scan_runs_on_a_real_worker_through_redis(real_worker, commissioner):
    collaboration = factories.CollaborationFactory(commissioner=commissioner)
    participation = factories.ParticipationFactory(collaboration=collaboration)

    result = tasks.engagement_scan_task.apply_async()
    assert result.id
    deadline = time.monotonic() + 30
    while not EngagementSnapshot.objects.filter(participation=participation).exists():
        assert time.monotonic() < deadline, "the worker never ran the scan"
        time.sleep(0.2)
    assert EngagementSnapshot.objects.get().scan_date == timezone.localdate()


# The broker is down ---------------------------------------------------------------------------


@pytest.fixture
def dead_broker():
    saved = app.conf.broker_url
    app.conf.task_always_eager = False
    use_broker(DEAD_BROKER)
    try:
        yield
    finally:
        app.conf.task_always_eager = True
        use_broker(saved)


@pytest.mark.django_db(transaction=True)
def test_scan_now_with_the_broker_down_still_answers(dead_broker, commissioner, caplog):
    client = Client()
    client.force_login(commissioner)
    started = time.monotonic()
    response = client.post(reverse("commissioner:scan_now"), follow=True)
    assert response.status_code == 200
    assert time.monotonic() - started < 15
    assert "Could not queue the scan" in response.content.decode()
    assert "Could not queue the engagement scan" in caplog.text
    assert not EngagementSnapshot.objects.exists()
