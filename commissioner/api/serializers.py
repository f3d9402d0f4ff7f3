"""API representations of meetings and attendance, engagement snapshots, flags and
interventions."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from commissioner.models import (
    Attendance,
    EngagementSnapshot,
    Flag,
    Intervention,
    Meeting,
)
from commissioner.selectors import flag_list_for
from core.serializer_fields import FastRepresentation, ModelInput, SafeIdMixin, model_field


def inline_choice_field(choices, **kwargs) -> serializers.ChoiceField:
    """A choice field; its values are a named enum component of the schema (named in
    SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"], so the generic `status` and `kind` of different
    models never collide)."""
    return serializers.ChoiceField(choices=choices, **kwargs)


class OrganisationRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class CollaborationRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    slug = serializers.CharField()
    title = serializers.CharField()


class AttendanceSerializer(FastRepresentation, serializers.ModelSerializer):
    organisation = OrganisationRefSerializer(source="participation.organisation", read_only=True)
    status = inline_choice_field(Attendance.Status.choices, read_only=True)

    class Meta:
        model = Attendance
        fields = ["id", "participation", "organisation", "status", "confirmed_by_partner"]
        read_only_fields = fields


class MeetingSerializer(FastRepresentation, serializers.ModelSerializer):
    """A meeting of a collaboration and who came (every participating organisation's record)."""

    attendances = AttendanceSerializer(many=True, read_only=True)

    class Meta:
        model = Meeting
        fields = [
            "id",
            "collaboration",
            "title",
            "held_at",
            "location",
            "notes",
            "attendances",
            "created_at",
        ]
        read_only_fields = fields


class ConfirmAttendanceSerializer(serializers.Serializer):
    status = model_field(
        Attendance,
        "status",
        help_text=_("Your own organisation's attendance; apologies may be sent in advance."),
    )


class SnapshotSerializer(FastRepresentation, serializers.ModelSerializer):
    """One participation's engagement on one scan date: the score, its band, every figure that
    went into it, the components and the reasons it lost points."""

    organisation = OrganisationRefSerializer(source="participation.organisation", read_only=True)
    collaboration = CollaborationRefSerializer(source="participation.collaboration", read_only=True)
    components = serializers.JSONField(
        read_only=True,
        help_text=_(
            'Each signal\'s value in [0, 1] and its weight: {"attendance": '
            '{"value": 0.75, "weight": 30}, ...}'
        ),
    )
    reasons = serializers.ListField(child=serializers.CharField(), read_only=True)
    trend = serializers.JSONField(
        read_only=True,
        help_text=_(
            "The partner's recent record against its own earlier one, and the points each "
            'trend cost: {"attendance_recent": 0.33, "attendance_before": 1.0, '
            '"contact_days_recent": 2, "usual_gap": 7.0, ..., "points": {"attendance": 32}, '
            '"evidence": 140} (docs/engagement.md).'
        ),
    )

    class Meta:
        model = EngagementSnapshot
        fields = [
            "id",
            "participation",
            "organisation",
            "collaboration",
            "scan_date",
            "score",
            "band",
            "state",
            "reasons",
            "components",
            "trend",
            "drift_evidence",
            "meetings_unrecorded",
            "meetings_held",
            "meetings_attended",
            "meetings_apologies",
            "attendance_rate",
            "consecutive_absences",
            "obligations_due",
            "obligations_overdue",
            "max_days_overdue",
            "reports_expected",
            "reports_missing",
            "days_since_activity",
            "signatures_pending",
            "max_days_awaiting_signature",
            "computed_at",
        ]
        read_only_fields = fields


class FlagSerializer(FastRepresentation, serializers.ModelSerializer):
    organisation = OrganisationRefSerializer(source="participation.organisation", read_only=True)
    collaboration = CollaborationRefSerializer(source="participation.collaboration", read_only=True)
    reasons = serializers.ListField(child=serializers.CharField(), read_only=True)
    intervention_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Flag
        fields = [
            "id",
            "participation",
            "organisation",
            "collaboration",
            "band",
            "state",
            "score",
            "reasons",
            "status",
            "raised_on",
            "reopened_count",
            "reopened_on",
            "notified_at",
            "acknowledged_at",
            "closed_at",
            "resolution_note",
            "intervention_count",
        ]
        read_only_fields = fields


class ResolveSerializer(serializers.Serializer):
    note = model_field(
        Flag,
        "resolution_note",
        required=True,
        allow_blank=False,
        help_text=_("How the flag was resolved."),
    )


class InterventionSerializer(FastRepresentation, serializers.ModelSerializer):
    created_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )
    kind = inline_choice_field(Intervention.Kind.choices, read_only=True)

    class Meta:
        model = Intervention
        fields = [
            "id",
            "flag",
            "kind",
            "description",
            "due_date",
            "outcome",
            "completed_at",
            "created_by",
            "created_at",
        ]
        read_only_fields = fields


@extend_schema_field(OpenApiTypes.INT)
class ScopedFlagField(SafeIdMixin, serializers.PrimaryKeyRelatedField):
    """A flag id in a request body, resolved through the caller's scope."""

    def get_queryset(self):
        return flag_list_for(actor=self.context["request"].user)


class InterventionWriteSerializer(ModelInput):
    flag = ScopedFlagField()

    class Meta:
        model = Intervention
        fields = ["flag", "kind", "description", "due_date"]


class OutcomeSerializer(serializers.Serializer):
    outcome = model_field(Intervention, "outcome", required=True, allow_blank=False)
