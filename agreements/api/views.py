"""API of the agreements app: collaborations, participations, goals, measurements, agreements (with
`sign`) and obligations (with `mark-met`). Thin: reads come from the scoped selectors, writes go
through the same services as the browser.

Every operation takes a JSON body, except the two uploads, which take multipart/form-data only:
`PUT /agreements/{id}/document/` and `PUT /obligations/{id}/evidence-file/`.

Partner tokens read only the collaborations their organisation takes part in, and their children
(anything else is a 404). They may report measurements, sign agreements and mark obligations met,
for their own organisation only; every other write answers 403 for them (or 404 when the object
is outside their scope)."""

from django.db import transaction
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import SAFE_METHODS, BasePermission

from agreements import selectors, services
from agreements.filters import (
    AgreementApiFilterSet,
    CollaborationFilterSet,
    GoalApiFilterSet,
    MeasurementApiFilterSet,
    ObligationApiFilterSet,
    ParticipationApiFilterSet,
)
from core.actors import is_partner
from core.viewsets import ScopedViewSet, ServiceWrites

from . import serializers as s

PARTNER_WRITE_REFUSED = gettext_lazy(
    "Partner tokens may only report measurements, sign agreements and mark obligations met."
)
FORBIDDEN = OpenApiResponse(
    description=gettext_lazy(
        "Not allowed: a read-only token, a partner token on anything but its own "
        "measurements, signatures and obligations, or a signed-in user who may not make this "
        "change."
    )
)
NOT_FOUND = OpenApiResponse(description=gettext_lazy("Not found, or outside the caller's scope."))
BAD_REQUEST = OpenApiResponse(description=gettext_lazy("Invalid input: each bad field is named."))
CONFLICT = OpenApiResponse(
    description=gettext_lazy(
        "Conflicts with the object's current state (e.g. already signed, already met, "
        "no longer open): the field at fault is named with the reason."
    )
)


class PartnerWritePermission(BasePermission):
    """Partner tokens write only through the actions a view lists in `partner_actions` (403
    otherwise). The object check runs after the scoped lookup, so an object outside the token's
    scope is still a 404, never a 403."""

    message = PARTNER_WRITE_REFUSED

    def has_permission(self, request, view):
        if request.method in SAFE_METHODS or not is_partner(request.user):
            return True
        if view.action == "create":
            return "create" in view.partner_actions
        return True

    def has_object_permission(self, request, view, obj):
        if request.method in SAFE_METHODS or not is_partner(request.user):
            return True
        return view.action in view.partner_actions


class AgreementsViewSet(ScopedViewSet):
    """Shared wiring (core/viewsets.py): scoped reads for every action, strict filters and
    ordering, integer ids, thin writes; partner tokens write only through `partner_actions`."""

    permission_classes = [*ScopedViewSet.permission_classes, PartnerWritePermission]
    partner_actions: frozenset[str] = frozenset()
    service_module = services


def _transition_schema(serializer, read_serializer, description):
    return extend_schema(
        request=serializer,
        responses={200: read_serializer, 400: BAD_REQUEST, 403: FORBIDDEN, 404: NOT_FOUND},
        description=description,
    )


PRECONDITION_FAILED = OpenApiResponse(
    description=gettext_lazy(
        "The If-Match names an older version: the object changed since it was read. "
        "Nothing was written; GET it again (its ETag) and retry."
    )
)


def _write_schema(request, response, code=200):
    responses = {code: response, 400: BAD_REQUEST, 403: FORBIDDEN, 404: NOT_FOUND}
    if code == 200:
        # PATCH: send the ETag of the version read as If-Match to be refused a stale write.
        responses[412] = PRECONDITION_FAILED
    return extend_schema(request=request, responses=responses)


def _action_schema(request, response, description):
    """An action on one object (sign, withdraw, mark met…): refused moves are a 409."""
    return extend_schema(
        request=request,
        responses={
            200: response,
            400: BAD_REQUEST,
            403: FORBIDDEN,
            404: NOT_FOUND,
            409: CONFLICT,
        },
        description=description,
    )


