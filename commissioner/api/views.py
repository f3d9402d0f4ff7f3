"""API of the commissioner app: meetings (a partner confirms its own attendance), engagement
snapshots (a partner reads its own organisation's), flags and interventions (administrators and
commissioners only). Thin: reads come from the scoped selectors, writes go through the same
services as the browser.

Flags and interventions: for anyone who is not an administrator or a commissioner, the lists
(and creating an intervention) answer 403 and every object route 404 — a flag's existence never
leaks."""

from django.db import transaction
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import BasePermission

from commissioner import selectors, services
from commissioner.access import may_commission
from commissioner.filters import (
    FlagFilterSet,
    InterventionFilterSet,
    MeetingFilterSet,
    SnapshotFilterSet,
)
from core.viewsets import ScopedViewSet

from . import serializers as s

FORBIDDEN = OpenApiResponse(
    description="Not allowed: a read-only token, or a caller who is not an administrator or "
    "commissioner (flags and interventions)."
)
NOT_FOUND = OpenApiResponse(description="Not found, or outside the caller's scope.")
BAD_REQUEST = OpenApiResponse(description="Invalid input: each bad field is named.")
CONFLICT = OpenApiResponse(
    description="Conflicts with the object's current state (e.g. attendance already recorded "
    "otherwise, a flag already closed): the field at fault is named with the reason."
)


def _write_schema(request, response, code=200, description="", conflict=False):
    responses = {code: response, 400: BAD_REQUEST, 403: FORBIDDEN, 404: NOT_FOUND}
    if conflict:
        responses[409] = CONFLICT
    return extend_schema(request=request, responses=responses, description=description or None)


class CommissionersOnly(BasePermission):
    """Lists and creation are refused (403) to anyone but administrators and commissioners; their
    object routes find nothing for them (404, from the scoped queryset)."""

    message = gettext_lazy("Only administrators and commissioners see flags and interventions.")

    def has_permission(self, request, view):
        if view.action in ("list", "create"):
            return may_commission(request.user)
        return True


class CommissionerViewSet(ScopedViewSet):
    """The commissioner's resources (core/viewsets.py: scoped reads for every action)."""


@extend_schema(tags=["meetings"])
class MeetingViewSet(CommissionerViewSet):
    """Meetings of the collaborations the caller may read, with every participating
    organisation's attendance. A partner (read-write token) or a participating organisation's
    staff confirms its own organisation's attendance with `confirm-attendance`."""

    serializer_class = s.MeetingSerializer
    filterset_class = MeetingFilterSet
    search_fields = ["title"]
    ordering_fields = ["held_at", "title"]
    ordering = ["-held_at"]

    scope_actions = {"confirm_attendance": "confirm"}

    def base_queryset(self):
        return selectors.meeting_api_rows().order_by("-held_at", "-pk")

    @_write_schema(
        s.ConfirmAttendanceSerializer,
        s.MeetingSerializer,
        description="Confirm your own organisation's attendance (present, apologies or absent). "
        "Only meetings of collaborations your organisation takes an active part in; any other "
        "meeting is a 404. Present and absent only once the meeting has started; attendance the "
        "managers already recorded otherwise is a 409.",
        conflict=True,
    )
    @action(detail=True, methods=["post"], url_path="confirm-attendance")
    @transaction.atomic  # the write and its answer's read-back are one unit
    def confirm_attendance(self, request, pk=None):
        meeting = get_object_or_404(self.get_queryset(), pk=pk)
        data = self.validated(request, s.ConfirmAttendanceSerializer)
        services.attendance_confirm(actor=request.user, meeting=meeting, status=data["status"])
        return self.respond(meeting)


@extend_schema(tags=["engagement"])
class EngagementViewSet(CommissionerViewSet):
    """Engagement snapshots: one per participation per scan date, with the score, band, figures
    and reasons. A partner token or a staff user reads its own organisation's only;
    administrators and commissioners read all."""

    serializer_class = s.SnapshotSerializer
    filterset_class = SnapshotFilterSet
    ordering_fields = ["scan_date", "score"]
    ordering = ["-scan_date"]

    def base_queryset(self):
        return selectors.snapshot_rows().order_by("-scan_date", "-pk")


@extend_schema_view(
    list=extend_schema(responses={200: s.FlagSerializer(many=True), 403: FORBIDDEN}),
)
@extend_schema(tags=["flags"])
class FlagViewSet(CommissionerViewSet):
    """Flags raised by the engagement scan on partners at risk or disengaged (administrators and
    commissioners only)."""

    serializer_class = s.FlagSerializer
    filterset_class = FlagFilterSet
    search_fields = ["participation__organisation__name", "participation__collaboration__title"]
    ordering_fields = ["raised_on", "score"]
    ordering = ["-raised_on"]
    permission_classes = [*viewsets.GenericViewSet.permission_classes, CommissionersOnly]

    def base_queryset(self):
        return selectors.flag_api_rows().order_by("-raised_on", "-pk")

    @_write_schema(None, s.FlagSerializer, description="Acknowledge an open flag.", conflict=True)
    @action(detail=True, methods=["post"])
    @transaction.atomic  # the write and its answer's read-back are one unit
    def acknowledge(self, request, pk=None):
        flag = self.get_object()
        services.flag_acknowledge(actor=request.user, flag=flag)
        return self.respond(flag)

    @_write_schema(
        s.ResolveSerializer,
        s.FlagSerializer,
        description="Resolve a flag, saying how.",
        conflict=True,
    )
    @action(detail=True, methods=["post"])
    @transaction.atomic  # the write and its answer's read-back are one unit
    def resolve(self, request, pk=None):
        flag = self.get_object()
        data = self.validated(request, s.ResolveSerializer)
        services.flag_resolve(actor=request.user, flag=flag, note=data["note"])
        return self.respond(flag)


@extend_schema_view(
    list=extend_schema(responses={200: s.InterventionSerializer(many=True), 403: FORBIDDEN}),
    create=_write_schema(s.InterventionWriteSerializer, s.InterventionSerializer, 201),
)
@extend_schema(tags=["interventions"])
class InterventionViewSet(mixins.CreateModelMixin, CommissionerViewSet):
    """What commissioners did about flags: calls, meetings, letters, escalations, with their due
    dates and outcomes (administrators and commissioners only)."""

    serializer_class = s.InterventionSerializer
    filterset_class = InterventionFilterSet
    ordering_fields = ["created_at", "due_date"]
    ordering = ["-created_at"]
    permission_classes = [*viewsets.GenericViewSet.permission_classes, CommissionersOnly]

    def base_queryset(self):
        return selectors.intervention_rows().order_by("-created_at", "-pk")

    @transaction.atomic  # the write and its answer's read-back are one unit
    def create(self, request, *args, **kwargs):
        data = self.validated(request, s.InterventionWriteSerializer)
        intervention = services.intervention_add(actor=request.user, **data)
        return self.respond(intervention, status.HTTP_201_CREATED)

    @_write_schema(
        s.OutcomeSerializer,
        s.InterventionSerializer,
        description="Record the outcome.",
        conflict=True,
    )
    @action(detail=True, methods=["post"])
    @transaction.atomic  # the write and its answer's read-back are one unit
    def complete(self, request, pk=None):
        intervention = self.get_object()
        data = self.validated(request, s.OutcomeSerializer)
        services.intervention_complete(
            actor=request.user, intervention=intervention, outcome=data["outcome"]
        )
        return self.respond(intervention)
