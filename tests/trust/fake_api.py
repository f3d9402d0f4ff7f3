"""A small API with one deliberate hole of each kind the isolation walk looks for, mounted only by
test_walker_selftest.py: the walk must report every hole and nothing on the sound routes."""

from django.db.models import Q
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from agreements.models import Collaboration, Measurement, Obligation, SharedGoal
from collabhub import urls as project_urls
from core.actors import actor_organisation_id, is_administrator, is_partner


def visible_collaborations(actor):
    if not is_partner(actor):
        return Collaboration.objects.all()
    return Collaboration.objects.filter(participations__organisation_id=actor.organisation_id)


class ObligationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Obligation
        fields = ["id", "description", "status", "due_date", "organisation", "collaboration"]
        read_only_fields = ["status", "organisation", "collaboration"]


class ObligationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Sound: scoped reads, and mark-met only for the token's own organisation."""

    serializer_class = ObligationSerializer
    ordering_fields = ["due_date"]
    search_fields = ["description"]
    filterset_fields = ["collaboration"]

    def get_queryset(self):
        return Obligation.objects.filter(
            collaboration__in=visible_collaborations(self.request.user)
        ).order_by("pk")

    @action(detail=True, methods=["post"], url_path="mark-met")
    def mark_met(self, request, pk=None):
        obligation = self.get_object()
        mine = obligation.organisation_id == actor_organisation_id(request.user)
        if not (mine or is_administrator(request.user)):
            from django.http import Http404

            raise Http404
        return Response(ObligationSerializer(obligation).data)


class GoalSerializer(serializers.ModelSerializer):
    class Meta:
        model = SharedGoal
        fields = ["id", "title", "collaboration"]


class LeakyGoalViewSet(mixins.RetrieveModelMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """Hole: the detail route is not scoped (the list is)."""

    serializer_class = GoalSerializer

    def get_queryset(self):
        if self.action == "retrieve":
            return SharedGoal.objects.all()
        return SharedGoal.objects.filter(
            collaboration__in=visible_collaborations(self.request.user)
        )


class MeasurementSerializer(serializers.ModelSerializer):
    # Hole: the goal is looked up among all goals, not the caller's.
    goal = serializers.PrimaryKeyRelatedField(queryset=SharedGoal.objects.all())

    class Meta:
        model = Measurement
        fields = ["id", "goal", "value", "period_end"]


class LeakyMeasurementViewSet(
    mixins.CreateModelMixin, mixins.ListModelMixin, viewsets.GenericViewSet
):
    """Holes: creates against any goal; the count comes from every row."""

    serializer_class = MeasurementSerializer

    def get_queryset(self):
        return Measurement.objects.filter(
            Q(goal__collaboration__in=visible_collaborations(self.request.user))
        )

    def perform_create(self, serializer):
        # An upsert: a period is reported once (the measurement_once_per_period constraint),
        # and every probe of the walk reports the same period, some of them for real (the
        # holes): each must still reach the database.
        data = serializer.validated_data
        serializer.instance, _ = Measurement.objects.update_or_create(
            goal=data["goal"],
            reported_by_organisation_id=actor_organisation_id(self.request.user),
            period_end=data["period_end"],
            defaults={"value": data["value"]},
        )

    def list(self, request, *args, **kwargs):
        response = super().list(request, *args, **kwargs)
        response.data["count"] = Measurement.objects.count()
        return response


class ContactSerializer(serializers.Serializer):
    organisation = serializers.IntegerField()
    name = serializers.CharField()


class LockedContactViewSet(mixins.CreateModelMixin, viewsets.GenericViewSet):
    """Hole of the walk's own: every caller is refused before validation, so the foreign key
    `organisation` is never checked."""

    serializer_class = ContactSerializer

    def get_queryset(self):
        return Obligation.objects.none()

    def create(self, request, *args, **kwargs):
        raise PermissionDenied


router = SimpleRouter()
router.register("obligations", ObligationViewSet, basename="obligation")
router.register("goals", LeakyGoalViewSet, basename="goal")
router.register("measurements", LeakyMeasurementViewSet, basename="measurement")
router.register("contacts", LockedContactViewSet, basename="contact")

urlpatterns = [
    path("api/v1/", include(router.urls)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The project's pages (error pages link to them), without its API.
    *(p for p in project_urls.urlpatterns if str(p.pattern) not in {"api/v1/", "api/schema/"}),
]
