from django.apps import AppConfig


class CollabhubConfig(AppConfig):
    """Registers the project package so its management commands and tasks are discovered."""

    name = "collabhub"
    verbose_name = "CollabHub"
