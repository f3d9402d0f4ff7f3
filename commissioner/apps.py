from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CommissionerConfig(AppConfig):
    """Watching the partnership: meetings, activity, engagement scans, flags, interventions."""

    name = "commissioner"
    verbose_name = _("Commissioner")

    def ready(self) -> None:
        from agreements.views import COLLABORATION_PAGE_SECTIONS
        from core.events import ApiUsed, PartnerActed, ScanScopeNarrowed, subscribe

        from .listeners import api_used, partner_acted, scan_scope_narrowed
        from .views import collaboration_meetings_section

        # The collaboration page (agreements app) shows the collaboration's meetings.
        if collaboration_meetings_section not in COLLABORATION_PAGE_SECTIONS:
            COLLABORATION_PAGE_SECTIONS.append(collaboration_meetings_section)
        # What the agreements app publishes (core/events.py).
        subscribe(PartnerActed, partner_acted)
        subscribe(ScanScopeNarrowed, scan_scope_narrowed)
        subscribe(ApiUsed, api_used)
