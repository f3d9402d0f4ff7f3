"""The one rule for final states (docs/permissions.md, "Final states"): a concluded or dissolved
collaboration, and an organisation whose participation was withdrawn, accept no partner writes —
no signature, no obligation marked met, no measurement, no attendance. Every one of those
services asks `require_open_for_partner_writes`, inside its lock on the collaboration, so the
answer cannot change between the check and the write."""

from __future__ import annotations

from django.utils.translation import gettext as _

from core.errors import DomainError

from .models import Collaboration, Participation

FINAL_COLLABORATION_STATUSES = frozenset(
    {Collaboration.Status.CONCLUDED, Collaboration.Status.DISSOLVED}
)


def partner_write_refusal(
    *, collaboration: Collaboration, organisation_id: int | None, field: str | None = None
) -> DomainError | None:
    """Why `organisation_id` may not write in `collaboration` now, or None when it may."""
    if collaboration.status in FINAL_COLLABORATION_STATUSES:
        return DomainError(
            _(
                "%(collaboration)s is %(status)s: it accepts no more signatures, obligations "
                "met, measurements or attendance."
            )
            % {
                "collaboration": collaboration.title,
                "status": Collaboration.Status(collaboration.status).label.lower(),
            },
            field=field,
        )
    if organisation_id is not None:
        participation = (
            Participation.objects.filter(
                collaboration_id=collaboration.pk, organisation_id=organisation_id
            )
            .select_related("organisation")
            .first()
        )
        if participation is not None and participation.status == Participation.Status.WITHDRAWN:
            return DomainError(
                _(
                    "%(organisation)s withdrew from %(collaboration)s: it no longer signs, "
                    "reports or confirms anything there."
                )
                % {
                    "organisation": participation.organisation.name,
                    "collaboration": collaboration.title,
                },
                field=field,
            )
    return None


def require_open_for_partner_writes(
    *, collaboration: Collaboration, organisation_id: int | None, field: str | None = None
) -> None:
    refusal = partner_write_refusal(
        collaboration=collaboration, organisation_id=organisation_id, field=field
    )
    if refusal is not None:
        raise refusal
