"""The engagement policy: its thresholds and weights, the default, each collaboration's own, and
the facts the scoring counts with (grace periods, the signals)."""

from __future__ import annotations

from dataclasses import dataclass, fields
from functools import cached_property

from agreements.models import (
    Agreement,
    SharedGoal,
)

from ..models import EngagementPolicy

# Days of one reporting period of each goal cadence (a fact of the goal: agreements/models.py).
CADENCE_DAYS = SharedGoal.CADENCE_DAYS


# An agreement circulating for more than this many days counts against a signatory that has
# not signed it.
SIGNATURE_GRACE_DAYS = 14


# A survey rating of trust or commitment under this (of 5) costs points even if others agree.
SURVEY_LOW = 2.5


# Days after a reporting period's end by which its report is expected.
REPORT_GRACE_DAYS = 21


# The attendance component reads at least this many of the latest meetings, even from before the
# window (the collaboration's latest, held in the last ATTENDANCE_REACH_DAYS): one missed meeting
# of three is noise, not a trend.
MIN_ATTENDANCE_MEETINGS = 6
ATTENDANCE_REACH_DAYS = 365


SIGNALS = ("attendance", "obligations", "reporting", "recency", "signatures")


AWAITING_SIGNATURE_STATUSES = (
    Agreement.Status.CIRCULATING,
    Agreement.Status.IN_FORCE,
    Agreement.Status.EXPIRED,
)


@dataclass(frozen=True)
class Policy:
    """The thresholds in force for one collaboration."""

    window_days: int = 90
    weight_attendance: int = 30
    weight_obligations: int = 25
    weight_reporting: int = 15
    weight_recency: int = 20
    weight_signatures: int = 10
    engaged_min: int = 70
    at_risk_min: int = 40
    inactivity_days: int = 60
    overdue_grace_days: int = 60
    trend_days: int = 42
    attendance_grace_days: int = 14
    drift_points: int = 40
    drift_evidence: int = 200
    drift_contact_left: int = 50
    flag_after_scans: int = 2
    sharp_drop: int = 20
    release_margin: int = 5
    reopen_days: int = 30
    new_partner_days: int = 45
    new_partner_meetings: int = 2
    points_contact_left: int = 0
    points_single_contact: int = 3
    points_partner_withdrew: int = 5
    points_survey_unanswered: int = 5
    points_survey_trust: int = 10
    points_survey_divergent: int = 5

    @classmethod
    def from_row(cls, row: EngagementPolicy | dict | None) -> Policy:
        if row is None:
            return cls.model_defaults()
        get = row.get if isinstance(row, dict) else lambda name: getattr(row, name)
        return cls(**{f.name: get(f.name) for f in fields(cls)})

    @classmethod
    def model_defaults(cls) -> Policy:
        """The defaults declared on EngagementPolicy's fields (used when no row exists)."""
        return cls(
            **{f.name: EngagementPolicy._meta.get_field(f.name).default for f in fields(cls)}
        )

    def weight(self, signal: str) -> int:
        return getattr(self, f"weight_{signal}")

    @cached_property
    def weights(self) -> tuple[int, ...]:
        """The weight of each of SIGNALS, in order."""
        return tuple(self.weight(signal) for signal in SIGNALS)

    # The watch's rules, read by commissioner/trends.watch and the flags of services/scan.py,
    # and replayed at other bars by the backtest (commissioner/backtest.py): one copy of each.

    def drifting(self, *, band: str, weighed: int, points: int) -> bool:
        """An engaged partner is drifting once its drift evidence (`weighed`: with what a named
        contact gone counts) reaches `drift_evidence`, or on a day of `drift_points` trend
        points."""
        return band == "engaged" and (weighed >= self.drift_evidence or points >= self.drift_points)

    def clear(self, *, state: str, score: int, weighed: int) -> bool:
        """Engaged by `release_margin`, and the evidence at most half-way to drifting
        (hysteresis on both the score and the evidence, so a flag does not close on one good
        day)."""
        return (
            state == "engaged"
            and score >= self.engaged_min + self.release_margin
            and weighed * 2 < self.drift_evidence
        )

    def raises_flag(self, *, warning_streak: int, score: int, previous_score: int | None) -> bool:
        """A partner in a warning state is flagged once the state has held for
        `flag_after_scans` scans, or at once on a drop of `sharp_drop` points."""
        sharp = previous_score is not None and previous_score - score >= self.sharp_drop
        return warning_streak >= self.flag_after_scans or sharp

    def closes_flag(self, *, clear_streak: int) -> bool:
        """An open flag closes once the partner has been clear for `flag_after_scans` scans."""
        return clear_streak >= self.flag_after_scans


POLICY_FIELDS = [f.name for f in fields(Policy)]


# The early-warning settings: optional in a policy form (left out, they keep their value).
EARLY_WARNING_FIELDS = [
    "trend_days",
    "attendance_grace_days",
    "drift_points",
    "drift_evidence",
    "drift_contact_left",
    "flag_after_scans",
    "sharp_drop",
    "release_margin",
    "reopen_days",
    "new_partner_days",
    "new_partner_meetings",
    "points_contact_left",
    "points_single_contact",
    "points_partner_withdrew",
    "points_survey_unanswered",
    "points_survey_trust",
    "points_survey_divergent",
]


def default_policy() -> Policy:
    """The system default: the policy row without a collaboration, else the model defaults."""
    row = EngagementPolicy.objects.filter(collaboration__isnull=True).values(*POLICY_FIELDS).first()
    return Policy.from_row(row)


def policies_for(collaboration_ids, *, default: Policy) -> dict[int, Policy]:
    """The policy in force for each collaboration (one query): its own row, else `default`."""
    overrides = {
        row["collaboration_id"]: Policy.from_row(row)
        for row in EngagementPolicy.objects.filter(collaboration_id__in=collaboration_ids).values(
            "collaboration_id", *POLICY_FIELDS
        )
    }
    return {pk: overrides.get(pk, default) for pk in collaboration_ids}


def policy_in_force(*, collaboration) -> tuple[Policy, bool]:
    """The policy that applies to a collaboration, and whether it is the collaboration's own."""
    if collaboration is not None:
        own = EngagementPolicy.objects.filter(collaboration=collaboration).first()
        if own is not None:
            return Policy.from_row(own), True
    return default_policy(), False
