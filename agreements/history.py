"""The change history of a collaboration, a goal and an agreement as people read it: which
records of which models make it up, and how each row is named (the renderer is core/history.py)."""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext as _

from core.history import HistoryEntry, HistorySource, history_entries, history_page
from partners.models import Organisation

from .models import (
    Agreement,
    Collaboration,
    Measurement,
    Obligation,
    Participation,
    SharedGoal,
    Signatory,
)

# Rows every history entry of this app already names (its collaboration, its goal) and
# bookkeeping nobody needs to see in a change list.
IGNORED = frozenset(
    {"collaboration", "goal", "reported_by_token", "signed_by_token", "reported_at"}
)
# A measurement's subject names its goal.
UNNAMED = IGNORED - {"goal"}


def _organisation(names, organisation_id) -> str:
    return names.get((Organisation, organisation_id), f"#{organisation_id}")


def _collaboration_source(collaboration_id: int) -> HistorySource:
    return HistorySource(
        Collaboration,
        Collaboration.history.filter(id=collaboration_id),
        lambda record, names: _("Collaboration"),
        ignored=IGNORED,
        unnamed=UNNAMED,
    )


def _participation_source(collaboration_id: int) -> HistorySource:
    return HistorySource(
        Participation,
        Participation.history.filter(collaboration_id=collaboration_id),
        lambda r, names: (
            _("Participation: %(organisation)s")
            % {"organisation": _organisation(names, r.organisation_id)}
        ),
        ignored=IGNORED,
        unnamed=UNNAMED,
    )


def _goal_source(records) -> HistorySource:
    return HistorySource(
        SharedGoal,
        records,
        lambda r, names: _("Goal: %(title)s") % {"title": r.title},
        ignored=IGNORED,
        unnamed=UNNAMED,
    )


def _measurement_source(records) -> HistorySource:
    return HistorySource(
        Measurement,
        records,
        lambda r, names: (
            _("Measurement: %(goal)s, period ending %(date)s by %(organisation)s")
            % {
                "goal": names.get((SharedGoal, r.goal_id), f"#{r.goal_id}"),
                "date": r.period_end.isoformat(),
                "organisation": _organisation(names, r.reported_by_organisation_id),
            }
        ),
        ignored=IGNORED,
        unnamed=UNNAMED,
    )


def _agreement_source(records) -> HistorySource:
    return HistorySource(
        Agreement,
        records,
        lambda r, names: (
            _("Agreement: %(title)s v%(version)s") % {"title": r.title, "version": r.version}
        ),
        ignored=IGNORED,
        unnamed=UNNAMED,
    )


def _signatory_source(records) -> HistorySource:
    return HistorySource(
        Signatory,
        records,
        lambda r, names: (
            _("Signatory: %(organisation)s on %(agreement)s")
            % {
                "organisation": _organisation(names, r.organisation_id),
                "agreement": names.get((Agreement, r.agreement_id), f"#{r.agreement_id}"),
            }
        ),
        ignored=IGNORED,
        unnamed=UNNAMED,
    )


def _obligation_source(records) -> HistorySource:
    return HistorySource(
        Obligation,
        records,
        lambda r, names: (
            _("Obligation: %(description)s (%(organisation)s)")
            % {
                "description": r.description,
                "organisation": _organisation(names, r.organisation_id),
            }
        ),
        ignored=IGNORED,
        unnamed=UNNAMED,
    )


def _collaboration_sources(pk: int) -> list[HistorySource]:
    """The collaboration and everything in it."""
    goal_ids = SharedGoal.history.filter(collaboration_id=pk).values("id")
    agreement_ids = Agreement.history.filter(collaboration_id=pk).values("id")
    return [
        _collaboration_source(pk),
        _participation_source(pk),
        _goal_source(SharedGoal.history.filter(collaboration_id=pk)),
        _measurement_source(Measurement.history.filter(goal_id__in=goal_ids)),
        _agreement_source(Agreement.history.filter(collaboration_id=pk)),
        _signatory_source(Signatory.history.filter(agreement_id__in=agreement_ids)),
        _obligation_source(Obligation.history.filter(collaboration_id=pk)),
    ]


def collaboration_history(*, collaboration: Collaboration, limit: int = 100) -> list[HistoryEntry]:
    """Who changed what, when, on the collaboration and everything in it."""
    return history_entries(_collaboration_sources(collaboration.pk), limit=limit)


def collaboration_history_page(
    *, collaboration: Collaboration, before: dt.datetime | None = None, size: int = 50
) -> tuple[list[HistoryEntry], dt.datetime | None]:
    """A page of the collaboration's whole history, and where the next (older) page starts."""
    return history_page(_collaboration_sources(collaboration.pk), before=before, size=size)


def goal_history(*, goal: SharedGoal, limit: int = 100) -> list[HistoryEntry]:
    return history_entries(
        [
            _goal_source(SharedGoal.history.filter(id=goal.pk)),
            _measurement_source(Measurement.history.filter(goal_id=goal.pk)),
        ],
        limit=limit,
    )


def agreement_history(*, agreement: Agreement, limit: int = 100) -> list[HistoryEntry]:
    return history_entries(
        [
            _agreement_source(Agreement.history.filter(id=agreement.pk)),
            _signatory_source(Signatory.history.filter(agreement_id=agreement.pk)),
            _obligation_source(Obligation.history.filter(agreement_id=agreement.pk)),
        ],
        limit=limit,
    )
