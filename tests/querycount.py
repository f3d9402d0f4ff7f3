"""Pinned query counts (in the spirit of NetBox's query_counts.json).

`with query_budget("partners.organisation_list"):` fails when the block runs a different number
of queries than `tests/query_counts.json` pins for that name. After an intended change, rerun
with `QUERY_BUDGET_UPDATE=1` to rewrite the pinned numbers, and review the diff.

A budget test also proves the count does not grow with the data: build N rows, measure, build
more rows, measure again under the same name."""

import fcntl
import json
import os
from contextlib import contextmanager
from pathlib import Path

from django.db import connection
from django.test.utils import CaptureQueriesContext

BASELINE = Path(__file__).with_name("query_counts.json")


def _load() -> dict[str, int]:
    if BASELINE.exists():
        return json.loads(BASELINE.read_text() or "{}")
    return {}


def _record(name: str, count: int) -> None:
    with open(BASELINE.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        data = _load()
        data[name] = count
        BASELINE.write_text(json.dumps(dict(sorted(data.items())), indent=2) + "\n")


@contextmanager
def query_budget(name: str):
    with CaptureQueriesContext(connection) as captured:
        yield captured
    count = len(captured.captured_queries)
    if os.environ.get("QUERY_BUDGET_UPDATE"):
        _record(name, count)
        return
    pinned = _load().get(name)
    if pinned is None:
        raise AssertionError(
            f"No pinned query count for {name!r} (ran {count}); run with QUERY_BUDGET_UPDATE=1"
        )
    queries = "\n".join(q["sql"][:200] for q in captured.captured_queries)
    assert count == pinned, f"{name}: {count} queries, pinned {pinned}:\n{queries}"
