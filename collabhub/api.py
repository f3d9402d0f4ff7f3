"""API wiring shared by every app: pagination, per-caller rate limiting, the JSON parser, and the
error responses every operation documents in the OpenAPI schema."""

import logging
import math
import time

from django.core.cache import cache
from drf_spectacular.drainage import get_view_method_names, isolate_view_method
from drf_spectacular.extensions import OpenApiViewExtension
from drf_spectacular.plumbing import get_class
from rest_framework import parsers
from rest_framework.exceptions import ParseError
from rest_framework.pagination import PageNumberPagination
from rest_framework.settings import api_settings
from rest_framework.throttling import BaseThrottle

from partners.principals import is_partner

logger = logging.getLogger(__name__)

PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
# After the cache fails, throttling is skipped for this long in this process, so a dead or slow
# Redis costs one connection attempt per interval rather than one per request.
CACHE_RETRY_SECONDS = 30


class Pagination(PageNumberPagination):
    """`count`, `next`, `previous`, `results`; `?page_size=` up to 200."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, except that a body nested too deeply for Python's recursive decoder
    (`[[[[...` a few thousand times) is a 400 like any malformed JSON, not a RecursionError."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError as exc:
            raise ParseError("JSON parse error - nested too deeply.") from exc


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
        if is_partner(user):
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
    "description": "Each bad field (or `non_field_errors`, or `detail`) with its messages.",
    "additionalProperties": {},
}
ERROR_RESPONSES = {
    "400": (
        "Invalid input: each bad field of the body or query is named with its messages.",
        FIELD_ERRORS_SCHEMA,
    ),
    "401": (
        "No valid credentials: no token or session, or an unknown, revoked or expired token.",
        DETAIL_SCHEMA,
    ),
    "403": (
        "Not allowed: a read-only token writing, or a caller who may not make this change.",
        DETAIL_SCHEMA,
    ),
    "404": (
        "Not found: outside the caller's scope, no such object, or a page past the last.",
        DETAIL_SCHEMA,
    ),
    "415": (
        "Unsupported media type: the body is in a media type the operation does not accept.",
        DETAIL_SCHEMA,
    ),
    "429": (
        "Too many requests from this caller: retry after `Retry-After` seconds.",
        DETAIL_SCHEMA,
    ),
}


class ErrorResponsesSchema:
    """Adds ERROR_RESPONSES to an operation's documented responses: those it does not declare
    itself, and a JSON body for those it declares without one."""

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        for code, (description, schema) in ERROR_RESPONSES.items():
            content = {"application/json": {"schema": dict(schema)}}
            if code not in responses:
                responses[code] = {"description": description, "content": content}
            elif not responses[code].get("content"):
                responses[code]["content"] = content
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
