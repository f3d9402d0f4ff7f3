from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CommissionerConfig(AppConfig):
    """Watching the partnership: meetings, activity, engagement scans, flags, interventions."""

    name = "commissioner"
    verbose_name = _("Commissioner")

    def ready(self) -> None:
        # The collaboration page (agreements app) shows the collaboration's meetings.
        from agreements.views import COLLABORATION_PAGE_SECTIONS

        from .views import collaboration_meetings_section

        if collaboration_meetings_section not in COLLABORATION_PAGE_SECTIONS:
            COLLABORATION_PAGE_SECTIONS.append(collaboration_meetings_section)
