"""API representations of organisations and of the caller (/me/)."""

from functools import cached_property

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.serializer_fields import (
    BoundedDateTimeField,
    ChoiceLabelField,
    FastRepresentation,
    ModelInput,
    SafeIdMixin,
)
from partners.models import Contact, Organisation
from partners.selectors import organisation_choices_for
from partners.services import ORGANISATION_FIELDS


class ContactSerializer(FastRepresentation, serializers.ModelSerializer):
    class Meta:
        model = Contact
        fields = ["id", "name", "title", "email", "phone", "is_primary"]
        read_only_fields = fields


class OrganisationSerializer(FastRepresentation, serializers.ModelSerializer):
    """An organisation as every caller that may see it reads it, with its active contacts."""

    kind_display = ChoiceLabelField(Organisation.Kind.choices, source="kind")
    # A plain string: empty when the organisation has no website (not a valid "uri").
    website = serializers.CharField(read_only=True, help_text=_("Web address, or empty."))
    contacts = serializers.SerializerMethodField()

    class Meta:
        model = Organisation
        fields = [
            "id",
            "name",
            "short_name",
            "slug",
            "kind",
            "kind_display",
            "jurisdiction",
            "parent",
            "website",
            "is_active",
            "contacts",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(ContactSerializer(many=True))
    def get_contacts(self, organisation):
        # Prefetched by selectors.organisation_api_list_for; one query for the whole page.
        contacts = getattr(organisation, "active_contacts", None)
        if contacts is None:
            contacts = organisation.contacts.filter(is_active=True)
        return [self._contact.to_representation(contact) for contact in contacts]

    @cached_property
    def _contact(self) -> ContactSerializer:
        # One nested serializer for the whole page: building a ModelSerializer's fields costs
        # more than rendering a row, and a list shares this serializer across its rows.
        return ContactSerializer()


@extend_schema_field(OpenApiTypes.INT)
class ScopedOrganisationField(SafeIdMixin, serializers.PrimaryKeyRelatedField):
    """An organisation id in a request body, resolved through the caller's scope: an id outside
    it is a 400 "object does not exist", never a write."""

    def get_queryset(self):
        request = self.context["request"]
        instance = getattr(self.parent, "instance", None)
        keep = instance.parent_id if isinstance(instance, Organisation) else None
        return organisation_choices_for(actor=request.user, keep_pk=keep)


class OrganisationWriteSerializer(ModelInput):
    """What a signed-in user may send to create or change an organisation; the services check
    the rules (unique name and slug, no parent cycle)."""

    parent = ScopedOrganisationField(required=False, allow_null=True)

    class Meta:
        model = Organisation
        # What the service may change, and nothing else.
        fields = list(ORGANISATION_FIELDS)
        extra_kwargs = {
            "slug": {
                "required": False,
                "allow_blank": True,
                "help_text": _("Made from the short name or name when left empty."),
            },
        }


TOKEN_SCOPES = [("read-only", "read-only"), ("read-write", "read-write")]
CALLER_TYPES = [("partner_token", "partner_token"), ("user", "user")]


class OrganisationSummarySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    slug = serializers.CharField()


class TokenScopeSerializer(serializers.Serializer):
    name = serializers.CharField()
    prefix = serializers.CharField()
    read_only = serializers.BooleanField()
    scope = serializers.ChoiceField(choices=TOKEN_SCOPES)
    expires_at = BoundedDateTimeField(allow_null=True)


class MeSerializer(serializers.Serializer):
    """Who is calling. A partner token: its organisation and the token's scope. A signed-in
    user: their username, role and organisation (null when they work for none)."""

    type = serializers.ChoiceField(choices=CALLER_TYPES)
    username = serializers.CharField(allow_null=True)
    role = serializers.CharField()
    organisation = OrganisationSummarySerializer(allow_null=True)
    token = TokenScopeSerializer(allow_null=True)