# Collaborations -----------------------------------------------------------------------------


@extend_schema_view(
    create=_write_schema(s.CollaborationWriteSerializer, s.CollaborationSerializer, 201),
    partial_update=_write_schema(s.CollaborationUpdateSerializer, s.CollaborationSerializer),
)
@extend_schema(tags=["collaborations"])
class CollaborationViewSet(ServiceWrites, AgreementsViewSet):
    """Collaborations with their structure check. Signed-in administrators, commissioners and
    staff create them; their managers change them. Partner tokens only read (403 on writes)."""

    create_service = "collaboration_create"
    update_service = "collaboration_update"
    updates = "collaboration"
    read_serializer_class = s.CollaborationSerializer
    write_serializers = {
        "create": s.CollaborationWriteSerializer,
        "partial_update": s.CollaborationUpdateSerializer,
        "transition": s.StatusSerializer,
    }
    filterset_class = CollaborationFilterSet
    search_fields = ["title", "summary"]
    ordering_fields = ["title", "status", "structure", "start_date", "created_at"]
    ordering = ["title"]

    def base_queryset(self):
        return selectors.collaboration_api_rows().order_by("title", "pk")

    def paginate_queryset(self, queryset):
        page = super().paginate_queryset(queryset)
        return None if page is None else selectors.with_active_members(page)

    @_transition_schema(
        s.StatusSerializer,
        s.CollaborationSerializer,
        gettext_lazy(
            "Move the collaboration to another status through the same service as the browser; "
            "a refused move is a 400 naming `status` and saying why."
        ),
    )
    @action(detail=True, methods=["post"])
    @transaction.atomic
    def transition(self, request, pk=None):
        collaboration = self.get_object()
        data = self.validated(request)
        services.collaboration_transition(
            collaboration=collaboration, to_status=data["status"], actor=request.user
        )
        return self.respond(collaboration)


# Participations -----------------------------------------------------------------------------


@extend_schema_view(
    create=_write_schema(s.ParticipationWriteSerializer, s.ParticipationSerializer, 201),
    partial_update=_write_schema(s.ParticipationUpdateSerializer, s.ParticipationSerializer),
)
@extend_schema(tags=["participations"])
class ParticipationViewSet(ServiceWrites, AgreementsViewSet):
    """Which organisations take part in which collaborations, in what role. Managers add,
    change and withdraw them; partner tokens only read."""

    create_service = "participation_add"
    update_service = "participation_update"
    updates = "participation"
    read_serializer_class = s.ParticipationSerializer
    write_serializers = {
        "create": s.ParticipationWriteSerializer,
        "partial_update": s.ParticipationUpdateSerializer,
        "withdraw": s.WithdrawSerializer,
    }
    filterset_class = ParticipationApiFilterSet
    search_fields = ["organisation__name"]
    ordering_fields = ["joined_on", "role", "status"]
    ordering = ["collaboration_id", "organisation__name"]

    def base_queryset(self):
        return selectors.participation_rows().order_by(
            "collaboration_id", "organisation__name", "pk"
        )

    @extend_schema(
        request=s.WithdrawSerializer,
        responses={
            200: s.ParticipationSerializer,
            400: BAD_REQUEST,
            403: FORBIDDEN,
            404: NOT_FOUND,
            409: CONFLICT,
        },
    )
    @action(detail=True, methods=["post"])
    @transaction.atomic
    def withdraw(self, request, pk=None):
        participation = self.get_object()
        data = self.validated(request)
        services.participation_withdraw(
            actor=request.user, participation=participation, left_on=data.get("left_on")
        )
        return self.respond(participation)


# Goals and measurements ---------------------------------------------------------------------


