"""API representations of collaborations and their children, and what callers may send to change
them. Every foreign key in a request body is resolved through the caller's scope (the same
selectors as the reads), so an id outside it is a 400 "object does not exist", never a write."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from agreements import selectors
from agreements.documents import check_agreement_document, max_upload_megabytes
from agreements.models import (
    Agreement,
    Collaboration,
    Measurement,
    Obligation,
    Participation,
    Role,
    SharedGoal,
    Signatory,
    Structure,
)
from agreements.structures import structure_problems
from core.actors import is_partner
from core.errors import DomainError
from core.serializer_fields import (
    ChoiceLabelField,
    FastRepresentation,
    FileNameField,
    HasFileField,
    ModelInput,
    SafeIdMixin,
    WithVersions,
    model_field,
)
from partners.models import Contact, User
from partners.selectors import organisation_list_for


def choice_field(choices, **kwargs) -> serializers.ChoiceField:
    """A choice field; its values are a named enum component of the schema (each choice set's
    name is in SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"], so `status` and `kind` of different
    models never collide)."""
    return serializers.ChoiceField(choices=choices, **kwargs)


# Reading ---------------------------------------------------------------------------------------

# A text partners write in English, French or both (agreements/translation.py): the field without
# a language is the one a reader gets, as on the pages.
IN_READERS_LANGUAGE = _(
    "In the request's language (Accept-Language); in the other language when it has no version "
    "in that one (then empty in the version field of the request's language)."
)


def _in_readers_language(**kwargs) -> serializers.CharField:
    return serializers.CharField(read_only=True, help_text=IN_READERS_LANGUAGE, **kwargs)


class CollaborationSerializer(WithVersions, FastRepresentation, serializers.ModelSerializer):
    versioned = ("title", "summary", "shared_vision")
    title = _in_readers_language()
    summary = _in_readers_language()
    shared_vision = _in_readers_language()
    structure = choice_field(Structure.choices, read_only=True)
    status = choice_field(Collaboration.Status.choices, read_only=True)
    structure_display = ChoiceLabelField(Structure.choices, source="structure")
    status_display = ChoiceLabelField(Collaboration.Status.choices, source="status")
    lead_organisation_name = serializers.CharField(read_only=True)
    active_participant_count = serializers.SerializerMethodField(
        help_text=_("Active participants.")
    )
    structure_problems = serializers.SerializerMethodField(
        help_text=_(
            "Why the active participants break the structure's rules; empty when they hold."
        )
    )
    web_url = serializers.SerializerMethodField(help_text=_("The collaboration's page."))

    class Meta:
        model = Collaboration
        fields = [
            "id",
            "title",
            "slug",
            "summary",
            "shared_vision",
            "structure",
            "structure_display",
            "status",
            "status_display",
            "lead_organisation",
            "lead_organisation_name",
            "commissioner",
            "start_date",
            "planned_end_date",
            "active_participant_count",
            "structure_problems",
            "web_url",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_active_participant_count(self, collaboration) -> int:
        return len(selectors.active_members(collaboration))

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_structure_problems(self, collaboration) -> list[str]:
        # A list's page comes with its members (selectors.with_active_members); a single
        # collaboration reads its own.
        selectors.active_members(collaboration)
        return structure_problems(collaboration)

    def get_web_url(self, collaboration) -> str:
        # The page's path with the slug put in: reverse() once per list, not once per row.
        template = self.__dict__.get("_web_url")
        if template is None:
            template = self.__dict__["_web_url"] = reverse(
                "agreements:collaboration_detail", kwargs={"slug": "SLUG"}
            )
        return template.replace("SLUG", collaboration.slug)


class ParticipationSerializer(FastRepresentation, serializers.ModelSerializer):
    role = choice_field(Role.choices, read_only=True)
    status = choice_field(Participation.Status.choices, read_only=True)
    organisation_name = serializers.CharField(source="organisation.name", read_only=True)
    role_display = ChoiceLabelField(Role.choices, source="role")
    contact_name = serializers.SerializerMethodField()

    class Meta:
        model = Participation
        fields = [
            "id",
            "collaboration",
            "organisation",
            "organisation_name",
            "role",
            "role_display",
            "status",
            "contact",
            "contact_name",
            "joined_on",
            "left_on",
        ]
        read_only_fields = fields

    def get_contact_name(self, participation) -> str:
        return participation.contact.name if participation.contact else ""


class GoalSerializer(WithVersions, FastRepresentation, serializers.ModelSerializer):
    versioned = ("title", "indicator")
    title = _in_readers_language()
    indicator = _in_readers_language()
    cadence = choice_field(SharedGoal.Cadence.choices, read_only=True)
    latest_value = serializers.DecimalField(
        max_digits=14, decimal_places=2, read_only=True, allow_null=True
    )
    latest_period_end = serializers.DateField(read_only=True, allow_null=True)
    measurement_count = serializers.IntegerField(read_only=True)
    progress_percent = serializers.SerializerMethodField(
        help_text=_(
            "(latest value - baseline) / (target - baseline), in percent; null before the first "
            "measurement. May be below 0 or above 100."
        )
    )

    class Meta:
        model = SharedGoal
        fields = [
            "id",
            "collaboration",
            "title",
            "indicator",
            "unit",
            "baseline",
            "target",
            "target_date",
            "cadence",
            "latest_value",
            "latest_period_end",
            "measurement_count",
            "progress_percent",
        ]
        read_only_fields = fields

    def get_progress_percent(self, goal) -> int | None:
        return selectors.goal_progress(goal).percent


class MeasurementSerializer(FastRepresentation, serializers.ModelSerializer):
    collaboration = serializers.IntegerField(source="goal.collaboration_id", read_only=True)
    reported_by_organisation_name = serializers.CharField(
        source="reported_by_organisation.name", read_only=True
    )

    class Meta:
        model = Measurement
        fields = [
            "id",
            "goal",
            "collaboration",
            "value",
            "period_end",
            "reported_by_organisation",
            "reported_by_organisation_name",
            "evidence",
            "reported_at",
            "corrected_at",
            "correction_reason",
            "withdrawn_at",
            "withdrawn_reason",
        ]
        read_only_fields = fields


class SignatorySerializer(FastRepresentation, serializers.ModelSerializer):
    organisation_name = serializers.CharField(source="organisation.name", read_only=True)
    signed = serializers.SerializerMethodField()

    class Meta:
        model = Signatory
        fields = [
            "id",
            "organisation",
            "organisation_name",
            "signed",
            "signed_by_name",
            "signed_by_title",
            "signed_at",
        ]
        read_only_fields = fields

    def get_signed(self, signatory) -> bool:
        return signatory.signed_at is not None


class AgreementSerializer(FastRepresentation, serializers.ModelSerializer):
    kind = choice_field(Agreement.Kind.choices, read_only=True)
    status = choice_field(Agreement.Status.choices, read_only=True)
    signatories = SignatorySerializer(many=True, read_only=True)
    signatory_count = serializers.IntegerField(read_only=True)
    signed_count = serializers.IntegerField(read_only=True)
    has_document = HasFileField(source="document")
    document_name = FileNameField(source="document")

    class Meta:
        model = Agreement
        fields = [
            "id",
            "collaboration",
            "title",
            "kind",
            "version",
            "status",
            "circulated_on",
            "effective_date",
            "expiry_date",
            "renewal_notice_days",
            "has_document",
            "document_name",
            "signatories",
            "signatory_count",
            "signed_count",
            "created_at",
        ]
        read_only_fields = fields


class ObligationSerializer(FastRepresentation, serializers.ModelSerializer):
    kind = choice_field(Obligation.Kind.choices, read_only=True)
    unit = choice_field(Obligation.Unit.choices, read_only=True, allow_blank=True)
    status = choice_field(Obligation.Status.choices, read_only=True)
    organisation_name = serializers.CharField(source="organisation.name", read_only=True)
    overdue = serializers.BooleanField(
        read_only=True, help_text=_("Pending and past its due date (derived, never stored).")
    )
    days_overdue = serializers.IntegerField(read_only=True)
    evidence_url = serializers.CharField(
        read_only=True, help_text=_("A link to the evidence (http or https), or empty.")
    )
    has_evidence_file = HasFileField(source="evidence_file")
    evidence_file_name = FileNameField(source="evidence_file")

    class Meta:
        model = Obligation
        fields = [
            "id",
            "collaboration",
            "organisation",
            "organisation_name",
            "agreement",
            "kind",
            "description",
            "quantity",
            "unit",
            "due_date",
            "status",
            "overdue",
            "days_overdue",
            "met_at",
            "evidence",
            "evidence_url",
            "has_evidence_file",
            "evidence_file_name",
            "created_at",
        ]
        read_only_fields = fields


# Writing ---------------------------------------------------------------------------------------


@extend_schema_field(OpenApiTypes.INT)
class ScopedField(SafeIdMixin, serializers.PrimaryKeyRelatedField):
    """A related id resolved through the caller's scope: `scope(actor)` gives the queryset."""

    def __init__(self, scope, **kwargs):
        self.scope = scope
        super().__init__(**kwargs)

    def get_queryset(self):
        return self.scope(self.context["request"].user)


