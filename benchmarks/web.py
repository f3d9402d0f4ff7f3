"""A page's weight (bytes of one answer through the server) and its SQL queries (one render
in this process, on the same database)."""

from __future__ import annotations

import urllib.request

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext


def page_weight(url: str, headers: dict[str, str]) -> int:
    request = urllib.request.Request(url, headers=headers)  # noqa: S310 - loopback
    with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
        if response.status != 200 or response.geturl() != url:
            raise RuntimeError(f"{url}: {response.status} (redirected to {response.geturl()})")
        return len(response.read())


def page_queries(path: str, user) -> int:
    client = Client()
    client.force_login(user)
    client.get(path)  # sessions, caches and the like warmed
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    if response.status_code != 200:
        raise RuntimeError(f"{path}: {response.status_code}")
    return len(captured.captured_queries)
