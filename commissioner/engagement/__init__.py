"""How engagement is scored (docs/engagement.md): the policy in force (policy.py), the figures of a
batch of participations read with a fixed number of aggregate queries (reading.py), and the pure
function that turns one participation's figures into components, a score, a band and reasons
(scoring.py)."""

from .policy import (  # noqa: F401
    ATTENDANCE_REACH_DAYS,
    AWAITING_SIGNATURE_STATUSES,
    CADENCE_DAYS,
    EARLY_WARNING_FIELDS,
    MIN_ATTENDANCE_MEETINGS,
    POLICY_FIELDS,
    REPORT_GRACE_DAYS,
    SIGNALS,
    SIGNATURE_GRACE_DAYS,
    SURVEY_LOW,
    Policy,
    default_policy,
    policies_for,
    policy_in_force,
)
from .reading import (  # noqa: F401
    Day,
    ParticipationRow,
    count_of,
    read_attendance,
    read_figures,
    read_obligations,
    read_reporting,
    read_signatures,
)
from .scoring import (  # noqa: F401
    REASON_FIGURES,
    Assessment,
    Figures,
    assess,
    band_for,
    freeze,
    ratios_for,
    reason_code,
    reason_for,
    relationship_code,
    relationship_penalties,
    survey_penalties,
    thaw,
)
