"""Filters of the flag inbox and of the API lists. Foreign keys are filtered by id inside the
caller's already-scoped queryset, so a foreign id only ever finds nothing; an id that is not a
whole number in the database's range (1.5, 10**30) is a 400 naming the filter (agreements'
IdFilter), on SQLite and PostgreSQL alike."""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from agreements.filters import IdFilter
from core.translated import with_versions

from .models import WARNING_STATES, Band, EngagementSnapshot, Flag, Intervention, Meeting, State

ACTIVE = "active"
ALL = "all"
FLAG_STATUS_CHOICES = [
    (ACTIVE, _("Open or acknowledged")),
    *Flag.Status.choices,
    (ALL, _("All")),
]


# A flag is raised on a warning state: drifting (still engaged, falling), at risk, disengaged.
FLAG_STATE_CHOICES = [(value, label) for value, label in State.choices if value in WARNING_STATES]


class FlagInboxFilterSet(django_filters.FilterSet):
    """The flag inbox: open and acknowledged flags unless asked otherwise."""

    q = django_filters.CharFilter(
        label=_("Partner or collaboration"), method="filter_q", max_length=100
    )
    status = django_filters.ChoiceFilter(
        label=_("Status"), choices=FLAG_STATUS_CHOICES, method="filter_status", empty_label=None
    )
    band = django_filters.ChoiceFilter(
        label=_("Band"), choices=Band.choices, empty_label=_("Any band")
    )
    state = django_filters.ChoiceFilter(
        label=_("State"), choices=FLAG_STATE_CHOICES, empty_label=_("Any state")
    )
    mine = django_filters.BooleanFilter(
        label=_("Only my collaborations"),
        method="filter_mine",
        widget=forms.CheckboxInput,
    )

    class Meta:
        model = Flag
        fields = ["q", "status", "band", "state", "mine"]

    def __init__(self, data=None, *args, **kwargs):
        data = data.copy() if data is not None else {}
        if not data.get("status"):
            data["status"] = ACTIVE
        super().__init__(data, *args, **kwargs)
        for field in self.form.fields.values():
            widget = field.widget
            css = (
                "form-check-input"
                if isinstance(widget, forms.CheckboxInput)
                else "form-select"
                if isinstance(widget, forms.Select)
                else "form-control"
            )
            widget.attrs["class"] = css

    @property
    def qs(self):
        queryset = super().qs
        if self.is_bound and not self.is_valid():
            # Filters that were not understood are shown as errors and ignored.
            queryset = self.queryset.filter(status__in=Flag.OPEN_STATUSES)
        return queryset

    def filter_q(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        matches = Q(participation__organisation__name__icontains=value) | Q(
            participation__organisation__short_name__icontains=value
        )
        # The collaboration's title in either language (core/translated.py).
        for title in with_versions(Flag, ["participation__collaboration__title"]):
            matches |= Q(**{f"{title}__icontains": value})
        return queryset.filter(matches)

    def filter_status(self, queryset, name, value):
        if value == ALL:
            return queryset
        if value == ACTIVE or not value:
            return queryset.filter(status__in=Flag.OPEN_STATUSES)
        return queryset.filter(status=value)

    def filter_mine(self, queryset, name, value):
        if not value:
            return queryset
        user = getattr(self.request, "user", None)
        return queryset.filter(participation__collaboration__commissioner_id=getattr(user, "pk", 0))


# API ------------------------------------------------------------------------------------------


class MeetingFilterSet(django_filters.FilterSet):
    collaboration = IdFilter(field_name="collaboration_id")
    held_after = django_filters.IsoDateTimeFilter(field_name="held_at", lookup_expr="gte")
    held_before = django_filters.IsoDateTimeFilter(field_name="held_at", lookup_expr="lt")

    class Meta:
        model = Meeting
        fields = ["collaboration", "held_after", "held_before"]


class FlagFilterSet(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=Flag.Status.choices)
    band = django_filters.ChoiceFilter(choices=Band.choices)
    collaboration = IdFilter(field_name="participation__collaboration_id")
    organisation = IdFilter(field_name="participation__organisation_id")
    raised_after = django_filters.DateFilter(field_name="raised_on", lookup_expr="gte")
    raised_before = django_filters.DateFilter(field_name="raised_on", lookup_expr="lte")

    class Meta:
        model = Flag
        fields = [
            "status",
            "band",
            "collaboration",
            "organisation",
            "raised_after",
            "raised_before",
        ]


class InterventionFilterSet(django_filters.FilterSet):
    flag = IdFilter(field_name="flag_id")
    kind = django_filters.ChoiceFilter(choices=Intervention.Kind.choices)
    completed = django_filters.BooleanFilter(
        field_name="completed_at", lookup_expr="isnull", exclude=True
    )

    class Meta:
        model = Intervention
        fields = ["flag", "kind", "completed"]


class SnapshotFilterSet(django_filters.FilterSet):
    collaboration = IdFilter(field_name="participation__collaboration_id")
    organisation = IdFilter(field_name="participation__organisation_id")
    scan_date = django_filters.DateFilter()
    scan_date_after = django_filters.DateFilter(field_name="scan_date", lookup_expr="gte")
    scan_date_before = django_filters.DateFilter(field_name="scan_date", lookup_expr="lte")
    band = django_filters.ChoiceFilter(choices=Band.choices)

    class Meta:
        model = EngagementSnapshot
        fields = [
            "collaboration",
            "organisation",
            "scan_date",
            "scan_date_after",
            "scan_date_before",
            "band",
        ]
