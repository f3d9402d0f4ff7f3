"""HTTP load through a real server: gunicorn on loopback, driven by wrk (Debian's package) with
a handful of concurrent connections."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

REPORT_LUA = Path(__file__).with_name("wrk_report.lua")


@dataclass
class LoadResult:
    p50_ms: float
    p95_ms: float
    p99_ms: float
    rps: float
    requests: int
    errors: int  # non-2xx answers, socket errors, timeouts
    load: float = 0.0  # the machine's 1-minute load average when the run ended


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def gunicorn(env: dict[str, str], *, workers: int):
    """gunicorn serving collabhub.wsgi on a free loopback port, until the block ends."""
    port = free_port()
    gunicorn_bin = Path(sys.executable).with_name("gunicorn")
    command = [
        str(gunicorn_bin), "collabhub.wsgi", "--bind", f"127.0.0.1:{port}",
        "--workers", str(workers), "--worker-class", "sync", "--log-level", "warning",
    ]  # fmt: skip
    process = subprocess.Popen(command, env=env, start_new_session=True)  # noqa: S603
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                urllib.request.urlopen(f"{base}/healthz", timeout=2)  # noqa: S310 - loopback
                break
            except OSError:
                if process.poll() is not None:
                    raise RuntimeError("gunicorn exited") from None
                time.sleep(0.5)
        else:
            raise RuntimeError("gunicorn did not answer /healthz")
        yield base
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)


def check(url: str, headers: dict[str, str]) -> None:
    """One request before the load: it must be a 200 with a JSON page of results (a redirect or
    an error page would otherwise be measured as if it were the list)."""
    request = urllib.request.Request(url, headers=headers)  # noqa: S310 - loopback
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
        body = json.loads(response.read())
        if response.status != 200 or "results" not in body or "count" not in body:
            raise RuntimeError(f"{url}: not a page of results ({response.status})")


def wrk_path() -> str:
    path = shutil.which("wrk")
    if path is None:
        raise RuntimeError("wrk is not installed (make bench installs Debian's package)")
    return path


def load(url: str, headers: dict[str, str], *, seconds: int, connections: int) -> LoadResult:
    command = [
        wrk_path(), "--threads", str(min(2, connections)), "--connections", str(connections),
        "--duration", f"{seconds}s", "--timeout", "10s", "--script", str(REPORT_LUA),
    ]  # fmt: skip
    for name, value in headers.items():
        command += ["--header", f"{name}: {value}"]
    output = subprocess.run(  # noqa: S603 - our own arguments
        [*command, url], capture_output=True, text=True, check=True
    ).stdout
    report = json.loads(output[output.index("{") :])
    return LoadResult(
        load=os.getloadavg()[0],
        p50_ms=report["p50_us"] / 1000,
        p95_ms=report["p95_us"] / 1000,
        p99_ms=report["p99_us"] / 1000,
        rps=report["requests"] / (report["duration_us"] / 1e6),
        requests=report["requests"],
        errors=report["non2xx"] + report["socket_errors"],
    )
