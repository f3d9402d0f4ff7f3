"""benchmarks/evaluate.py's measures, by hand: recall, and recall split into the drifters and
the sudden silences it is made of."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest

from benchmarks import cohort
from benchmarks.evaluate import Series, metrics

DAY = dt.timedelta(days=1)
START = dt.date(2025, 6, 1)
DAYS = [START + n * DAY for n in range(120)]


def partner(key: str, kind: str, **dates) -> SimpleNamespace:
    return SimpleNamespace(
        key=key,
        kind=kind,
        joined=START - 200 * DAY,
        drift_start=dates.get("drift_start"),
        silence=dates.get("silence"),
        dip=None,
    )


def up(first: dt.date, days: int) -> Series:
    return Series(up={first + n * DAY: "drifting" for n in range(days)})


def test_recall_splits_into_drifters_warned_and_sudden_silences_warned_within_14_days():
    """Two drifters: one warned 20 days before its silence, one never. Two sudden silences:
    one warned 10 days after it (counted), one 20 days after (past the 14 days, not counted).
    Recall 2 of 4; of the drifters 1 of 2, of the sudden silences 1 of 2; the drifters' leads
    20 and 0 days."""
    drift = START + 10 * DAY
    silence = START + 60 * DAY
    plan = SimpleNamespace(
        partners=[
            partner("d1", cohort.DRIFTER, drift_start=drift, silence=silence),
            partner("d2", cohort.DRIFTER, drift_start=drift, silence=silence),
            partner("s1", cohort.SUDDEN, silence=silence),
            partner("s2", cohort.SUDDEN, silence=silence),
        ]
    )
    series = {
        "d1": up(silence - 20 * DAY, 40),
        "s1": up(silence + 10 * DAY, 5),
        "s2": up(silence + 20 * DAY, 5),
    }

    measured = metrics(plan, series, DAYS)

    assert measured["recall"] == 0.5
    assert measured["recall_drifters"] == 0.5
    assert measured["recall_sudden"] == 0.5
    assert measured["at_risk_partners"] == 4
    assert measured["lead_median"] == pytest.approx(10)  # the median of 20 and 0
