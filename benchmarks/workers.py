"""The daily scan as beat queues it (commissioner/services/fanout.py), timed with 1 or 2 real
Celery workers on the benchmark's Redis: one process each with concurrency 1, as two machines
would be."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path


def _reset_today() -> None:
    """Forget today's run and its snapshots, so the next run scores every participation."""
    from django.utils import timezone

    from commissioner.models import EngagementSnapshot, ScanRun

    today = timezone.localdate()
    ScanRun.objects.filter(scan_date=today).delete()
    EngagementSnapshot.objects.filter(scan_date=today).delete()


def _purge(env) -> None:
    celery = Path(sys.executable).with_name("celery")
    subprocess.run(  # noqa: S603 - our own command
        [str(celery), "-A", "collabhub", "purge", "-f"], env=env, check=True, capture_output=True
    )


def fan_out_seconds(env: dict[str, str], *, workers: int, timeout: float = 3600) -> tuple:
    """Seconds from queueing the day's scan to its finishing step, and the load then."""
    from django.utils import timezone

    from commissioner.models import ScanRun
    from commissioner.tasks import engagement_scan_task

    _reset_today()
    _purge(env)
    celery = Path(sys.executable).with_name("celery")
    processes = [
        subprocess.Popen(  # noqa: S603 - our own command
            [
                str(celery),
                "-A",
                "collabhub",
                "worker",
                "--concurrency",
                "1",
                "--loglevel",
                "WARNING",
                "-n",
                f"bench{index}@%h",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
            ],
            env=env,
            start_new_session=True,
        )
        for index in range(workers)
    ]
    try:
        time.sleep(5)  # the workers connect
        today = timezone.localdate()
        started = time.perf_counter()
        engagement_scan_task.delay(today.isoformat())
        while time.perf_counter() - started < timeout:
            if ScanRun.objects.filter(scan_date=today, finished_at__isnull=False).exists():
                return time.perf_counter() - started, os.getloadavg()[0]
            time.sleep(0.2)
        raise RuntimeError("the scan did not finish")
    finally:
        for process in processes:
            os.killpg(process.pid, signal.SIGTERM)
        for process in processes:
            process.wait(timeout=60)


def rerun_seconds() -> float:
    """The daily task again on a finished day (in this process: it queues nothing)."""
    from django.utils import timezone

    from commissioner.services import engagement_scan_fan_out

    started = time.perf_counter()
    outcome = engagement_scan_fan_out(scan_date=timezone.localdate())
    seconds = time.perf_counter() - started
    if not outcome["finished"]:
        raise RuntimeError(f"the day was not finished: {outcome}")
    return seconds