def _organisations(actor):
    return organisation_list_for(actor=actor).filter(is_active=True)


def _collaborations(actor):
    return selectors.collaboration_list_for(actor=actor)


def _goals(actor):
    return selectors.goal_list_for(actor=actor).select_related("collaboration")


def _agreements(actor):
    return Agreement.objects.filter(pk__in=selectors.agreement_list_for(actor=actor).values("pk"))


def _contacts(actor):
    return Contact.objects.filter(
        is_active=True, organisation__in=organisation_list_for(actor=actor)
    )


def _commissioners(actor):
    if is_partner(actor):
        return User.objects.none()
    return selectors.commissioner_choices()


# What a caller writes without a language (`title`) is the version in the request's language.
IN_REQUEST_LANGUAGE = _(
    "The version in the request's language (Accept-Language); `_en` and `_fr` name a version."
)


# A text written in several languages (WithVersions): a title in at least one of them is enough.
VERSIONED_TEXT = {"required": False, "allow_blank": True, "help_text": IN_REQUEST_LANGUAGE}


class CollaborationWriteSerializer(WithVersions, ModelInput):
    """Create (a title in at least one language, and the structure, required) or change a
    collaboration; the status changes through the `transition` action."""

    versioned = ("title", "summary", "shared_vision")
    lead_organisation = ScopedField(
        _organisations,
        required=False,
        allow_null=True,
        help_text=_("A staff user's collaboration is led by their own organisation."),
    )
    commissioner = ScopedField(_commissioners, required=False, allow_null=True)

    class Meta:
        model = Collaboration
        fields = [
            "title",
            "slug",
            "summary",
            "shared_vision",
            "structure",
            "lead_organisation",
            "commissioner",
            "start_date",
            "planned_end_date",
        ]
        extra_kwargs = {
            "title": VERSIONED_TEXT,
            "slug": {"required": False, "allow_blank": True},
            "summary": VERSIONED_TEXT,
            "shared_vision": VERSIONED_TEXT,
        }


