"""API wiring shared by every app: pagination, per-caller rate limiting, the JSON parser, the
strict filter backend, and the error responses every operation documents in the OpenAPI
schema."""

import datetime as dt
import json
import logging
import math
import time
from typing import Any

import django_filters
from django.conf import settings
from django.core.cache import cache
from django.utils.translation import gettext_lazy as _
from django_filters import utils as filter_utils
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.contrib.django_filters import DjangoFilterExtension
from drf_spectacular.drainage import get_view_method_names, isolate_view_method
from drf_spectacular.extensions import OpenApiViewExtension
from drf_spectacular.plumbing import ResolvedComponent, get_class
from rest_framework import filters, parsers
from rest_framework.exceptions import ParseError, ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.settings import api_settings
from rest_framework.throttling import BaseThrottle

from core.actors import is_partner
from core.translated import ordering_for, with_versions

logger = logging.getLogger(__name__)

PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
# After the cache fails, throttling is skipped for this long in this process, so a dead or slow
# Redis costs one connection attempt per interval rather than one per request.
CACHE_RETRY_SECONDS = 30


# Text query parameters: any characters but NUL, which Django's form fields and DRF's search refuse.
NO_NUL = "^[^\\u0000]*$"


class Pagination(PageNumberPagination):
    """`count`, `next`, `previous`, `results`; `?page_size=` from 1 to 200. A page size that is
    not such a number is a 400 naming it (DRF would quietly use the default, or clamp it), so
    the schema's bounds are the API's."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200

    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        try:
            size = int(raw)
        except ValueError:
            size = 0
        if not 1 <= size <= self.max_page_size:
            raise ValidationError(
                {
                    self.page_size_query_param: [
                        _("Give a whole number from 1 to %(max)s.") % {"max": self.max_page_size}
                    ]
                }
            )
        return size

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_query_param:
                parameter["schema"] = {"type": "integer", "minimum": 1}
            elif parameter["name"] == self.page_size_query_param:
                parameter["schema"] = {
                    "type": "integer",
                    "minimum": 1,
                    "maximum": self.max_page_size,
                }
        return parameters


class SearchFilter(filters.SearchFilter):
    """DRF's search, documented as what it accepts: any text without a NUL character (which it
    refuses with a 400 naming `search`). A field written in several languages is searched in
    every version (core/translated.py), not only the request's."""

    model = None

    def filter_queryset(self, request, queryset, view):
        self.model = queryset.model  # a backend is made for each request
        return super().filter_queryset(request, queryset, view)

    def get_search_fields(self, view, request):
        fields = super().get_search_fields(view, request)
        return with_versions(self.model, fields) if self.model is not None and fields else fields

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.search_param:
                parameter["schema"] = {"type": "string", "pattern": NO_NUL}
        return parameters


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        # 1e400 is infinity to Python: in an id field it overflowed every lookup (a 500).
        raise ValueError(f"number out of range: {text[:40]}")
    return value


