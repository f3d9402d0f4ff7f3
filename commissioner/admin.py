"""Django admin for the commissioner app: engagement policies (administrators set the system
default here too, through the same service as the policy page) and a read-only window on the
rest, which changes only through the services (the scan, the dashboard, the API)."""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError

from core.admin import ReadOnlyAdmin, is_administrator
from core.errors import DomainError
from core.translated import version_names

from . import services
from .engagement import EARLY_WARNING_FIELDS, POLICY_FIELDS
from .models import (
    Activity,
    Attendance,
    EngagementPolicy,
    EngagementSnapshot,
    Flag,
    Intervention,
    Meeting,
    Reminder,
)


class EngagementPolicyForm(forms.ModelForm):
    class Meta:
        model = EngagementPolicy
        fields = ["collaboration", *POLICY_FIELDS]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in EARLY_WARNING_FIELDS:
            self.fields[name].required = False

    def clean(self):
        cleaned = super().clean()
        for name in EARLY_WARNING_FIELDS:
            if cleaned.get(name) is None:
                # Left out: the current value, or the model's default for a new policy.
                cleaned[name] = getattr(self.instance, name)
                setattr(self.instance, name, cleaned[name])
        try:
            services.policy.clean_policy({name: cleaned.get(name) for name in POLICY_FIELDS})
        except DomainError as error:
            raise ValidationError(
                {error.field: error.message} if error.field else error.message
            ) from error
        return cleaned


@admin.register(EngagementPolicy)
class EngagementPolicyAdmin(admin.ModelAdmin):
    form = EngagementPolicyForm
    list_display = ("__str__", "window_days", "engaged_min", "at_risk_min")
    autocomplete_fields = ["collaboration"]

    def has_module_permission(self, request):
        return is_administrator(request)

    def has_view_permission(self, request, obj=None):
        return is_administrator(request)

    def has_add_permission(self, request):
        return is_administrator(request)

    def has_change_permission(self, request, obj=None):
        return is_administrator(request)

    def has_delete_permission(self, request, obj=None):
        return is_administrator(request)

    def save_model(self, request, obj, form, change):
        saved = services.policy_set(
            actor=request.user,
            collaboration=form.cleaned_data.get("collaboration"),
            **{name: form.cleaned_data[name] for name in POLICY_FIELDS},
        )
        obj.pk = saved.pk


class AttendanceInline(admin.TabularInline):
    model = Attendance
    extra = 0
    readonly_fields = ("participation", "status", "confirmed_by_partner", "recorded_at")
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Meeting)
class MeetingAdmin(ReadOnlyAdmin):
    list_display = ("title", "collaboration", "held_at")
    list_select_related = ("collaboration",)
    search_fields = ("title", *version_names("collaboration__title"))
    date_hierarchy = "held_at"
    inlines = [AttendanceInline]


@admin.register(Activity)
class ActivityAdmin(ReadOnlyAdmin):
    list_display = ("participation", "kind", "occurred_at")
    list_filter = ("kind",)
    list_select_related = ("participation__organisation", "participation__collaboration")
    date_hierarchy = "occurred_at"


@admin.register(EngagementSnapshot)
class EngagementSnapshotAdmin(ReadOnlyAdmin):
    list_display = ("participation", "scan_date", "score", "band")
    list_filter = ("band", "scan_date")
    list_select_related = ("participation__organisation", "participation__collaboration")
    date_hierarchy = "scan_date"


class InterventionInline(admin.TabularInline):
    model = Intervention
    extra = 0
    fields = ("kind", "description", "due_date", "outcome", "completed_at", "created_by")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Flag)
class FlagAdmin(ReadOnlyAdmin):
    list_display = ("participation", "band", "score", "status", "raised_on", "notified_at")
    list_filter = ("status", "band")
    list_select_related = ("participation__organisation", "participation__collaboration")
    inlines = [InterventionInline]


@admin.register(Reminder)
class ReminderAdmin(ReadOnlyAdmin):
    list_display = ("kind", "recipient", "obligation", "agreement", "sent_at")
    list_filter = ("kind",)


from .survey import admin as survey_admin  # noqa: E402, F401  (registers the survey's models)
