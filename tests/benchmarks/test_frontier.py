"""benchmarks/frontier.py: the joint likelihood ratio by hand, and the scan's flag rule as the
replays apply it."""

from __future__ import annotations

import datetime as dt
import math
from types import SimpleNamespace

import pytest

from benchmarks.frontier import Flags, Record, Snap, likelihood_ratio, replay_watch

DAY = dt.timedelta(days=1)
TODAY = dt.date(2025, 7, 1)
JOINED = dt.date(2025, 1, 1)


def quiet_partner(**partner) -> Record:
    """Joined on 1 January; 16 days with a sign of life before 7 April, none since. Its
    baseline runs from joining to 42 days before TODAY (20 May): 139 days, so its usual rate is
    (16 + 1) / (139 + 14) = 1/9 a day, and a drifting one's 0.4 of it, 2/45."""
    record = Record(SimpleNamespace(joined=JOINED, holiday=None, **partner), goals=[])
    record.activity = [(JOINED + n * 6 * DAY, JOINED + n * 6 * DAY) for n in range(16)]
    assert record.activity[-1][1] < TODAY - 84 * DAY
    return record


# Each silent day: ln(P(silent | drifting) / P(silent | usual)) = ln((43/45) / (8/9)).
SILENT_DAY = math.log((1 - 2 / 45) / (1 - 1 / 9))


def test_a_silent_partner_weighs_every_silent_day_of_the_longest_span():
    """84 silent days, the longest span: 84 x ln(387/360) in log10 = 2.64."""
    evidence = likelihood_ratio(quiet_partner(), TODAY, JOINED)
    assert evidence == pytest.approx(84 * SILENT_DAY / math.log(10))
    assert round(evidence, 2) == 2.64


def test_a_meeting_missed_adds_its_ratio_once_it_is_recorded():
    """No earlier meetings: the prior (present 0.8, apologies 0.1, absent 0.1); drifting halves
    presence and moves 0.4 x 0.55 = 0.22 to absent, so an absence weighs ln(0.32 / 0.1). A
    meeting recorded only tomorrow is not known today."""
    record = quiet_partner()
    record.meetings = [(TODAY - 3 * DAY, "absent", TODAY + DAY)]
    assert likelihood_ratio(record, TODAY, JOINED) == pytest.approx(84 * SILENT_DAY / math.log(10))
    record.meetings = [(TODAY - 3 * DAY, "absent", TODAY - 2 * DAY)]
    assert likelihood_ratio(record, TODAY, JOINED) == pytest.approx(
        (84 * SILENT_DAY + math.log(3.2)) / math.log(10)
    )


def test_the_oracle_leaves_out_the_partners_leave():
    """On leave for the last 30 days: the oracle weighs only the 54 days before it."""
    record = quiet_partner()
    record.partner.holiday = (TODAY - 29 * DAY, TODAY)
    assert likelihood_ratio(record, TODAY, JOINED, knows_holidays=True) == pytest.approx(
        54 * SILENT_DAY / math.log(10)
    )


def test_a_flag_is_raised_after_two_warning_scans_and_closed_after_two_clear_ones():
    flags = Flags()
    assert [
        flags.step("drifting", 80, clear=False),
        flags.step("drifting", 80, clear=False),
        flags.step("engaged", 80, clear=True),
        flags.step("engaged", 80, clear=True),
    ] == [False, True, True, False]
    sharp = Flags()
    assert [sharp.step("engaged", 90, clear=True), sharp.step("at_risk", 65, clear=False)] == [
        False,
        True,
    ]


