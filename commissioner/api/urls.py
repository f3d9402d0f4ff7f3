"""API routes of the commissioner app, mounted under /api/v1/."""

from rest_framework.routers import SimpleRouter

from .views import EngagementViewSet, FlagViewSet, InterventionViewSet, MeetingViewSet

router = SimpleRouter()
router.register("meetings", MeetingViewSet, basename="meeting")
router.register("engagement", EngagementViewSet, basename="engagement")
router.register("flags", FlagViewSet, basename="flag")
router.register("interventions", InterventionViewSet, basename="intervention")

urlpatterns = router.urls
