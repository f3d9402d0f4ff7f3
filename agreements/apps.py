from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AgreementsConfig(AppConfig):
    """What partners agree to do together: collaborations, goals, agreements, obligations."""

    name = "agreements"
    verbose_name = _("Collaborations and agreements")

    def ready(self):
        from . import pickers  # noqa: F401  (registers the collaboration forms' picker scopes)
