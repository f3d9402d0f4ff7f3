"""API permissions shared by every resource."""

from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import SAFE_METHODS, BasePermission

from core.actors import is_partner


class ReadOnlyTokenCannotWrite(BasePermission):
    """A read-only organisation token may read but never write (403)."""

    message = _("This API token is read-only; issue a read-write token to make changes.")

    def has_permission(self, request, view):
        if request.method in SAFE_METHODS or not is_partner(request.user):
            return True
        return request.user.can_write