def _no_constant(name: str):
    raise ValueError(f"{name} is not valid JSON")


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, except that a body nested too deeply for Python's recursive decoder
    (`[[[[...` a few thousand times) is a 400 like any malformed JSON, not a RecursionError, and
    so is a number too large for a float (`1e400`) or NaN / Infinity."""

    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        encoding = parser_context.get("encoding", settings.DEFAULT_CHARSET)
        try:
            text = stream.read().decode(encoding) if stream is not None else ""
            return json.loads(text, parse_float=_finite_float, parse_constant=_no_constant)
        except RecursionError as exc:
            raise ParseError("JSON parse error - nested too deeply.") from exc
        except ValueError as exc:
            raise ParseError(f"JSON parse error - {exc}") from exc


class FilterBackend(DjangoFilterBackend):
    """django-filter's backend, except that a filter given an empty value (`?due_after=`,
    `?collaboration=`) is a 400 naming it, not silently ignored: the schema documents each filter
    as a date, an id or one of its values, and an empty string is none of them. Free-text filters
    (CharFilter) may be empty."""

    empty_message = _("Give a value, or leave this filter out.")

    def get_filterset(self, request, queryset, view):
        filterset = super().get_filterset(request, queryset, view)
        if filterset is None:
            return None
        empty = {
            name: [self.empty_message]
            for name, filter_ in filterset.filters.items()
            if not isinstance(filter_, django_filters.CharFilter)
            and name in request.query_params
            and any(not value.strip() for value in request.query_params.getlist(name))
        }
        if empty:
            raise ValidationError(empty)
        return filterset

    def filter_queryset(self, request, queryset, view):
        filterset = self.get_filterset(request, queryset, view)
        if filterset is None:
            return queryset
        if not filterset.is_valid():
            raise filter_utils.translate_validation(filterset.errors)
        # A date-time with any offset is valid ISO 8601, but PostgreSQL reads offsets up to 15:59
        # only (`-23:59` was a database error): every moment is compared in UTC, and one that UTC
        # cannot hold (past the year 9999) is a 400 naming its filter.
        cleaned = filterset.form.cleaned_data
        for name, value in cleaned.items():
            if isinstance(value, dt.datetime) and value.tzinfo is not None:
                try:
                    cleaned[name] = value.astimezone(dt.UTC)
                except OverflowError as exc:
                    raise ValidationError({name: [_("This moment is out of range.")]}) from exc
        return filterset.qs


class FilterBackendSchema(DjangoFilterExtension):
    """The filters' schema as drf-spectacular builds it, plus the bounds they enforce that it
    leaves out: a free-text filter's `max_length` (longer is a 400) as `maxLength`, and no NUL
    character (Django's form fields refuse it)."""

    target_class = "core.api.FilterBackend"
    match_subclasses = True
    priority = 1

    def resolve_filter_field(self, auto_schema, model, filterset_class, field_name, filter_field):
        parameters = super().resolve_filter_field(
            auto_schema, model, filterset_class, field_name, filter_field
        )
        if not isinstance(filter_field, django_filters.CharFilter):
            return parameters
        max_length = filter_field.extra.get("max_length")
        for parameter in parameters:
            schema = parameter.get("schema") or {}
            if schema.get("type") == "string" and "enum" not in schema:
                schema["pattern"] = NO_NUL
                if max_length:
                    schema["maxLength"] = max_length
        return parameters


def parse_rate(rate: str) -> tuple[int, int]:
    """A rate such as `1200/min` as (number of requests, period in seconds)."""
    number, period = rate.split("/")
    return int(number), PERIODS[period.strip()[0].lower()]


class CallerRateThrottle(BaseThrottle):
    """Limits each caller: a partner token by its prefix (scope "partner"), a signed-in user by id
    (scope "user"); rates in REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"].

    A fixed window counted with the cache's atomic `incr`, so every web process shares one count
    per caller when the cache is Redis. Unauthenticated requests are refused (401) before throttles
    run. When the cache is down the request is let through and the error logged: the API must keep
    working without Redis, and a missing rate limit is the lesser harm."""

    cache_prefix = "throttle"
    # Process-wide: when the cache last failed, throttling resumes CACHE_RETRY_SECONDS later.
    cache_down_until = 0.0

    def __init__(self):
        self.retry_after: int | None = None

    @staticmethod
    def caller(request) -> tuple[str, str] | None:
        user = getattr(request, "user", None)
        if user is not None and is_partner(user):
            return "partner", f"token:{user.token.prefix}"
        if user is not None and user.is_authenticated:
            return "user", f"user:{user.pk}"
        return None

    def allow_request(self, request, view):
        caller = self.caller(request)
        if caller is None:
            return True
        scope, ident = caller
        # Read at request time (not import time) so an overridden setting takes effect.
        rate = (api_settings.DEFAULT_THROTTLE_RATES or {}).get(scope)
        if not rate:
            return True
        limit, period = parse_rate(rate)
        now = time.time()
        if now < CallerRateThrottle.cache_down_until:
            return True
        window = int(now // period)
        key = f"{self.cache_prefix}:{scope}:{ident}:{period}:{window}"
        try:
            # add() is a no-op when the key exists; incr() is atomic in Redis.
            cache.add(key, 0, timeout=period + 1)
            count = cache.incr(key)
        except ValueError:
            # The key expired between add() and incr(): this request opens a new window.
            cache.set(key, 1, timeout=period + 1)
            count = 1
        except Exception as exc:
            CallerRateThrottle.cache_down_until = now + CACHE_RETRY_SECONDS
            logger.error(
                "API throttling off for %ss: the cache is unavailable (%s: %s)",
                CACHE_RETRY_SECONDS,
                type(exc).__name__,
                exc,
            )
            return True
        if count <= limit:
            return True
        self.retry_after = max(1, math.ceil((window + 1) * period - now))
        return False

    def wait(self):
        return self.retry_after


# The error responses every operation can give, documented in the schema -------------------------

DETAIL_SCHEMA = {
    "type": "object",
    "properties": {"detail": {"type": "string"}},
    "required": ["detail"],
}
# {"field": ["message", ...], ...}, {"non_field_errors": [...]}, or {"detail": "..."} for a body
# that is not JSON at all.
FIELD_ERRORS_SCHEMA = {
    "type": "object",
    "description": _("Each bad field (or `non_field_errors`, or `detail`) with its messages."),
    "additionalProperties": {},
}
# Named components, so a generated client has one error type of each shape rather than one per
# operation and status code.
ERROR_COMPONENTS: dict[str, dict] = {
    "FieldErrors": FIELD_ERRORS_SCHEMA,
    "ErrorDetail": DETAIL_SCHEMA,
}
ERROR_RESPONSES = {
    "400": (
        _("Invalid input: each bad field of the body or query is named with its messages."),
        "FieldErrors",
    ),
    "401": (
        _("No valid credentials: no token or session, or an unknown, revoked or expired token."),
        "ErrorDetail",
    ),
    "403": (
        _("Not allowed: a read-only token writing, or a caller who may not make this change."),
        "ErrorDetail",
    ),
    "404": (
        _("Not found: outside the caller's scope, no such object, or a page past the last."),
        "ErrorDetail",
    ),
    "415": (
        _("Unsupported media type: the body is in a media type the operation does not accept."),
        "ErrorDetail",
    ),
    "429": (
        _("Too many requests from this caller: retry after `Retry-After` seconds."),
        "ErrorDetail",
    ),
}


# Declared only by the operations that can give it (core.errors: a DomainError with
# code="conflict"), with the same body as a 400.
CONFLICT_COMPONENT = "FieldErrors"


class ErrorResponsesSchema:
    """Adds ERROR_RESPONSES to an operation's documented responses: those it does not declare
    itself, and a JSON body for those it declares without one (a declared 409 included)."""

    registry: Any  # drf-spectacular's AutoSchema, which this is mixed into

    def _error_content(self, name: str) -> dict:
        component = ResolvedComponent(
            name=name,
            type=ResolvedComponent.SCHEMA,
            object=name,
            schema=dict(ERROR_COMPONENTS[name]),
        )
        self.registry.register_on_missing(component)
        return {"application/json": {"schema": component.ref}}

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        for code, (description, name) in ERROR_RESPONSES.items():
            if code not in responses:
                responses[code] = {"description": description, "content": self._error_content(name)}
            elif not responses[code].get("content"):
                responses[code]["content"] = self._error_content(name)
        if "409" in responses and not responses["409"].get("content"):
            responses["409"]["content"] = self._error_content(CONFLICT_COMPONENT)
        return responses


class DocumentedErrors(OpenApiViewExtension):
    """Every API view, as the schema sees it, documents ERROR_RESPONSES: the answers the
    authentication, permissions, throttling, scoping, pagination and validation shared by all of
    them give. Only the schema changes; the views that serve requests are untouched.

    The view is replaced (for schema generation only) by a subclass whose schema class, and the
    schema class of each of its annotated actions, has ErrorResponsesSchema in front, as
    drf-spectacular's own class-level @extend_schema does."""

    target_class = "rest_framework.views.APIView"
    match_subclasses = True

    def view_replacement(self):
        view = type(self.target.__name__, (self.target,), {"__module__": self.target.__module__})
        base = get_class(self.target.schema)
        for name in get_view_method_names(view=view, schema=base):
            method = getattr(view, name)
            if "schema" in getattr(method, "kwargs", {}):
                isolated = isolate_view_method(view, name)
                isolated.kwargs["schema"] = type(
                    "ErrorResponsesActionSchema",
                    (ErrorResponsesSchema, get_class(isolated.kwargs["schema"])),
                    {},
                )
        view.schema = type("ErrorResponsesViewSchema", (ErrorResponsesSchema, base), {})()
        return view


def lib_doc_excludes():
    """drf-spectacular takes a serializer's description from the first docstring in its class
    hierarchy above these library classes. FastRepresentation's (how list rows are rendered) is
    nothing a client should read, so it is a barrier too: a list serializer without a docstring
    of its own has no description."""
    from drf_spectacular.plumbing import get_lib_doc_excludes

    from core.serializer_fields import FastRepresentation

    return [*get_lib_doc_excludes(), FastRepresentation]


def integer_path_ids(result, generator, request, public):
    """drf-spectacular documents a path parameter matched by `lookup_value_regex = r"\\d+"` as
    a string with a pattern; it is an object's id, so generated clients should take an integer
    (a postprocessing hook, after the enum hook)."""
    # Here, not at the top: core.bounds imports core.errors, which loads DRF's settings, which
    # import this module (DEFAULT_PARSER_CLASSES).
    from .bounds import MAX_ID

    for item in result.get("paths", {}).values():
        for operation in item.values():
            if not isinstance(operation, dict):
                continue
            for parameter in operation.get("parameters", []):
                schema = parameter.get("schema") or {}
                if parameter.get("in") == "path" and schema.get("pattern") == r"^\d+$":
                    parameter["schema"] = {"type": "integer", "minimum": 1, "maximum": MAX_ID}
    return result


class StrictOrderingFilter(filters.OrderingFilter):
    """An unknown `ordering` field is a 400 naming `ordering`, not a silently ignored value; ties
    are broken by id so pages never repeat or skip a row."""

    def get_ordering(self, request, queryset, view):
        params = request.query_params.get(self.ordering_param)
        if params:
            fields = [param.strip() for param in params.split(",") if param.strip()]
            valid = {
                name for name, _label in self.get_valid_fields(queryset, view, {"request": request})
            }
            unknown = [field for field in fields if field.lstrip("-") not in valid]
            if unknown:
                raise ValidationError(
                    {
                        self.ordering_param: [
                            _("Unknown ordering %(fields)s; use one of %(valid)s.")
                            % {"fields": ", ".join(unknown), "valid": ", ".join(sorted(valid))}
                        ]
                    }
                )
        ordering = super().get_ordering(request, queryset, view)
        if ordering and not {"pk", "-pk", "id", "-id"} & set(ordering):
            ordering = [*ordering, "pk"]
        return ordering

    def filter_queryset(self, request, queryset, view):
        ordering = self.get_ordering(request, queryset, view)
        if ordering:
            # A field written in several languages orders as the reader sees it: their
            # language's version, else the other's (core/translated.py).
            return queryset.order_by(*ordering_for(queryset.model, ordering))
        return queryset

    def get_schema_operation_parameters(self, view):
        """`ordering` as the enum of the values it accepts: each field, ascending or descending
        (`-`). Several may be joined with commas; anything else is a 400."""
        fields = list(getattr(view, "ordering_fields", None) or [])
        values = [value for name in fields for value in (name, f"-{name}")]
        return [
            {
                "name": self.ordering_param,
                "required": False,
                "in": "query",
                "description": _(
                    "Order the results by this field (`-` before it: descending). Several "
                    "fields may be joined with commas."
                ),
                "schema": {"type": "string", "enum": values},
            }
        ]
