"""A task goes through the real Redis broker to a real Celery worker — a process of its own,
started as `celery -A collabhub worker` — and its effect comes out in the shared database."""

import datetime as dt
import os
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from celery.result import EagerResult
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.db import connection
from django.utils import timezone

from collabhub.celery import app
from core.tasks import clear_expired_sessions

ROOT = Path(__file__).resolve().parents[2]
WAIT_SECONDS = 90


def require_real_broker() -> str:
    """REDIS_URL, checked with a PostgreSQL test database the worker process can reach too.
    Without them the test is skipped on a developer's machine, and fails under CI=true: CI must
    prove that tasks really go through a broker to a worker."""
    missing = []
    if not os.environ.get("REDIS_URL"):
        missing.append("REDIS_URL (a real Redis broker)")
    if connection.vendor != "postgresql":
        missing.append("DATABASE_URL of a PostgreSQL server (a database the worker shares)")
    if missing:
        reason = f"needs {' and '.join(missing)}; make test sets both when the services answer"
        if os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}:
            pytest.fail(f"CI must run the real-worker test, but it {reason}", pytrace=False)
        pytest.skip(reason)
    return os.environ["REDIS_URL"]


@dataclass
class WorkerProcess:
    process: subprocess.Popen
    queue: str
    log: Path

    def wait_for_log(self, text: str) -> str:
        deadline = time.monotonic() + WAIT_SECONDS
        while time.monotonic() < deadline:
            log = self.log.read_text()
            if text in log:
                return log
            assert self.process.poll() is None, f"the worker exited:\n{log}"
            time.sleep(0.2)
        log = self.log.read_text()
        raise AssertionError(f"{text!r} never appeared in the worker's log:\n{log}")


@pytest.fixture
def worker_process(tmp_path):
    redis_url = require_real_broker()
    # A queue of its own, so no other worker on this Redis (a `make run`, say) can take the task.
    queue = f"collabhub-test-{uuid.uuid4().hex[:12]}"
    test_database = urlsplit(os.environ["DATABASE_URL"])._replace(
        path=f"/{connection.settings_dict['NAME']}"
    )
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "collabhub.settings.test",
        "DATABASE_URL": test_database.geturl(),
        "REDIS_URL": redis_url,
    }
    log = tmp_path / "worker.log"
    with log.open("w") as output:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "collabhub",
                "worker",
                "--pool=solo",
                f"--queues={queue}",
                f"--hostname={queue}@%h",
                "--loglevel=INFO",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
            ],
            cwd=ROOT,
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    eager, broker_url = app.conf.task_always_eager, app.conf.broker_url
    app.conf.task_always_eager = False
    app.conf.broker_url = redis_url
    try:
        yield WorkerProcess(process, queue, log)
    finally:
        app.conf.task_always_eager, app.conf.broker_url = eager, broker_url
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_task_goes_through_redis_to_a_worker_process(worker_process):
    stale = SessionStore()
    stale.create()
    Session.objects.filter(pk=stale.session_key).update(
        expire_date=timezone.now() - dt.timedelta(days=1)
    )
    fresh = SessionStore()
    fresh.create()

    result = clear_expired_sessions.apply_async(queue=worker_process.queue)
    # Published to the broker, not run in this process.
    assert not isinstance(result, EagerResult)
    assert Session.objects.filter(pk=stale.session_key).exists()

    # The worker process says it ran this very message, and deleted one session...
    log = worker_process.wait_for_log(f"clear_expired_sessions[{result.id}] succeeded")
    assert f"clear_expired_sessions[{result.id}] received" in log
    assert f"clear_expired_sessions[{result.id}] succeeded in" in log
    assert log.split(f"[{result.id}] succeeded in", 1)[1].split("\n", 1)[0].endswith(": 1")
    # ...and here is its effect, in the database both processes share.
    assert not Session.objects.filter(pk=stale.session_key).exists()
    assert Session.objects.filter(pk=fresh.session_key).exists()


def test_without_redis_the_worker_test_is_skipped_on_a_developer_machine(monkeypatch):
    monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="REDIS_URL"):
        require_real_broker()


def test_without_redis_the_worker_test_fails_under_ci(monkeypatch):
    monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="REDIS_URL"):
        require_real_broker()