class CollaborationUpdateSerializer(CollaborationWriteSerializer):
    """Change a collaboration: as when creating it, except that its lead organisation may be
    changed but never removed (null is not accepted)."""

    lead_organisation = ScopedField(_organisations, required=False)


class StatusSerializer(serializers.Serializer):
    status = model_field(Collaboration, "status", required=True)


class AgreementStatusSerializer(serializers.Serializer):
    status = model_field(Agreement, "status", required=True)


# A participant is added, or changed to, invited or active; withdrawing is its own action.
JOIN_STATUSES = [
    (Participation.Status.ACTIVE.value, Participation.Status.ACTIVE.label),
    (Participation.Status.INVITED.value, Participation.Status.INVITED.label),
]


class ParticipationWriteSerializer(ModelInput):
    collaboration = ScopedField(_collaborations)
    organisation = ScopedField(_organisations)
    status = choice_field(JOIN_STATUSES, required=False, default=Participation.Status.ACTIVE)
    contact = ScopedField(
        _contacts,
        required=False,
        allow_null=True,
        help_text=_("A contact of the organisation; its primary contact when left out."),
    )

    class Meta:
        model = Participation
        fields = ["collaboration", "organisation", "role", "status", "contact", "joined_on"]
        # Null: today, as when it is left out.
        extra_kwargs = {"joined_on": {"allow_null": True}}


