from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SearchConfig(AppConfig):
    """Global search: one box on every page over organisations, contacts, collaborations,
    agreements and goals, scoped by the selectors of the apps that own them."""

    name = "search"
    verbose_name = _("Search")
