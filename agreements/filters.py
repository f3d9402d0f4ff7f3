"""Filters of the collaboration list page, its exports and the API lists (core/filters.py: one
filterset per model, shared). Every filter is strict: a value it does not know is an error naming
the filter, not an unfiltered list. API filters take plain integer ids, never a lookup that would
tell a caller whether an id it may not see exists."""

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.actors import actor_organisation_id
from core.filters import IdFilter, ReferenceFilter, SharedFilterSet
from core.translated import with_versions
from partners.models import Organisation, User
from partners.pickers import PickerTextInput, search_organisations, search_users

from .models import (
    Agreement,
    Collaboration,
    Measurement,
    Obligation,
    Participation,
    Role,
    SharedGoal,
    Signatory,
    Structure,
)
from .selectors import collaborations_of_organisation, filter_overdue

TRUE_FALSE = [("true", _("Yes")), ("false", _("No"))]


def _lead_organisations(text: str):
    return search_organisations(Organisation.objects.all(), text)


def _commissioners(text: str):
    return search_users(User.objects.filter(role=User.Role.COMMISSIONER), text)


class CollaborationFilterSet(SharedFilterSet):
    """The collaboration list page, its CSV exports and the API's collaboration list."""

    q = django_filters.CharFilter(
        label=_("Search"), method="search", max_length=200, help_text=_("Title or summary")
    )
    structure = django_filters.ChoiceFilter(
        label=_("Structure"), choices=Structure.choices, empty_label=_("Any structure")
    )
    status = django_filters.ChoiceFilter(
        label=_("Status"), choices=Collaboration.Status.choices, empty_label=_("Any status")
    )
    # On the page a text box with suggestions, not a list of every organisation that leads
    # something: at national scale that list is thousands of options, half a megabyte of page
    # (docs/performance.md).
    lead_organisation = ReferenceFilter(
        field_name="lead_organisation_id",
        label=_("Lead organisation"),
        help_text=_("Name, short name or slug of the lead organisation"),
        search=_lead_organisations,
        page_widget=lambda: PickerTextInput(scope="organisations"),
    )
    # A text box with suggestions too: hundreds of commissioners at national scale.
    commissioner = ReferenceFilter(
        field_name="commissioner_id",
        label=_("Commissioner"),
        help_text=_("Name or user name of the commissioner"),
        search=_commissioners,
        page_widget=lambda: PickerTextInput(scope="commissioners"),
    )
    organisation = IdFilter(
        label=_("Organisation"),
        method="taking_part",
        help_text=_("Collaborations this organisation takes part in."),
    )
    mine = django_filters.ChoiceFilter(
        label=_("My organisation's"),
        choices=[("true", _("Only my organisation's"))],
        empty_label=_("All collaborations"),
        method="only_mine",
        help_text=_("true: the collaborations your organisation leads or takes part in."),
    )

    hidden_on_page = ("organisation",)

    class Meta(SharedFilterSet.Meta):
        model = Collaboration
        fields = [
            "q",
            "structure",
            "status",
            "lead_organisation",
            "commissioner",
            "organisation",
            "mine",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.page and actor_organisation_id(getattr(self.request, "user", None)) is None:
            # Administrators and commissioners without an organisation have no "mine".
            del self.filters["mine"]

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        # Every language's version, not only the reader's (core/translated.py).
        matches = Q()
        for name in with_versions(Collaboration, ["title", "summary"]):
            matches |= Q(**{f"{name}__icontains": value})
        return queryset.filter(matches)

    def taking_part(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.filter(
            pk__in=Participation.objects.filter(organisation_id=value).values("collaboration_id")
        )

    def only_mine(self, queryset, name, value):
        if value != "true":
            return queryset
        return collaborations_of_organisation(
            queryset, actor_organisation_id(getattr(self.request, "user", None))
        )


def _overdue(queryset, name, value):
    if value in ("", None):
        return queryset
    return filter_overdue(queryset, value == "true")


class ParticipationApiFilterSet(django_filters.FilterSet):
    collaboration = IdFilter(field_name="collaboration_id")
    organisation = IdFilter(field_name="organisation_id")
    role = django_filters.ChoiceFilter(choices=Role.choices)
    status = django_filters.ChoiceFilter(choices=Participation.Status.choices)

    class Meta:
        model = Participation
        fields = ["collaboration", "organisation", "role", "status"]


class GoalApiFilterSet(django_filters.FilterSet):
    collaboration = IdFilter(field_name="collaboration_id")
    cadence = django_filters.ChoiceFilter(choices=SharedGoal.Cadence.choices)

    class Meta:
        model = SharedGoal
        fields = ["collaboration", "cadence"]


class MeasurementApiFilterSet(django_filters.FilterSet):
    goal = IdFilter(field_name="goal_id")
    collaboration = IdFilter(field_name="goal__collaboration_id")
    reported_by_organisation = IdFilter(field_name="reported_by_organisation_id")
    period_end_after = django_filters.DateFilter(field_name="period_end", lookup_expr="gte")
    period_end_before = django_filters.DateFilter(field_name="period_end", lookup_expr="lte")
    include_withdrawn = django_filters.BooleanFilter(
        method="withdrawn_included",
        help_text=_("Also list measurements withdrawn as reported in error (left out by default)."),
    )

    class Meta:
        model = Measurement
        fields = [
            "goal",
            "collaboration",
            "reported_by_organisation",
            "period_end_after",
            "period_end_before",
            "include_withdrawn",
        ]

    def withdrawn_included(self, queryset, name, value):
        # The view leaves withdrawn measurements out of the list unless this is true.
        return queryset


class AgreementApiFilterSet(django_filters.FilterSet):
    collaboration = IdFilter(field_name="collaboration_id")
    status = django_filters.ChoiceFilter(choices=Agreement.Status.choices)
    kind = django_filters.ChoiceFilter(choices=Agreement.Kind.choices)
    signatory_organisation = IdFilter(
        method="signed_by_organisation",
        help_text=_("Agreements this organisation is a signatory of."),
    )
    awaiting_signature_from = IdFilter(
        method="awaiting",
        help_text=_("Agreements circulating for signature that this organisation has not signed."),
    )

    class Meta:
        model = Agreement
        fields = ["collaboration", "status", "kind", "signatory_organisation"]

    def signed_by_organisation(self, queryset, name, value):
        return queryset.filter(
            pk__in=Signatory.objects.filter(organisation_id=value).values("agreement_id")
        )

    def awaiting(self, queryset, name, value):
        return queryset.filter(
            status=Agreement.Status.CIRCULATING,
            pk__in=Signatory.objects.filter(organisation_id=value, signed_at__isnull=True).values(
                "agreement_id"
            ),
        )


class ObligationApiFilterSet(django_filters.FilterSet):
    collaboration = IdFilter(field_name="collaboration_id")
    organisation = IdFilter(field_name="organisation_id")
    agreement = IdFilter(field_name="agreement_id")
    status = django_filters.ChoiceFilter(choices=Obligation.Status.choices)
    kind = django_filters.ChoiceFilter(choices=Obligation.Kind.choices)
    overdue = django_filters.ChoiceFilter(
        choices=TRUE_FALSE,
        method=_overdue,
        help_text=_("true: pending and past the due date; false: everything else."),
    )
    due_after = django_filters.DateFilter(field_name="due_date", lookup_expr="gte")
    due_before = django_filters.DateFilter(field_name="due_date", lookup_expr="lte")

    class Meta:
        model = Obligation
        fields = [
            "collaboration",
            "organisation",
            "agreement",
            "status",
            "kind",
            "overdue",
            "due_after",
            "due_before",
        ]