class ParticipationUpdateSerializer(ModelInput):
    status = choice_field(JOIN_STATUSES, required=False)
    contact = ScopedField(_contacts, required=False, allow_null=True)
    everywhere = serializers.BooleanField(
        required=False,
        write_only=True,
        help_text=_(
            "With a new contact in place of one who is no longer active: name it in place of "
            "that contact in the organisation's other participations you manage too."
        ),
    )

    class Meta:
        model = Participation
        fields = ["role", "status", "contact", "joined_on", "everywhere"]
        extra_kwargs = {"role": {"required": False}}


class WithdrawSerializer(serializers.Serializer):
    left_on = model_field(Participation, "left_on", help_text=_("Today if empty."))


class GoalWriteSerializer(WithVersions, ModelInput):
    """A title and an indicator in at least one language each."""

    versioned = ("title", "indicator")
    defaults_from_model = ("baseline", "cadence")
    collaboration = ScopedField(_collaborations)

    class Meta:
        model = SharedGoal
        fields = [
            "collaboration",
            "title",
            "indicator",
            "unit",
            "baseline",
            "target",
            "target_date",
            "cadence",
        ]
        extra_kwargs = {"title": VERSIONED_TEXT, "indicator": VERSIONED_TEXT}


class GoalUpdateSerializer(WithVersions, ModelInput):
    versioned = ("title", "indicator")

    class Meta(GoalWriteSerializer.Meta):
        fields = GoalWriteSerializer.Meta.fields[1:]
        extra_kwargs = {
            **GoalWriteSerializer.Meta.extra_kwargs,
            "unit": {"required": False},
            "target": {"required": False},
        }


class MeasurementWriteSerializer(ModelInput):
    goal = ScopedField(_goals)
    reported_by_organisation = ScopedField(
        _organisations,
        required=False,
        allow_null=True,
        help_text=_(
            "Managers may report for any participant. A partner token or staff user reports for "
            "its own organisation: leave this out, or any other organisation is refused."
        ),
    )

    class Meta:
        model = Measurement
        fields = ["goal", "value", "period_end", "reported_by_organisation", "evidence"]
        extra_kwargs = {
            "period_end": {"help_text": _("The last day of the reported period.")},
        }


class MeasurementCorrectSerializer(serializers.Serializer):
    """A correction of a measurement: its value, its period end or both, and why."""

    value = model_field(Measurement, "value", required=False, help_text=_("The corrected value."))
    period_end = model_field(
        Measurement,
        "period_end",
        required=False,
        help_text=_("The corrected last day of the reported period."),
    )
    reason = model_field(
        Measurement,
        "correction_reason",
        required=True,
        allow_blank=False,
        help_text=_("Why the measurement is corrected; kept in its history."),
    )


class MeasurementWithdrawSerializer(serializers.Serializer):
    reason = model_field(
        Measurement,
        "withdrawn_reason",
        required=True,
        allow_blank=False,
        help_text=_("Why the measurement was reported in error; kept in its history."),
    )


def _upload_field(**kwargs):
    return serializers.FileField(
        help_text=_("PDF, DOCX or ODT (judged by content), at most %(size)s MB.")
        % {"size": max_upload_megabytes()},
        **kwargs,
    )


def _checked_upload(upload):
    try:
        check_agreement_document(upload)
    except DomainError as error:
        raise serializers.ValidationError(error.message) from error
    return upload


class DocumentUploadSerializer(serializers.Serializer):
    """The agreement's document, the one body of `PUT /agreements/{id}/document/`
    (multipart/form-data); every other operation takes JSON."""

    document = _upload_field()

    def validate_document(self, document):
        return _checked_upload(document)