@extend_schema_view(
    create=_write_schema(s.GoalWriteSerializer, s.GoalSerializer, 201),
    partial_update=_write_schema(s.GoalUpdateSerializer, s.GoalSerializer),
)
@extend_schema(tags=["goals"])
class GoalViewSet(ServiceWrites, AgreementsViewSet):
    """Shared goals with their latest value and progress toward the target (derived)."""

    create_service = "goal_create"
    update_service = "goal_update"
    updates = "goal"
    read_serializer_class = s.GoalSerializer
    write_serializers = {"create": s.GoalWriteSerializer, "partial_update": s.GoalUpdateSerializer}
    filterset_class = GoalApiFilterSet
    search_fields = ["title", "indicator"]
    ordering_fields = ["title", "target_date", "created_at"]
    ordering = ["collaboration_id", "title"]

    def base_queryset(self):
        return selectors.goal_rows().order_by("collaboration_id", "title", "pk")


@extend_schema_view(
    create=extend_schema(
        request=s.MeasurementWriteSerializer,
        responses={
            200: s.MeasurementSerializer,
            201: s.MeasurementSerializer,
            400: BAD_REQUEST,
            403: FORBIDDEN,
        },
        description=gettext_lazy(
            "Report a value of a goal's indicator. A partner token reports for its own "
            "organisation, which must take part in the goal's collaboration. An organisation "
            "reports a period once: the same report again answers 200 with the stored row (nothing "
            "is written); a different value for a period already reported is a 409."
        ),
    ),
)
@extend_schema(tags=["measurements"])
class MeasurementViewSet(mixins.CreateModelMixin, AgreementsViewSet):
    """Reported values of goals' indicators, oldest period first."""

    read_serializer_class = s.MeasurementSerializer
    write_serializers = {
        "create": s.MeasurementWriteSerializer,
        "correct": s.MeasurementCorrectSerializer,
        "withdraw": s.MeasurementWithdrawSerializer,
    }
    partner_actions = frozenset({"create", "correct", "withdraw"})
    filterset_class = MeasurementApiFilterSet
    search_fields = ["evidence"]
    ordering_fields = ["period_end", "reported_at", "value"]
    ordering = ["goal_id", "period_end"]

    def base_queryset(self):
        queryset = selectors.measurement_rows(include_withdrawn=True).order_by(
            "goal_id", "period_end", "pk"
        )
        # A withdrawn measurement is still read, corrected (409) or withdrawn (409) by its id;
        # the list leaves it out unless asked.
        if self.action == "list" and self.request.query_params.get("include_withdrawn") not in (
            "true",
            "True",
            "1",
        ):
            queryset = queryset.filter(withdrawn_at__isnull=True)
        return queryset

    @transaction.atomic
    def create(self, request, *args, **kwargs):
        data = self.validated(request)
        measurement = services.measurement_report(
            actor=request.user,
            goal=data["goal"],
            value=data["value"],
            period_end=data["period_end"],
            organisation=data.get("reported_by_organisation"),
            evidence=data.get("evidence", ""),
        )
        # The same report again answers with the row already stored: 200, not a second 201.
        repeat = getattr(measurement, "is_repeat", False)
        return self.respond(measurement, status.HTTP_200_OK if repeat else status.HTTP_201_CREATED)

    @_action_schema(
        s.MeasurementCorrectSerializer,
        s.MeasurementSerializer,
        gettext_lazy(
            "Correct a measurement's value, period end or both, with a reason. The "
            "reporting organisation (its staff or a read-write token) or a manager may; the "
            "history "
            "keeps the reported figure and no new report is counted. The same correction again "
            "changes nothing (200). A withdrawn measurement, or a period the organisation already "
            "reported, is a 409."
        ),
    )
    @action(detail=True, methods=["post"])
    @transaction.atomic
    def correct(self, request, pk=None):
        measurement = self.get_object()
        data = self.validated(request)
        services.measurement_correct(
            actor=request.user,
            measurement=measurement,
            reason=data["reason"],
            **{key: data[key] for key in ("value", "period_end") if key in data},
        )
        return self.respond(measurement)

    @_action_schema(
        s.MeasurementWithdrawSerializer,
        s.MeasurementSerializer,
        gettext_lazy(
            "Withdraw a measurement reported in error, with a reason. It no longer "
            "counts anywhere (lists leave it out unless `include_withdrawn=true`) and its period "
            "may "
            "be reported again. One already withdrawn is a 409."
        ),
    )
    @action(detail=True, methods=["post"])
    @transaction.atomic
    def withdraw(self, request, pk=None):
        measurement = self.get_object()
        data = self.validated(request)
        services.measurement_withdraw(
            actor=request.user, measurement=measurement, reason=data["reason"]
        )
        return self.respond(measurement)


