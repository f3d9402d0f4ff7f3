"""Audit-history wiring for django-simple-history.

A partner API call authenticates as an organisation principal, not a User row; the history keeps
who changed what through the change reason that services set, and leaves history_user empty."""

from django.contrib.auth import get_user_model


def history_user(instance=None, request=None, **kwargs):
    user = getattr(request, "user", None)
    if isinstance(user, get_user_model()):
        return user
    return getattr(instance, "_history_user", None)
