"""What every app's Django admin shares: the administrator check and the read-only window.

Rows change through the services (pages and API), so that every change is validated, recorded
with who made it and counted where it counts; the admin mostly looks. Administrators (the role,
not only superusers) may look."""

from django.contrib import admin
from django.db import models
from simple_history.admin import SimpleHistoryAdmin


def is_administrator(request) -> bool:
    return bool(getattr(request.user, "is_administrator", False))


class ReadOnly:
    """Administrators may look; nobody adds, changes or deletes anything here."""

    def has_module_permission(self, request):
        return is_administrator(request) or super().has_module_permission(request)

    def has_view_permission(self, request, obj=None):
        return is_administrator(request) or super().has_view_permission(request, obj)

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyAdmin(ReadOnly, admin.ModelAdmin):
    pass


class ReadOnlyHistoryAdmin(ReadOnly, SimpleHistoryAdmin):
    """Read-only, with the audit history (django-simple-history) one click away."""

    # As the forms do (an obligation's evidence link): "example.org" means https://example.org.
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}


class ReadOnlyInline(ReadOnly, admin.TabularInline):
    extra = 0
    show_change_link = True

    def has_module_permission(self, request):  # inlines have no module of their own
        return False
