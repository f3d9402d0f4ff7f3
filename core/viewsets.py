"""The one base of every API resource: rows through `restrict()` for every action, strict filters
and ordering, integer ids, versions (ETag / If-Match), thin writes read back in scope, and partner
API use credited to the collaboration it touched."""

from __future__ import annotations

from types import ModuleType
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from rest_framework import mixins, status, viewsets
from rest_framework.response import Response

from .actors import is_partner
from .api import FilterBackend, SearchFilter, StrictOrderingFilter
from .events import ApiUsed, publish
from .scope import restrict
from .versioning import etag, version_from_if_match


def collaboration_id_of(obj) -> int | None:
    """The collaboration an object of the API belongs to (None: none, e.g. an organisation)."""
    scope = getattr(type(obj), "scope", None)
    if scope is not None and scope.is_collaboration:
        return obj.pk
    for path in ("collaboration_id", "goal.collaboration_id", "participation.collaboration_id"):
        value = obj
        for name in path.split("."):
            value = getattr(value, name, None)
        if isinstance(value, int):
            return value
    return None


class CreditsApiUse:
    """Mixed into the API base viewsets: a partner request that touches one collaboration — an
    object of it, or a list filtered to it — gives the organisation's participation in that
    collaboration its daily "API use" activity (the commissioner records it: core/events.py).
    A request that touches none (the organisation's own details, an unfiltered list) credits
    nothing: a partner silent in one collaboration must not look alive because it uses the API
    for another.

    Recorded where the object is fetched, so inside a write's transaction: a write that fails
    records nothing, and a failure recording it fails the request as a whole."""

    def get_object(self):
        obj = super().get_object()
        self._credit_api_use(collaboration_id_of(obj))
        return obj

    def list(self, request, *args, **kwargs):
        value = request.query_params.get("collaboration", "")
        if value.isdigit() and len(value) < 12:
            self._credit_api_use(int(value))
        return super().list(request, *args, **kwargs)

    request: Any  # set by the viewset this is mixed into

    def _credit_api_use(self, collaboration_id: int | None) -> None:
        user = getattr(self.request, "user", None)
        if collaboration_id is not None and user is not None and is_partner(user):
            publish(
                ApiUsed(organisation_id=user.organisation_id, collaboration_id=collaboration_id)
            )


class ScopedViewSet(
    CreditsApiUse, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Every action reads its rows through `restrict(base_queryset(), caller, scope action)`:
    the one choke point of "who sees what" in the API (core/scope.py; NetBox applies its
    `restrict` in `BaseViewSet.initial` the same way). An object out of the caller's scope is a
    404 for every action. `scope_actions` maps a DRF action to a narrower scope action (e.g.
    `sign` -> "sign": a partner signs only what it is a signatory of)."""

    filter_backends = [FilterBackend, SearchFilter, StrictOrderingFilter]
    lookup_value_regex = r"\d+"
    scope_actions: dict[str, str] = {}
    read_serializer_class = None
    write_serializers: dict = {}

    def base_queryset(self) -> QuerySet:
        """The rows of this resource and what each shows, before scoping."""
        raise NotImplementedError

    def get_queryset(self) -> QuerySet:
        action = self.scope_actions.get(self.action, "view")
        return restrict(self.base_queryset(), self.request.user, action)

    def read_queryset(self) -> QuerySet:
        """The rows the caller may read (a write's answer is read back through these)."""
        return restrict(self.base_queryset(), self.request.user)

    def get_serializer_class(self):
        if self.read_serializer_class is None:
            return super().get_serializer_class()
        return self.write_serializers.get(self.action, self.read_serializer_class)

    def validated(self, request, serializer_class=None, *, instance=None, partial=False) -> dict:
        if serializer_class is None:
            serializer = self.get_serializer(instance, data=request.data, partial=partial)
        else:
            serializer = serializer_class(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)

    def if_match(self) -> str | None:
        """The version a PATCH was made against (its If-Match), checked by the service inside
        its lock: a stale one is a 412 and nothing is written."""
        return version_from_if_match(self.request.headers.get("If-Match"))

    def retrieve(self, request, *args, **kwargs):
        """One object, with its version as the ETag to send back in If-Match."""
        instance = self.get_object()
        serializer = self.get_serializer(instance)
        return Response(serializer.data, headers={"ETag": etag(instance)})

    def respond(self, obj, status_code=status.HTTP_200_OK) -> Response:
        """The written object as readers see it, read back in the caller's scope.

        Every write action is @transaction.atomic: its service and this read-back are one unit,
        so a failure here (the connection dropping) rolls the write back. A 503 then always
        means "nothing was saved, try again", never "saved, but the retry is refused"; the
        services' on_commit side effects wait for that one commit."""
        fresh = self.read_queryset().get(pk=obj.pk)
        serializer_class = self.read_serializer_class or self.serializer_class
        return Response(
            serializer_class(fresh, context=self.get_serializer_context()).data,
            status=status_code,
            headers={"ETag": etag(fresh)},
        )


class ServiceWrites(ScopedViewSet):
    """`create` and `partial_update` of a resource, each one service call: the body checked by
    the action's serializer, the service called with the caller as `actor` (and, for a change,
    the object as `updates` names it and the If-Match version, checked in the service's lock),
    the object read back in scope. Each action is one transaction with its read-back
    (ScopedViewSet.respond)."""

    # The app's services module and the names of the two services in it, looked up on every
    # call (as `services.goal_create(...)` in a view body is), so a replaced one is the one
    # called.
    service_module: ModuleType
    create_service: str
    update_service: str
    # The keyword the update service takes the object by (goal_update(goal=...)).
    updates: str

    @transaction.atomic
    def create(self, request, *args, **kwargs):
        data = self.validated(request)
        service = getattr(self.service_module, self.create_service)
        return self.respond(service(actor=request.user, **data), status.HTTP_201_CREATED)

    @transaction.atomic
    def partial_update(self, request, *args, **kwargs):
        obj = self.get_object()
        data = self.validated(request, partial=True)
        service = getattr(self.service_module, self.update_service)
        service(actor=request.user, **{self.updates: obj}, expected_version=self.if_match(), **data)
        return self.respond(obj)
