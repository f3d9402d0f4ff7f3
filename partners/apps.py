from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PartnersConfig(AppConfig):
    """Who takes part: organisations, contacts, staff users and partner API tokens."""

    name = "partners"
    verbose_name = _("Partners")
