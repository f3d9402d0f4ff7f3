"""Every write of the agreements app, by entity: collaborations and their status, participations,
shared goals and measurements, agreements and their signatures, obligations.

Each service checks who may act (agreements/access.py, after docs/permissions.md), validates,
then writes inside a transaction. A refused business rule is a DomainError naming the input at
fault; an actor who may not act at all gets PermissionDenied. The browser views and the API call
these same functions, so both refuse the same things with the same words."""

from .agreements import (  # noqa: F401
    AGREEMENT_DRAFT_ONLY,
    AGREEMENT_FIELDS,
    AGREEMENT_TRANSITIONS,
    AgreementStatus,
    agreement_create,
    agreement_next_statuses,
    agreement_sign,
    agreement_transition,
    agreement_update,
    signing_organisation,
)
from .collaborations import (  # noqa: F401
    COLLABORATION_FIELDS,
    collaboration_create,
    collaboration_next_statuses,
    collaboration_transition,
    collaboration_update,
)
from .common import (  # noqa: F401
    COLLABORATION_TRANSITIONS,
    FINAL_COLLABORATION_STATUSES,
    RESERVED_SLUGS,
    CollaborationStatus,
)
from .goals import (  # noqa: F401
    GOAL_FIELDS,
    goal_create,
    goal_update,
)
from .measurements import (  # noqa: F401
    MEASUREMENT_UNCHANGED,
    earliest_period_end,
    goal_reporting_began,
    measurement_correct,
    measurement_report,
    measurement_withdraw,
    reporting_organisation,
)
from .obligations import (  # noqa: F401
    OBLIGATION_FIELDS,
    obligation_create,
    obligation_evidence_attach,
    obligation_mark_met,
    obligation_update,
    obligation_waive,
)
from .participations import (  # noqa: F401
    PARTICIPATION_FIELDS,
    handover_candidates,
    participation_add,
    participation_update,
    participation_withdraw,
)