def test_the_replay_halves_the_evidence_on_the_days_back_that_weigh_for_the_usual_self():
    """60 a day, from 220; back on days 2 and 4, day 2 weighing -20, day 4 still 60. As the
    scan halves (on a day back that weighs for the usual self): 60, 10, 70, 130, 190, 250:
    drifting on day 6, flagged on day 7 (two scans). Every day back (as until December 2026):
    60, 10, 70, 95, 155, 215, 275: flagged on day 8. Never: 60, 40, 100, 160, 220: flagged on
    day 6. When a report came in on day 2, the scan does not halve that day (flagged on day 6,
    as never), the first rule of 6 December 2026 ("weighs") did (day 7)."""
    plan = SimpleNamespace(scans_from=TODAY, scans_to=TODAY + 8 * DAY)

    def flagged(arrivals=0, **halve) -> dt.date:
        record = Record(SimpleNamespace(joined=JOINED, holiday=None), goals=[])
        record.snapshots = {
            TODAY + n * DAY: Snap(
                80,
                "engaged",
                "engaged",
                {},
                n in (1, 3),
                step=-20 if n == 1 else 60,
                arrivals=arrivals if n == 1 else 0,
            )
            for n in range(9)
        }
        return min(replay_watch(plan, {"p": record}, threshold=220, instant=40, **halve)["p"].up)

    assert flagged() == TODAY + 6 * DAY
    assert flagged(halve="every") == TODAY + 7 * DAY
    assert flagged(halve=None) == TODAY + 5 * DAY
    assert flagged(arrivals=1) == TODAY + 5 * DAY
    assert flagged(arrivals=1, halve="weighs") == TODAY + 6 * DAY


def test_the_replay_caps_the_evidence_as_the_scan_does():
    """100 a day for 5 days, then back and -30 a day, from 200. Capped at 250 (the scan's cap):
    100, 200, 250, 250, 250, then halved 95 (under 100: clear), 17: flagged on day 2 (two scans
    at 200), down after two clear scans, on day 6. Capped at twice the threshold: 100, 200, 300,
    400, 400, then 170, 55, 0: down on day 7."""
    plan = SimpleNamespace(scans_from=TODAY, scans_to=TODAY + 10 * DAY)
    record = Record(SimpleNamespace(joined=JOINED, holiday=None), goals=[])
    record.snapshots = {
        TODAY + n * DAY: Snap(80, "engaged", "engaged", {}, n >= 5, step=100 if n < 5 else -30)
        for n in range(11)
    }

    def days_up(**cap) -> list[int]:
        up = replay_watch(plan, {"p": record}, threshold=200, instant=40, **cap)["p"].up
        return [(day - TODAY).days for day in sorted(up)]

    assert days_up() == [2, 3, 4, 5]
    assert days_up(cap=200) == [2, 3, 4, 5, 6]


def test_the_replay_counts_a_named_contact_gone_as_the_scan_does():
    """40 a day from 200, the named contact gone with no one named in its place: drifting from
    150 under the default `drift_contact_left` of 50, so at 160 on day 3 and flagged on day 4
    (two scans); counted 0, drifting at 200 on day 4 and flagged on day 5; the contact
    unchanged, or handed over to a successor, the same (unless `handed_over` counts it)."""
    plan = SimpleNamespace(scans_from=TODAY, scans_to=TODAY + 8 * DAY)

    def flagged(contact: str, **lowered) -> dt.date:
        record = Record(SimpleNamespace(joined=JOINED, holiday=None), goals=[])
        snap = Snap(
            80,
            "engaged",
            "engaged",
            {},
            False,
            40,
            contact_left=contact != "stayed",
            contact_vacant=contact == "left",
        )
        record.snapshots = {TODAY + n * DAY: snap for n in range(9)}
        return min(replay_watch(plan, {"p": record}, threshold=200, instant=40, **lowered)["p"].up)

    assert flagged("left") == TODAY + 4 * DAY
    assert flagged("left", contact_left=0) == TODAY + 5 * DAY
    assert flagged("stayed") == TODAY + 5 * DAY
    assert flagged("handed over") == TODAY + 5 * DAY
    assert flagged("handed over", handed_over=50) == TODAY + 4 * DAY
