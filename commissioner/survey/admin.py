"""Django admin of the survey: administrators add an instrument (a new version of a
questionnaire, its principles, then each principle's statements); rounds and responses are a
read-only window (they change through the survey's services). Registered from
commissioner/admin.py."""

from django.contrib import admin

from commissioner.models import (
    SurveyInstrument,
    SurveyPrinciple,
    SurveyRound,
    SurveyStatement,
)
from core.admin import ReadOnlyAdmin, is_administrator


class AdministratorsEdit(admin.ModelAdmin):
    """Instruments are administrators' business (a round keeps the version it was opened with,
    so editing an instrument in use would rewrite what partners answered: add a version)."""

    def has_module_permission(self, request):
        return is_administrator(request)

    def has_view_permission(self, request, obj=None):
        return is_administrator(request)

    def has_add_permission(self, request, obj=None):
        return is_administrator(request)

    def has_change_permission(self, request, obj=None):
        in_use = obj is not None and _instrument_of(obj).rounds.exists()
        return is_administrator(request) and not in_use

    def has_delete_permission(self, request, obj=None):
        return self.has_change_permission(request, obj)


def _instrument_of(obj) -> SurveyInstrument:
    return obj if isinstance(obj, SurveyInstrument) else obj.instrument


class PrincipleInline(admin.TabularInline):
    model = SurveyPrinciple
    extra = 0
    fields = ("position", "code", "title")


class StatementInline(admin.TabularInline):
    model = SurveyStatement
    extra = 0
    fields = ("position", "text")


@admin.register(SurveyInstrument)
class SurveyInstrumentAdmin(AdministratorsEdit):
    list_display = ("title", "code", "version", "created_at")
    inlines = [PrincipleInline]


@admin.register(SurveyPrinciple)
class SurveyPrincipleAdmin(AdministratorsEdit):
    list_display = ("title", "code", "instrument", "position")
    list_select_related = ("instrument",)
    inlines = [StatementInline]


@admin.register(SurveyRound)
class SurveyRoundAdmin(ReadOnlyAdmin):
    list_display = ("collaboration", "instrument", "opened_on", "closes_on", "share_answers")
    list_select_related = ("collaboration", "instrument")
