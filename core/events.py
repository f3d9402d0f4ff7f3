"""Domain events: how a lower app tells a higher one that something happened without importing
it. The agreements app publishes "a partner acted" and "these participations are no longer
scanned"; the commissioner app subscribes (commissioner/apps.py) to record the sign of life and
close the flags. Apps depend one way (docs/architecture.md); events are the way back up.

Zulip's `send_event_on_commit` runs its listeners after the commit because they only notify
browsers. These listeners write rows that belong to the same fact (the activity of a signature,
the flags of a withdrawn partner), so they run at once, inside the publisher's transaction: the
write and its consequences commit or roll back together."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

Event = TypeVar("Event")
_listeners: dict[type, list[Callable[[Any], None]]] = defaultdict(list)


@dataclass(frozen=True)
class PartnerActed:
    """A partner organisation did something in a collaboration (a sign of life)."""

    collaboration_id: int
    organisation_id: int
    kind: str  # commissioner.models.Activity.Kind
    description: str = ""
    recorded_by: Any = None
    occurred_at: Any = None


@dataclass(frozen=True)
class ScanScopeNarrowed:
    """A collaboration stopped being active, or a participation stopped taking part: whoever
    keeps state about scanned participations lets go of theirs."""

    collaboration_id: int | None = None
    participation_id: int | None = None


@dataclass(frozen=True)
class ApiUsed:
    """A partner token's request touched one collaboration (an object of it, or a list filtered
    to it)."""

    organisation_id: int
    collaboration_id: int


def subscribe(event_type: type[Event], listener: Callable[[Event], None]) -> None:
    """Add `listener` for `event_type` (once: app registries may call ready() twice in tests)."""
    if listener not in _listeners[event_type]:
        _listeners[event_type].append(listener)


def publish(event: object) -> None:
    for listener in _listeners[type(event)]:
        listener(event)
