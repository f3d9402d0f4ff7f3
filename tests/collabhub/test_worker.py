"""A task goes through a real Redis broker to a real Celery worker, and its effect comes out."""

import datetime as dt
import os

import pytest
from celery.contrib.testing.worker import start_worker
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.utils import timezone

from collabhub.celery import app
from collabhub.tasks import clear_expired_sessions

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def real_worker(settings):
    if not os.environ.get("REDIS_URL"):
        pytest.skip("needs a real Redis broker: set REDIS_URL (make test does when Redis answers)")
    app.conf.task_always_eager = False
    app.conf.broker_url = os.environ["REDIS_URL"]
    try:
        with start_worker(app, perform_ping_check=False, pool="solo", loglevel="WARNING"):
            yield app
    finally:
        app.conf.task_always_eager = True


def test_task_runs_on_a_real_worker_through_redis(real_worker):
    stale = SessionStore()
    stale.create()
    Session.objects.filter(pk=stale.session_key).update(
        expire_date=timezone.now() - dt.timedelta(days=1)
    )
    fresh = SessionStore()
    fresh.create()

    result = clear_expired_sessions.apply_async()
    # The broker delivered it to the worker (not run eagerly in this process).
    assert result.id
    deadline = timezone.now() + dt.timedelta(seconds=30)
    while Session.objects.filter(pk=stale.session_key).exists():
        assert timezone.now() < deadline, "the worker never ran the task"
        import time

        time.sleep(0.2)
    assert Session.objects.filter(pk=fresh.session_key).exists()
