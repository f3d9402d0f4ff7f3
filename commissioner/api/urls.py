"""API routes of the commissioner app, mounted under /api/v1/."""

from rest_framework.routers import SimpleRouter

from .survey import SurveyInstrumentViewSet, SurveyRoundViewSet
from .views import EngagementViewSet, FlagViewSet, InterventionViewSet, MeetingViewSet

router = SimpleRouter()
router.register("meetings", MeetingViewSet, basename="meeting")
router.register("engagement", EngagementViewSet, basename="engagement")
router.register("flags", FlagViewSet, basename="flag")
router.register("interventions", InterventionViewSet, basename="intervention")
router.register("survey-instruments", SurveyInstrumentViewSet, basename="survey-instrument")
router.register("survey-rounds", SurveyRoundViewSet, basename="survey-round")

urlpatterns = router.urls
