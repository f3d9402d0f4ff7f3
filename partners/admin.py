"""The Django admin for the partners app: for inspecting. Every change with rules goes through
the services, from the People pages and the organisation pages."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db import models
from django.urls import reverse_lazy
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from simple_history.admin import SimpleHistoryAdmin

from .models import (
    ApiToken,
    Contact,
    ElectionDate,
    Jurisdiction,
    Organisation,
    StaffMembership,
    User,
)
from .services import api_token_revoke


class StaffMembershipInline(admin.StackedInline):
    """Shown, not edited: see UserAdmin."""

    model = StaffMembership
    fields = ("organisation", "job_title")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    """Read-only but for the password reset form.

    Roles come with rules that user_create / user_update enforce (a staff user belongs to an
    organisation; is_staff and is_superuser follow the role; nobody removes their own
    administrator role or switches off their own login). Rather than re-implement them in admin
    forms, where they would drift from the services, the admin shows people and points to the
    People pages, which call those services. Passwords are still reset here (Django's own
    validated form)."""

    people_pointer = format_lazy(
        '{} <a href="{}">{}</a>.',
        _("Roles, organisations, names and sign-in are managed on the"),
        reverse_lazy("partners:people_list"),
        _("People pages"),
    )
    fieldsets = (
        (None, {"fields": ("username", "password"), "description": people_pointer}),
        (_("Person"), {"fields": ("first_name", "last_name", "email")}),
        (_("Role"), {"fields": ("role", "is_active", "is_staff", "is_superuser")}),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    readonly_fields = (
        "username",
        "first_name",
        "last_name",
        "email",
        "role",
        "is_active",
        "is_staff",
        "is_superuser",
        "last_login",
        "date_joined",
    )
    list_display = ("username", "email", "first_name", "last_name", "role", "is_active")
    list_filter = ("role", "is_active")
    inlines = [StaffMembershipInline]

    def has_add_permission(self, request):
        # New people get their role and organisation from user_create (People → New person).
        return False


class ContactInline(admin.TabularInline):
    model = Contact
    extra = 0


@admin.register(Organisation)
class OrganisationAdmin(SimpleHistoryAdmin):
    list_display = ("name", "short_name", "kind", "jurisdiction", "is_active")
    list_filter = ("kind", "is_active")
    search_fields = ("name", "short_name", "slug")
    prepopulated_fields = {"slug": ("name",)}
    autocomplete_fields = [
        "parent",
        "municipal_jurisdiction",
        "provincial_jurisdiction",
        "federal_jurisdiction",
    ]
    inlines = [ContactInline]
    # As the organisation form does: "example.org" means https://example.org.
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens are issued through the organisation page or `create_api_token`, which show the
    secret once, and revoked through api_token_revoke, for good. The admin may rename a token and
    revoke it; nothing else: clearing `revoked_at` would bring a revoked credential back, and
    changing its organisation or write access would change what an issued secret can do."""

    list_display = ("name", "prefix", "organisation", "write_enabled", "expires_at", "revoked_at")
    list_filter = ("write_enabled",)
    search_fields = ("name", "prefix", "organisation__name")
    fields = (
        "name",
        "organisation",
        "prefix",
        "write_enabled",
        "created_by",
        "created_at",
        "expires_at",
        "revoked_at",
        "last_used_at",
        "digest",
    )
    readonly_fields = tuple(field for field in fields if field != "name")
    actions = ["revoke_tokens"]

    def has_add_permission(self, request):
        return False

    @admin.action(description=_("Revoke the selected tokens"))
    def revoke_tokens(self, request, queryset):
        revoked = 0
        for token in queryset.filter(revoked_at__isnull=True):
            api_token_revoke(token=token)
            revoked += 1
        self.message_user(
            request,
            ngettext("%(count)d token revoked.", "%(count)d tokens revoked.", revoked)
            % {"count": revoked},
        )


class ElectionDateInline(admin.TabularInline):
    model = ElectionDate
    extra = 1


@admin.register(Jurisdiction)
class JurisdictionAdmin(admin.ModelAdmin):
    """Administrators keep each jurisdiction's election dates; collaboration timelines and the
    health page read them (partners/elections.py)."""

    list_display = ("name", "kind", "cycle_years")
    list_filter = ("kind",)
    search_fields = ("name",)
    inlines = [ElectionDateInline]
