"""CSV exports of the collaboration list and of its participations, obligations and measurements."""

from __future__ import annotations

from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from core.csv_export import csv_filter_error, csv_response, day, yes_no
from core.translated import content_languages, language_label_lazy, version_names

from .. import selectors
from ..filters import CollaborationFilterSet
from .collaborations import COLLABORATION_LIST


def _export_filterset(request) -> CollaborationFilterSet:
    # The list page's filters and sort, over the same rows.
    return COLLABORATION_LIST.filterset(request)


COLLABORATION_EXPORT_COLUMNS = [
    # In the reader's language (or the other one when it has no version); each version last.
    gettext_lazy("Collaboration"),
    gettext_lazy("Slug"),
    gettext_lazy("Structure"),
    gettext_lazy("Status"),
    gettext_lazy("Lead organisation"),
    gettext_lazy("Commissioner"),
    gettext_lazy("Active participants"),
    gettext_lazy("Start date"),
    gettext_lazy("Planned end date"),
    *(language_label_lazy(gettext_lazy("Title"), code) for code in content_languages()),
]


def _collaboration_row(collaboration) -> list:
    commissioner = collaboration.commissioner
    return [
        collaboration.title,
        collaboration.slug,
        collaboration.get_structure_display(),
        collaboration.get_status_display(),
        collaboration.lead_organisation.name,
        (commissioner.get_full_name() or commissioner.username) if commissioner else "",
        collaboration.active_participant_count,
        day(collaboration.start_date),
        day(collaboration.planned_end_date),
        *(getattr(collaboration, name) for name in version_names("title")),
    ]


PARTICIPATION_EXPORT_COLUMNS = [
    gettext_lazy("Collaboration"),
    gettext_lazy("Organisation"),
    gettext_lazy("Role"),
    gettext_lazy("Status"),
    gettext_lazy("Joined"),
    gettext_lazy("Left"),
    gettext_lazy("Contact"),
    gettext_lazy("Contact e-mail"),
]


def _participation_row(participation) -> list:
    contact = participation.contact
    return [
        participation.collaboration.title,
        participation.organisation.name,
        participation.get_role_display(),
        participation.get_status_display(),
        day(participation.joined_on),
        day(participation.left_on),
        contact.name if contact else "",
        contact.email if contact else "",
    ]


OBLIGATION_EXPORT_COLUMNS = [
    gettext_lazy("Collaboration"),
    gettext_lazy("Organisation"),
    gettext_lazy("Kind"),
    gettext_lazy("Description"),
    gettext_lazy("Quantity"),
    gettext_lazy("Unit"),
    gettext_lazy("Due date"),
    gettext_lazy("Status"),
    gettext_lazy("Overdue"),
    gettext_lazy("Met on"),
]


def _obligation_row(obligation) -> list:
    return [
        obligation.collaboration.title,
        obligation.organisation.name,
        obligation.get_kind_display(),
        obligation.description,
        "" if obligation.quantity is None else obligation.quantity,
        obligation.get_unit_display() if obligation.unit else "",
        day(obligation.due_date),
        obligation.get_status_display(),
        yes_no(obligation.overdue),
        day(obligation.met_at),
    ]


MEASUREMENT_EXPORT_COLUMNS = [
    gettext_lazy("Collaboration"),
    gettext_lazy("Goal"),
    gettext_lazy("Indicator"),
    gettext_lazy("Unit"),
    gettext_lazy("Period ending"),
    gettext_lazy("Value"),
    gettext_lazy("Reported by"),
    gettext_lazy("Reported on"),
    gettext_lazy("Evidence"),
]


def _measurement_row(measurement) -> list:
    goal = measurement.goal
    return [
        goal.collaboration.title,
        goal.title,
        goal.indicator,
        goal.unit,
        day(measurement.period_end),
        measurement.value,
        measurement.reported_by_organisation.name,
        day(measurement.reported_at),
        measurement.evidence,
    ]


EXPORTS = {
    "collaborations": (COLLABORATION_EXPORT_COLUMNS, _collaboration_row),
    "participations": (PARTICIPATION_EXPORT_COLUMNS, _participation_row),
    "obligations": (OBLIGATION_EXPORT_COLUMNS, _obligation_row),
    "measurements": (MEASUREMENT_EXPORT_COLUMNS, _measurement_row),
}


@require_GET
def collaboration_export(request, kind: str = "collaborations"):
    """CSV of the collaborations the list shows with its filters and sort, or of their
    participations, obligations or measurements."""
    filterset = _export_filterset(request)
    if filterset.is_bound and not filterset.is_valid():
        return csv_filter_error(filterset)
    collaborations = filterset.qs
    if kind != "collaborations":
        collaborations = selectors.export_rows_of(
            kind, actor=request.user, collaborations=collaborations
        )
    header, row = EXPORTS[kind]
    return csv_response(name=kind, header=header, objects=collaborations, row=row)
