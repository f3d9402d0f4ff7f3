from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from .models import ApiToken, Contact, Organisation, StaffMembership, User
from .services import api_token_revoke


class StaffMembershipInline(admin.StackedInline):
    model = StaffMembership
    can_delete = True
    autocomplete_fields = ["organisation"]


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    fieldsets = (*DjangoUserAdmin.fieldsets, ("CollabHub", {"fields": ("role",)}))
    list_display = ("username", "email", "first_name", "last_name", "role", "is_active")
    list_filter = ("role", "is_active", "is_staff")
    inlines = [StaffMembershipInline]


class ContactInline(admin.TabularInline):
    model = Contact
    extra = 0


@admin.register(Organisation)
class OrganisationAdmin(SimpleHistoryAdmin):
    list_display = ("name", "short_name", "kind", "jurisdiction", "is_active")
    list_filter = ("kind", "is_active")
    search_fields = ("name", "short_name", "slug")
    prepopulated_fields = {"slug": ("name",)}
    autocomplete_fields = ["parent"]
    inlines = [ContactInline]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("name", "prefix", "organisation", "write_enabled", "expires_at", "revoked_at")
    list_filter = ("write_enabled",)
    search_fields = ("name", "prefix", "organisation__name")
    readonly_fields = ("prefix", "digest", "created_at", "last_used_at")
    actions = ["revoke_tokens"]

    # Tokens are issued through the organisation page or `create_api_token`, which show the
    # secret once; the admin can only inspect and revoke.
    def has_add_permission(self, request):
        return False

    @admin.action(description=_("Revoke the selected tokens"))
    def revoke_tokens(self, request, queryset):
        revoked = 0
        for token in queryset.filter(revoked_at__isnull=True):
            api_token_revoke(token=token)
            revoked += 1
        self.message_user(request, _("%(count)s tokens revoked.") % {"count": revoked})
