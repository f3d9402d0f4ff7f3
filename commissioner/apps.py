from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CommissionerConfig(AppConfig):
    """Watching the partnership: meetings, activity, engagement scans, flags, interventions."""

    name = "commissioner"
    verbose_name = _("Commissioner")
