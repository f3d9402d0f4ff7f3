"""API routes of the agreements app, mounted under /api/v1/."""

from rest_framework.routers import SimpleRouter

from .views import (
    AgreementViewSet,
    CollaborationViewSet,
    GoalViewSet,
    MeasurementViewSet,
    ObligationViewSet,
    ParticipationViewSet,
)

router = SimpleRouter()
router.register("collaborations", CollaborationViewSet, basename="collaboration")
router.register("participations", ParticipationViewSet, basename="participation")
router.register("goals", GoalViewSet, basename="goal")
router.register("measurements", MeasurementViewSet, basename="measurement")
router.register("agreements", AgreementViewSet, basename="agreement")
router.register("obligations", ObligationViewSet, basename="obligation")

urlpatterns = router.urls
