"""What the agreements app's services share: bounds on amounts and text, the actor's user or token,
the collaboration lock, the manager check, date order."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from core import fields
from core.actors import is_partner
from core.bounds import check_date
from core.errors import DomainError
from core.locking import lock
from core.translated import version_names
from partners.models import Organisation, User

from ..access import (
    may_manage_collaboration,
)
from ..models import (
    Collaboration,
    Participation,
)

# Paths under /collaborations/ that are pages, not collaborations.
RESERVED_SLUGS = frozenset({"new", "structures"})


_UNSET = object()


CollaborationStatus = Collaboration.Status


# Where each status may go next; concluded and dissolved are final.
COLLABORATION_TRANSITIONS: dict[str, tuple[str, ...]] = {
    CollaborationStatus.PROPOSED: (CollaborationStatus.FORMING, CollaborationStatus.DISSOLVED),
    CollaborationStatus.FORMING: (CollaborationStatus.ACTIVE, CollaborationStatus.DISSOLVED),
    CollaborationStatus.ACTIVE: (
        CollaborationStatus.PAUSED,
        CollaborationStatus.CONCLUDED,
        CollaborationStatus.DISSOLVED,
    ),
    CollaborationStatus.PAUSED: (
        CollaborationStatus.ACTIVE,
        CollaborationStatus.CONCLUDED,
        CollaborationStatus.DISSOLVED,
    ),
    CollaborationStatus.CONCLUDED: (),
    CollaborationStatus.DISSOLVED: (),
}


FINAL_COLLABORATION_STATUSES = frozenset(
    status for status, targets in COLLABORATION_TRANSITIONS.items() if not targets
)


def _stamp(instance, actor, reason: str = "") -> None:
    """Who acted, for the audit history. A User is recorded as the history user (the request
    middleware does this too, but commands and tests have no request); a partner token has no
    User row, so the change reason names it."""
    if isinstance(actor, User):
        instance._history_user = actor
    if is_partner(actor):
        reason = f"{reason}; " if reason else ""
        reason = f"{reason}via API token {actor.token.prefix}"
    if reason:
        instance._change_reason = reason[:100]


def _lock_collaboration(collaboration_id: int) -> Collaboration:
    """The collaboration, locked and read afresh: first in the lock order (core/locking.py),
    so every write inside it sees its current status and queues behind other writes to it."""
    return lock(Collaboration, collaboration_id)


def _user(actor) -> User | None:
    return actor if isinstance(actor, User) else None


def _token(actor):
    return actor.token if is_partner(actor) else None


def _status_label(model, status: str) -> str:
    return str(model.Status(status).label) if status in model.Status.values else status


def _require_manager(actor, collaboration: Collaboration) -> None:
    if not may_manage_collaboration(actor, collaboration):
        raise PermissionDenied(
            _(
                "Only the managers of %(collaboration)s may do that: administrators, its "
                "commissioner and staff of its lead organisation."
            )
            % {"collaboration": collaboration.title}
        )


def _require_not_final(collaboration: Collaboration, *, field: str | None = None) -> None:
    if collaboration.status in FINAL_COLLABORATION_STATUSES:
        raise DomainError(
            _("%(collaboration)s is %(status)s: it can no longer change.")
            % {
                "collaboration": collaboration.title,
                "status": _status_label(Collaboration, collaboration.status).lower(),
            },
            field=field,
        )


def _check_dates(start, end, *, start_label: str, end_label: str, field: str) -> None:
    check_date(end, field=field)
    if start and end and end < start:
        raise DomainError(
            _("The %(end)s cannot be before the %(start)s.")
            % {"end": end_label, "start": start_label},
            field=field,
        )


def _participating(collaboration: Collaboration, organisation: Organisation) -> bool:
    return collaboration.participations.filter(
        organisation=organisation, status=Participation.Status.ACTIVE
    ).exists()


def _not_participating_error(organisation, collaboration, field: str) -> DomainError:
    return DomainError(
        _("%(organisation)s does not take part in %(collaboration)s.")
        % {"organisation": organisation, "collaboration": collaboration.title},
        field=field,
    )


def _clean_texts(model, names, values: dict) -> dict:
    """Each language's version of each of `names`, cleaned by its column's rules. A field that
    may not be blank (a title) needs one version at least: the error names the field without a
    language (the API's `title`; a form shows it on the reader's language's version)."""
    texts = {
        version: fields.text(model, version, values.get(version))
        for name in names
        for version in version_names(name)
    }
    for name in names:
        if not model._meta.get_field(name).blank and not any(
            texts[version] for version in version_names(name)
        ):
            raise DomainError(_("Required in English, in French or in both."), field=name)
    return texts
