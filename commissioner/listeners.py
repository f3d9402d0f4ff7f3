"""The commissioner's answers to what other apps publish (core/events.py), subscribed in
commissioner/apps.py."""

from __future__ import annotations

from core.events import ApiUsed, PartnerActed, ScanScopeNarrowed

from .services import activity_record, api_use_record, flags_close_not_scanned


def partner_acted(event: PartnerActed) -> None:
    """A partner's act in the agreements app is its sign of life in that collaboration."""
    activity_record(
        collaboration_id=event.collaboration_id,
        organisation_id=event.organisation_id,
        kind=event.kind,
        description=event.description,
        occurred_at=event.occurred_at,
        recorded_by=event.recorded_by,
    )


def scan_scope_narrowed(event: ScanScopeNarrowed) -> None:
    """A partner or a collaboration no longer scanned lets go of its open flags at once."""
    flags_close_not_scanned(
        collaboration_id=event.collaboration_id, participation_id=event.participation_id
    )


def api_used(event: ApiUsed) -> None:
    """A partner's API request that touched a collaboration: its daily "API use" activity."""
    api_use_record(organisation_id=event.organisation_id, collaboration_id=event.collaboration_id)
