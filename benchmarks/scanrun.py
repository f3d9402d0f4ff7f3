"""One timed scan in a process of its own (its peak memory is the process's): the application's
`engagement_scan` or the SQL floor, on the scan date given, rolled back afterwards so that every
repetition starts from the same data. Prints one JSON line.

    python -m benchmarks.scanrun app|floor YYYY-MM-DD"""

import json
import os
import sys
import time


def main(mode: str, scan_date: str) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "benchmarks.settings")
    import django

    django.setup()
    import datetime as dt

    from django.db import transaction

    from benchmarks.floor import floor_scan
    from commissioner.services import engagement_scan

    day = dt.date.fromisoformat(scan_date)
    started = time.perf_counter()
    if mode == "floor":
        rows = floor_scan(day)
    else:
        # Each batch commits in a real run; here the batches are savepoints of one transaction
        # that is rolled back, so the next repetition scores the same data again.
        with transaction.atomic():
            result = engagement_scan(scan_date=day)
            rows = result.participations_scored
            transaction.set_rollback(True)
    seconds = time.perf_counter() - started
    print(json.dumps({"mode": mode, "seconds": seconds, "rows": rows}))


if __name__ == "__main__":
    main(*sys.argv[1:3])
