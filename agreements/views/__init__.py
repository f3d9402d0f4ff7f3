"""The agreements app's browser pages, by entity. Thin: each reads through the selectors, writes
through the services, and shows a service's refusal on the form."""

from .agreements import (  # noqa: F401
    agreement_create,
    agreement_detail,
    agreement_document,
    agreement_edit,
    agreement_sign,
    agreement_status,
    obligation_evidence_file,
)
from .collaborations import (  # noqa: F401
    collaboration_create,
    collaboration_detail,
    collaboration_edit,
    collaboration_history,
    collaboration_list,
    collaboration_status,
)
from .common import (  # noqa: F401
    COLLABORATION_PAGE_SECTIONS,
    LIST_PAGE_SIZE,
)
from .exports import (  # noqa: F401
    COLLABORATION_EXPORT_COLUMNS,
    EXPORTS,
    MEASUREMENT_EXPORT_COLUMNS,
    OBLIGATION_EXPORT_COLUMNS,
    PARTICIPATION_EXPORT_COLUMNS,
    collaboration_export,
)
from .goals import (  # noqa: F401
    goal_create,
    goal_detail,
    goal_edit,
    measurement_add,
    measurement_correct,
    measurement_withdraw,
)
from .obligations import (  # noqa: F401
    obligation_create,
    obligation_edit,
    obligation_mark_met,
    obligation_waive,
)
from .participations import (  # noqa: F401
    participation_add,
    participation_contact_options,
    participation_edit,
    participation_withdraw,
)
