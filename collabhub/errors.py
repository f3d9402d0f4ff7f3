"""One domain error type, and the API exception handler that turns it (and Django's own
validation errors) into a JSON 400 naming the bad fields — never a 500."""

import logging

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DatabaseError, OperationalError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.views import exception_handler

logger = logging.getLogger(__name__)


class DomainError(Exception):
    """A business rule refused an action. `field` names the input at fault, when there is one."""

    def __init__(self, message: str, *, field: str | None = None, code: str = "invalid"):
        super().__init__(message)
        self.message = str(message)
        self.field = field
        self.code = code

    def as_dict(self) -> dict[str, list[str]]:
        return {self.field or "non_field_errors": [self.message]}


def api_exception_handler(exc, context):
    if isinstance(exc, DomainError):
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
    elif isinstance(exc, DatabaseError):
        # A constraint the validation layer did not foresee: answer 400, never 500.
        logger.warning("Database rejected an API write: %s", exc)
        return Response(
            {"non_field_errors": ["The request conflicts with existing data."]},
            status=status.HTTP_400_BAD_REQUEST,
        )
    return exception_handler(exc, context)
