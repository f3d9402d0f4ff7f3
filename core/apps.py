from django.apps import AppConfig


class CoreConfig(AppConfig):
    """The ground floor every app builds on: who is acting, the domain error, scoping, locking,
    bounds, the API's base classes, form helpers, history and CSV. It imports no app."""

    name = "core"
    verbose_name = "CollabHub core"

    def ready(self):
        # Every model serializer renders datetimes as RFC 3339, whatever was stored.
        from django.db import models
        from rest_framework.serializers import ModelSerializer

        from .serializer_fields import RFC3339DateTimeField

        ModelSerializer.serializer_field_mapping[models.DateTimeField] = RFC3339DateTimeField
