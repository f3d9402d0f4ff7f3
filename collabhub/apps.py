from django.apps import AppConfig


class CollabhubConfig(AppConfig):
    """Registers the project package so its management commands and tasks are discovered."""

    name = "collabhub"
    verbose_name = "CollabHub"

    def ready(self):
        # Every model serializer renders datetimes as RFC 3339, whatever was stored.
        from django.db import models
        from rest_framework.serializers import ModelSerializer

        from .serializer_fields import RFC3339DateTimeField

        ModelSerializer.serializer_field_mapping[models.DateTimeField] = RFC3339DateTimeField