class EvidenceFileUploadSerializer(serializers.Serializer):
    """A met obligation's evidence file, the one body of
    `PUT /obligations/{id}/evidence-file/` (multipart/form-data)."""

    evidence_file = _upload_field()

    def validate_evidence_file(self, evidence_file):
        return _checked_upload(evidence_file)


class AgreementWriteSerializer(ModelInput):
    """A draft agreement; its document is uploaded with `PUT /agreements/{id}/document/`."""

    defaults_from_model = ("version", "renewal_notice_days")
    collaboration = ScopedField(_collaborations)
    signatory_organisations = ScopedField(
        _organisations,
        many=True,
        required=False,
        help_text=_("Participating organisations that must sign."),
    )

    class Meta:
        model = Agreement
        fields = [
            "collaboration",
            "title",
            "kind",
            "version",
            "effective_date",
            "expiry_date",
            "renewal_notice_days",
            "signatory_organisations",
        ]
        # The services' bounds (agreements/services/agreements.py), as the form's.
        extra_kwargs = {
            "version": {"min_value": 1, "max_value": 1000},
            "renewal_notice_days": {"min_value": 0, "max_value": 3650},
        }


class AgreementUpdateSerializer(ModelInput):
    signatory_organisations = ScopedField(_organisations, many=True, required=False)

    class Meta(AgreementWriteSerializer.Meta):
        fields = AgreementWriteSerializer.Meta.fields[1:]
        extra_kwargs = {
            **AgreementWriteSerializer.Meta.extra_kwargs,
            "title": {"required": False},
            "kind": {"required": False},
        }


class SignSerializer(serializers.Serializer):
    organisation = ScopedField(
        _organisations,
        required=False,
        allow_null=True,
        help_text=_(
            "The signing organisation. A partner token signs for its own organisation (leave "
            "this out); managers may record any signatory's signature."
        ),
    )
    signed_by_name = model_field(
        Signatory,
        "signed_by_name",
        help_text=_("Name of the person who signed; the caller's name (or token) when empty."),
    )
    signed_by_title = model_field(
        Signatory,
        "signed_by_title",
        help_text=_("Title of the person who signed, e.g. Chief Administrative Officer."),
    )
    signed_on = serializers.DateField(
        required=False,
        help_text=_(
            "For a manager recording a signature made on paper: the day it was made (not in the "
            "future, not before the agreement circulated). Others leave it out: a signature made "
            "here is dated now."
        ),
    )


class ObligationWriteSerializer(ModelInput):
    collaboration = ScopedField(_collaborations)
    organisation = ScopedField(_organisations)
    agreement = ScopedField(_agreements, required=False, allow_null=True)

    class Meta:
        model = Obligation
        fields = [
            "collaboration",
            "organisation",
            "agreement",
            "kind",
            "description",
            "quantity",
            "unit",
            "due_date",
        ]
        # Never negative (the model's CheckConstraint obligation_quantity_not_negative).
        extra_kwargs = {"quantity": {"min_value": 0}}


class ObligationUpdateSerializer(ModelInput):
    organisation = ScopedField(_organisations, required=False)
    agreement = ScopedField(_agreements, required=False, allow_null=True)

    class Meta(ObligationWriteSerializer.Meta):
        fields = ObligationWriteSerializer.Meta.fields[1:]
        extra_kwargs = {
            **ObligationWriteSerializer.Meta.extra_kwargs,
            "kind": {"required": False},
            "description": {"required": False},
            "due_date": {"required": False},
        }


class MarkMetSerializer(serializers.Serializer):
    evidence = model_field(
        Obligation,
        "evidence",
        required=True,
        allow_blank=False,
        help_text=_("How the obligation was met, e.g. a payment reference or a report's title."),
    )
    evidence_url = model_field(
        Obligation,
        "evidence_url",
        help_text=_(
            "A link to the evidence (http or https). A file is attached afterwards with "
            "`PUT /obligations/{id}/evidence-file/`."
        ),
    )


class WaiveSerializer(serializers.Serializer):
    # The reason is kept as the obligation's evidence (services.obligation_waive).
    reason = model_field(Obligation, "evidence", required=True, allow_blank=False)