# Agreements ---------------------------------------------------------------------------------


@extend_schema_view(
    create=_write_schema(s.AgreementWriteSerializer, s.AgreementSerializer, 201),
    partial_update=_write_schema(s.AgreementUpdateSerializer, s.AgreementSerializer),
)
@extend_schema(tags=["agreements"])
class AgreementViewSet(ServiceWrites, AgreementsViewSet):
    """Agreements with their signatories. Managers draft, change and circulate them; the last
    signature puts an agreement in force. The document is uploaded on its own, with
    `PUT /agreements/{id}/document/` (multipart/form-data)."""

    create_service = "agreement_create"
    update_service = "agreement_update"
    updates = "agreement"
    read_serializer_class = s.AgreementSerializer
    write_serializers = {
        "create": s.AgreementWriteSerializer,
        "partial_update": s.AgreementUpdateSerializer,
        "transition": s.AgreementStatusSerializer,
        "sign": s.SignSerializer,
        "document": s.DocumentUploadSerializer,
    }
    partner_actions = frozenset({"sign"})
    filterset_class = AgreementApiFilterSet
    search_fields = ["title"]
    ordering_fields = ["title", "status", "effective_date", "expiry_date", "created_at"]
    ordering = ["collaboration_id", "title"]

    scope_actions = {"sign": "sign"}

    def base_queryset(self):
        return selectors.agreement_rows().order_by("collaboration_id", "title", "-version", "pk")

    @extend_schema(
        request={"multipart/form-data": s.DocumentUploadSerializer},
        responses={200: s.AgreementSerializer, 400: BAD_REQUEST, 403: FORBIDDEN, 404: NOT_FOUND},
        description=gettext_lazy(
            "Upload (or replace) a draft agreement's document: a PDF, DOCX or ODT file "
            "(judged by its content) in the multipart/form-data field `document`. The one "
            "operation of the agreements that takes a file; the others take JSON."
        ),
    )
    @action(detail=True, methods=["put"], parser_classes=[MultiPartParser])
    @transaction.atomic
    def document(self, request, pk=None):
        agreement = self.get_object()
        data = self.validated(request)
        services.agreement_update(
            actor=request.user, agreement=agreement, document=data["document"]
        )
        return self.respond(agreement)

    @_transition_schema(
        s.AgreementStatusSerializer,
        s.AgreementSerializer,
        gettext_lazy(
            "Move the agreement to another status through the same service as the browser; "
            "a refused move is a 400 naming `status` and saying why."
        ),
    )
    @action(detail=True, methods=["post"])
    @transaction.atomic
    def transition(self, request, pk=None):
        agreement = self.get_object()
        data = self.validated(request)
        services.agreement_transition(
            actor=request.user, agreement=agreement, to_status=data["status"]
        )
        return self.respond(agreement)

    @_action_schema(
        s.SignSerializer,
        s.AgreementSerializer,
        gettext_lazy(
            "Sign a circulating agreement, with the signer's name and title. A partner "
            "token signs for its own organisation, which must be a signatory (other agreements are "
            "a 404 for it). A signatory signs once: signing again, or signing an agreement that is "
            "not circulating, is a 409. When every signatory has signed, the agreement is in force."
        ),
    )
    @action(detail=True, methods=["post"])
    @transaction.atomic
    def sign(self, request, pk=None):
        agreement = self.get_object()
        data = self.validated(request)
        actor = request.user
        organisation = services.signing_organisation(
            actor=actor, agreement=agreement, organisation=data.get("organisation")
        )
        services.agreement_sign(
            agreement=agreement,
            organisation=organisation,
            actor=actor,
            signed_by_name=data.get("signed_by_name", ""),
            signed_by_title=data.get("signed_by_title", ""),
            signed_on=data.get("signed_on"),
        )
        return self.respond(agreement)


