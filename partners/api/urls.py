"""API routes of the partners app, mounted under /api/v1/."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from .views import MeView, OrganisationViewSet

router = SimpleRouter()
router.register("organisations", OrganisationViewSet, basename="organisation")

urlpatterns = [
    path("me/", MeView.as_view(), name="api-me"),
    *router.urls,
]
