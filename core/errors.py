"""One domain error type; the API exception handler that turns it (and Django's own validation
errors) into a JSON 400 naming the bad fields — or a 409 when the data changed under the request
or a database constraint refused it — never a 500; and the project's 404 and 500
handlers, which answer API clients in JSON and people with the friendly pages."""

import logging

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DatabaseError, IntegrityError, OperationalError
from django.http import Http404, JsonResponse
from django.utils.translation import gettext as _
from django.views import defaults
from rest_framework import exceptions, status
from rest_framework.filters import SearchFilter
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.views import exception_handler, set_rollback

from .middleware import wants_json

logger = logging.getLogger(__name__)


# DomainError codes answered 409 Conflict by the API (any other code is a 400).
CONFLICT_CODES = frozenset({"conflict"})


class DomainError(Exception):
    """A business rule refused an action. `field` names the input at fault, when there is one.
    `code="conflict"` (CONFLICT): the request clashes with the object's current state (already
    signed, already met), which the API answers 409 rather than 400."""

    def __init__(self, message: str, *, field: str | None = None, code: str = "invalid"):
        super().__init__(message)
        self.message = str(message)
        self.field = field
        self.code = code

    def as_dict(self) -> dict[str, list[str]]:
        return {self.field or "non_field_errors": [self.message]}


CONFLICT = "conflict"


def _query_parameter_at_fault(context) -> str | None:
    """The search parameter of the view's search backend, when that backend refuses the request's
    value. DRF's SearchFilter checks `?search=` with a bare CharField, so what it refuses (a NUL
    character) is raised as a list naming no field; its own check, run again, says whether it is
    the one at fault."""
    view, request = context.get("view"), context.get("request")
    for backend in getattr(view, "filter_backends", None) or ():
        if isinstance(backend, type) and issubclass(backend, SearchFilter):
            try:
                backend().get_search_terms(request)
            except exceptions.ValidationError:
                return str(getattr(backend, "search_param", "search"))
    return None


def _named(exc: exceptions.ValidationError, context) -> exceptions.ValidationError:
    """A validation error whose body names the bad field or query parameter (DESIGN: a 400 names
    each bad field), never a bare list of messages."""
    if isinstance(exc.detail, dict):
        return exc
    name = _query_parameter_at_fault(context) or "non_field_errors"
    return exceptions.ValidationError({name: exc.detail})


def api_exception_handler(exc, context):
    if isinstance(exc, exceptions.ValidationError):
        exc = _named(exc, context)
    elif isinstance(exc, DomainError):
        if exc.code == "stale":
            # An If-Match naming a version older than the row's: 412, nothing was written.
            set_rollback()
            return Response(exc.as_dict(), status=status.HTTP_412_PRECONDITION_FAILED)
        if exc.code in CONFLICT_CODES:
            # The request was fine; the data changed under it (or it repeats a write that
            # conflicts with one already made): 409, naming the field.
            set_rollback()
            return Response(exc.as_dict(), status=status.HTTP_409_CONFLICT)
        exc = exceptions.ValidationError(exc.as_dict())
    elif isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(as_serializer_error(exc))
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, OperationalError):
        logger.error("Database unavailable during an API request: %s", exc)
        return Response(
            {"detail": "The service is temporarily unavailable. Please try again shortly."},
            status=status.HTTP_503_SERVICE_UNAVAILABLE,
            headers={"Retry-After": "30"},
        )
    elif isinstance(exc, IntegrityError):
        # A uniqueness or check constraint refused a write a concurrent request made first.
        from .integrity import integrity_conflict

        logger.info("Constraint refused an API write: %s", exc)
        set_rollback()
        return Response(integrity_conflict(exc).as_dict(), status=status.HTTP_409_CONFLICT)
    elif isinstance(exc, DatabaseError):
        # A constraint the validation layer did not foresee: answer 400, never 500.
        logger.warning("Database rejected an API write: %s", exc)
        return Response(
            {"non_field_errors": ["The request conflicts with existing data."]},
            status=status.HTTP_400_BAD_REQUEST,
        )
    return exception_handler(exc, context)


def wants_json_error(request) -> bool:
    """A program is calling: a path under /api/ (or /healthz), or a client that asks for JSON and
    not for HTML (browsers always list text/html)."""
    if wants_json(request):
        return True
    accept = request.headers.get("Accept", "")
    return "application/json" in accept and "text/html" not in accept


def page_not_found(request, exception):
    """handler404: a URL that matches no route (or a view's Http404)."""
    if wants_json_error(request):
        return JsonResponse({"detail": _("Not found.")}, status=404)
    return defaults.page_not_found(request, exception)


def server_error(request):
    """handler500: the error is logged by Django; the caller gets no detail of it."""
    if wants_json_error(request):
        return JsonResponse(
            {"detail": _("A server error occurred. It has been logged; please try again later.")},
            status=500,
        )
    return defaults.server_error(request)
