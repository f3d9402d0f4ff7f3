"""Django admin for the agreements app: a read-only window with the audit history.

Collaborations and everything in them change through the services (the pages and the API), so
that every change is validated, recorded with who made it and counted as partner activity; the
admin only looks."""

from django.contrib import admin

from core.admin import ReadOnlyHistoryAdmin, ReadOnlyInline
from core.translated import version_names

from .models import (
    Agreement,
    Collaboration,
    Measurement,
    Obligation,
    Participation,
    SharedGoal,
    Signatory,
)


class ParticipationInline(ReadOnlyInline):
    model = Participation
    fields = ("organisation", "role", "status", "contact", "joined_on", "left_on")


class SignatoryInline(ReadOnlyInline):
    model = Signatory
    fields = ("organisation", "signed_by_name", "signed_by_title", "signed_at")


@admin.register(Collaboration)
class CollaborationAdmin(ReadOnlyHistoryAdmin):
    list_display = (
        "title",
        "structure",
        "status",
        "lead_organisation",
        "commissioner",
        "start_date",
    )
    list_filter = ("structure", "status")
    # Titles in every language (core/translated.py), not only the reader's.
    search_fields = (*version_names("title"), "slug", "lead_organisation__name")
    list_select_related = ("lead_organisation", "commissioner")
    inlines = [ParticipationInline]


@admin.register(Participation)
class ParticipationAdmin(ReadOnlyHistoryAdmin):
    list_display = ("organisation", "collaboration", "role", "status", "joined_on", "left_on")
    list_filter = ("role", "status")
    search_fields = ("organisation__name", *version_names("collaboration__title"))
    list_select_related = ("organisation", "collaboration")


@admin.register(SharedGoal)
class SharedGoalAdmin(ReadOnlyHistoryAdmin):
    list_display = ("title", "collaboration", "indicator", "baseline", "target", "cadence")
    list_filter = ("cadence",)
    search_fields = (
        *version_names("title"),
        *version_names("indicator"),
        *version_names("collaboration__title"),
    )
    list_select_related = ("collaboration",)


@admin.register(Measurement)
class MeasurementAdmin(ReadOnlyHistoryAdmin):
    list_display = (
        "goal",
        "value",
        "period_end",
        "reported_by_organisation",
        "reported_at",
        "corrected_at",
        "withdrawn_at",
    )
    search_fields = (*version_names("goal__title"), "reported_by_organisation__name")
    list_select_related = ("goal", "reported_by_organisation")
    date_hierarchy = "period_end"

    def get_queryset(self, request):
        # Withdrawn measurements too: the admin is where the whole record is read.
        return Measurement.all_objects.select_related(*self.list_select_related)


@admin.register(Agreement)
class AgreementAdmin(ReadOnlyHistoryAdmin):
    list_display = ("title", "version", "kind", "status", "collaboration", "effective_date")
    list_filter = ("kind", "status")
    search_fields = ("title", *version_names("collaboration__title"))
    list_select_related = ("collaboration",)
    inlines = [SignatoryInline]


@admin.register(Obligation)
class ObligationAdmin(ReadOnlyHistoryAdmin):
    list_display = ("description", "organisation", "collaboration", "kind", "due_date", "status")
    list_filter = ("kind", "status", "unit")
    search_fields = ("description", "organisation__name", *version_names("collaboration__title"))
    list_select_related = ("organisation", "collaboration")
    date_hierarchy = "due_date"