# Obligations --------------------------------------------------------------------------------


@extend_schema_view(
    create=_write_schema(s.ObligationWriteSerializer, s.ObligationSerializer, 201),
    partial_update=_write_schema(s.ObligationUpdateSerializer, s.ObligationSerializer),
)
@extend_schema(tags=["obligations"])
class ObligationViewSet(ServiceWrites, AgreementsViewSet):
    """What each organisation owes a collaboration; `overdue` is derived from the due date.
    Filter with `overdue=true` for what is late."""

    create_service = "obligation_create"
    update_service = "obligation_update"
    updates = "obligation"
    read_serializer_class = s.ObligationSerializer
    write_serializers = {
        "create": s.ObligationWriteSerializer,
        "partial_update": s.ObligationUpdateSerializer,
        "mark_met": s.MarkMetSerializer,
        "waive": s.WaiveSerializer,
        "evidence_file": s.EvidenceFileUploadSerializer,
    }
    partner_actions = frozenset({"mark_met", "evidence_file"})
    filterset_class = ObligationApiFilterSet
    search_fields = ["description"]
    ordering_fields = ["due_date", "status", "created_at"]
    ordering = ["due_date"]

    scope_actions = {"mark_met": "mark_met", "evidence_file": "mark_met"}

    def base_queryset(self):
        return selectors.obligation_rows().order_by("due_date", "pk")

    @_action_schema(
        s.MarkMetSerializer,
        s.ObligationSerializer,
        gettext_lazy(
            "Record that a pending obligation was met, with the evidence: a description "
            "and optionally a link; attach a file afterwards with `evidence-file`. A partner token "
            "may do this for its own organisation's obligations only (others are a 404). An "
            "obligation already met or waived is a 409."
        ),
    )
    @action(detail=True, methods=["post"], url_path="mark-met")
    @transaction.atomic
    def mark_met(self, request, pk=None):
        obligation = self.get_object()
        data = self.validated(request)
        services.obligation_mark_met(
            obligation=obligation,
            actor=request.user,
            evidence=data["evidence"],
            evidence_url=data.get("evidence_url", ""),
        )
        return self.respond(obligation)

    @extend_schema(
        request={"multipart/form-data": s.EvidenceFileUploadSerializer},
        responses={
            200: s.ObligationSerializer,
            400: BAD_REQUEST,
            403: FORBIDDEN,
            404: NOT_FOUND,
            409: CONFLICT,
        },
        description=gettext_lazy(
            "Attach (or replace) the file of a met obligation's evidence: a PDF, DOCX "
            "or ODT file (judged by its content) in the multipart/form-data field `evidence_file`. "
            "Whoever may mark the obligation met may attach it; a pending or waived obligation is "
            "a 409."
        ),
    )
    @action(
        detail=True, methods=["put"], url_path="evidence-file", parser_classes=[MultiPartParser]
    )
    @transaction.atomic
    def evidence_file(self, request, pk=None):
        obligation = self.get_object()
        data = self.validated(request)
        services.obligation_evidence_attach(
            obligation=obligation, actor=request.user, evidence_file=data["evidence_file"]
        )
        return self.respond(obligation)

    @extend_schema(
        request=s.WaiveSerializer,
        responses={
            200: s.ObligationSerializer,
            400: BAD_REQUEST,
            403: FORBIDDEN,
            404: NOT_FOUND,
            409: CONFLICT,
        },
    )
    @action(detail=True, methods=["post"])
    @transaction.atomic
    def waive(self, request, pk=None):
        obligation = self.get_object()
        data = self.validated(request)
        services.obligation_waive(obligation=obligation, actor=request.user, reason=data["reason"])
        return self.respond(obligation)
