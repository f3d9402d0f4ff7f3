"""API of the partners app: the caller (/me/) and the organisations it may see."""

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from core.actors import actor_organisation_id, is_partner
from core.viewsets import ScopedViewSet
from partners import services
from partners.access import may_create_organisation, may_manage_organisation
from partners.filters import OrganisationFilterSet
from partners.selectors import organisation_api_rows

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
class OrganisationViewSet(mixins.CreateModelMixin, mixins.UpdateModelMixin, ScopedViewSet):
    """Organisations: a partner token sees its own and those it shares a collaboration with;
    signed-in users see the whole directory. Signed-in administrators and staff may create them,
    and change their own organisation, through the same services as the browser."""

    read_serializer_class = OrganisationSerializer
    write_serializers = {
        "create": OrganisationWriteSerializer,
        "update": OrganisationWriteSerializer,
        "partial_update": OrganisationWriteSerializer,
    }
    filterset_class = OrganisationFilterSet
    search_fields = ["name", "short_name"]
    ordering_fields = ["name", "kind", "created_at"]
    ordering = ["name"]
    permission_classes = [*ScopedViewSet.permission_classes, OrganisationWritePermission]

    def base_queryset(self):
        return organisation_api_rows().order_by("name")

    @extend_schema(request=OrganisationWriteSerializer, responses={201: OrganisationSerializer})
    @transaction.atomic  # the write and its answer's read-back are one unit
    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        organisation = services.organisation_create(actor=request.user, **serializer.validated_data)
        return self.respond(organisation, status.HTTP_201_CREATED)

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
            expected_version=self.if_match(),
            **serializer.validated_data,
        )
        return self.respond(organisation)

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
