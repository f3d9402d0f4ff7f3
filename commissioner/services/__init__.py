"""Every write of the commissioner app, by entity: activity (a partner's signs of life),
meetings and attendance, the engagement policy, flags and interventions, the engagement scan,
and the mail it sends (digests, reminders). Each service checks who may act
(commissioner/access.py), validates, then writes inside a transaction; mail and enqueued tasks go
out on commit. A refused business rule is a DomainError naming the input at fault; an actor who
may not act at all gets PermissionDenied."""

from ..engagement import policy_in_force  # noqa: F401
from .activity import (  # noqa: F401
    activity_record,
    api_use_record,
    checkin_log,
)
from .common import (  # noqa: F401
    CLOSED_COLLABORATION_STATUSES,
    SCANNED_COLLABORATION_STATUSES,
    site_url,
)
from .fanout import (  # noqa: F401
    engagement_scan_batch,
    engagement_scan_complete,
    engagement_scan_fan_out,
    engagement_scan_request,
    engagement_scan_resume,
    scan_plan,
)
from .flags import (  # noqa: F401
    flag_acknowledge,
    flag_resolve,
    intervention_add,
    intervention_complete,
)
from .meetings import (  # noqa: F401
    PARTNER_CONFIRMATION_DAYS,
    attendance_confirm,
    attendance_record,
    attendance_record_many,
    meeting_create,
)
from .notices import (  # noqa: F401
    DigestLine,
    Outgoing,
    agreement_renewal_reminders_send,
    flag_digests_send,
    obligation_reminders_send,
)
from .policy import (  # noqa: F401
    POLICY_LIMITS,
    WEIGHT_FIELDS,
    policy_reset,
    policy_set,
    policy_trial,
)
from .retention import retention_cutoff, snapshots_thin  # noqa: F401
from .scan import (  # noqa: F401
    PREVIOUS_SCAN_DAYS,
    SNAPSHOT_FIELDS,
    ScanResult,
    engagement_scan,
    engagement_scan_finish,
    flags_close_not_scanned,
    json_safe,
    snapshot_values,
)
from .summary import portfolio_summary_refresh  # noqa: F401
