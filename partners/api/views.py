"""API of the partners app: the caller (/me/) and the organisations it may see."""

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from core.actors import actor_organisation_id, is_partner
from core.api import FilterBackend, SearchFilter, StrictOrderingFilter
from core.versioning import etag, version_from_if_match
from partners import services
from partners.access import may_create_organisation, may_manage_organisation
from partners.filters import OrganisationFilterSet
from partners.selectors import organisation_api_list_for

from .serializers import MeSerializer, OrganisationSerializer, OrganisationWriteSerializer


class OrganisationWritePermission(BasePermission):
    """docs/permissions.md: any staff user or administrator may create an organisation; only
    administrators and its own staff may change one. Partner tokens never write organisations
    (a foreign organisation is still a 404: the object is looked up in scope first)."""

    message = gettext_lazy("You may not change this organisation.")

    def has_permission(self, request, view):
        if request.method in SAFE_METHODS:
            return True
        if is_partner(request.user):
            if view.action == "create":
                self.message = _("Partner tokens cannot create organisations.")
                return False
            return True  # refused in has_object_permission, after the scoped lookup
        if view.action == "create":
            self.message = _("Only administrators and staff may register organisations.")
            return may_create_organisation(request.user)
        return True

    def has_object_permission(self, request, view, obj):
        if request.method in SAFE_METHODS:
            return True
        if is_partner(request.user):
            self.message = _("Partner tokens cannot change organisations.")
            return False
        self.message = _("Only administrators and staff of this organisation may change it.")
        return may_manage_organisation(request.user, obj)


@extend_schema(tags=["organisations"])
class OrganisationViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Organisations: a partner token sees its own and those it shares a collaboration with;
    signed-in users see the whole directory. Signed-in administrators and staff may create them,
    and change their own organisation, through the same services as the browser."""

    serializer_class = OrganisationSerializer
    filterset_class = OrganisationFilterSet
    filter_backends = [FilterBackend, SearchFilter, StrictOrderingFilter]
    search_fields = ["name", "short_name"]
    ordering_fields = ["name", "kind", "created_at"]
    ordering = ["name"]
    lookup_value_regex = r"\d+"
    permission_classes = [
        *viewsets.GenericViewSet.permission_classes,
        OrganisationWritePermission,
    ]

    def get_queryset(self):
        return organisation_api_list_for(actor=self.request.user).order_by("name")

    def get_serializer_class(self):
        if self.action in ("create", "update", "partial_update"):
            return OrganisationWriteSerializer
        return OrganisationSerializer

    def _read(self, organisation, status_code=status.HTTP_200_OK):
        organisation = self.get_queryset().get(pk=organisation.pk)
        return Response(
            OrganisationSerializer(organisation).data,
            status=status_code,
            headers={"ETag": etag(organisation)},
        )

    def retrieve(self, request, *args, **kwargs):
        """One organisation, with its version as the ETag to send back in If-Match."""
        organisation = self.get_object()
        return Response(
            self.get_serializer(organisation).data, headers={"ETag": etag(organisation)}
        )

    @extend_schema(request=OrganisationWriteSerializer, responses={201: OrganisationSerializer})
    @transaction.atomic  # the write and its answer's read-back are one unit
    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        organisation = services.organisation_create(actor=request.user, **serializer.validated_data)
        return self._read(organisation, status.HTTP_201_CREATED)

    @extend_schema(request=OrganisationWriteSerializer, responses=OrganisationSerializer)
    @transaction.atomic  # the write and its answer's read-back are one unit
    def update(self, request, *args, **kwargs):
        partial = kwargs.pop("partial", False)
        organisation = self.get_object()
        serializer = self.get_serializer(organisation, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        services.organisation_update(
            actor=request.user,
            organisation=organisation,
            expected_version=version_from_if_match(request.headers.get("If-Match")),
            **serializer.validated_data,
        )
        return self._read(organisation)

    @extend_schema(request=OrganisationWriteSerializer, responses=OrganisationSerializer)
    def partial_update(self, request, *args, **kwargs):
        kwargs["partial"] = True
        return self.update(request, *args, **kwargs)


class MeView(APIView):
    """The caller: a partner token's organisation and scope, or a signed-in user's role."""

    @extend_schema(responses=MeSerializer, tags=["me"])
    def get(self, request):
        actor = request.user
        if is_partner(actor):
            token = actor.token
            organisation = actor.organisation
            data = {
                "type": "partner_token",
                "username": None,
                "role": "partner",
                "organisation": {
                    "id": organisation.pk,
                    "name": organisation.name,
                    "slug": organisation.slug,
                },
                "token": {
                    "name": token.name,
                    "prefix": token.prefix,
                    "read_only": not token.write_enabled,
                    "scope": "read-write" if token.write_enabled else "read-only",
                    "expires_at": token.expires_at,
                },
            }
        else:
            organisation = None
            if actor_organisation_id(actor) is not None:
                employer = actor.staff_membership.organisation
                organisation = {"id": employer.pk, "name": employer.name, "slug": employer.slug}
            data = {
                "type": "user",
                "username": actor.get_username(),
                "role": actor.role,
                "organisation": organisation,
                "token": None,
            }
        return Response(MeSerializer(data).data)
