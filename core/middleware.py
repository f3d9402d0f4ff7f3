"""Project-wide request handling: the health check answered before host validation, login
required for pages, oversized request bodies refused before anything reads them, and a clean 503
when the database is unreachable."""

import logging
import sys

from csp.utils import build_policy
from django.conf import settings
from django.contrib.auth.middleware import LoginRequiredMiddleware as DjangoLoginRequired
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.core.signals import got_request_exception
from django.db import IntegrityError, InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils.html import format_html
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)

# The API authenticates itself (tokens, 401 JSON); health checks and static files are public.
PUBLIC_PREFIXES = ("/api/", "/healthz", "/static/", "/favicon.ico")
# Paths whose callers are programs: errors are JSON, not pages.
JSON_PREFIXES = ("/api/", "/healthz")


def wants_json(request) -> bool:
    return request.path.startswith(JSON_PREFIXES)


class HealthCheckMiddleware:
    """Answers /healthz before anything validates the Host header or redirects to HTTPS.

    Docker compose (and load balancers) call http://localhost:8000/healthz from inside the
    container, and `localhost` is rarely among a deployment's ALLOWED_HOSTS: past this point Django
    would answer 400 (DisallowedHost) and the service would never become healthy. The answer
    depends on nothing the Host header could influence. First in MIDDLEWARE."""

    path = "/healthz"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info != self.path:
            return self.get_response(request)
        from .views import healthz

        try:
            return healthz(request)
        except DATABASE_GONE as exc:
            return DatabaseUnavailableMiddleware.unavailable(request, exc)


class LoginRequiredMiddleware(DjangoLoginRequired):
    """Every page needs a login unless its view is marked @login_not_required."""

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.path.startswith(PUBLIC_PREFIXES):
            return None
        return super().process_view(request, view_func, view_args, view_kwargs)


def _with_csp(response: HttpResponse) -> HttpResponse:
    """The site's Content-Security-Policy on a response made before the CSP middleware runs."""
    response["Content-Security-Policy"] = build_policy()
    return response


def _error_page(status: int, title: str, message: str) -> HttpResponse:
    """A minimal page that needs neither the database nor a template context."""
    html = format_html(
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        "<title>{} · CollabHub</title></head>"
        '<body><main id="main"><h1>{}</h1><p>{}</p><p><a href="/">{}</a></p></main></body></html>',
        title,
        title,
        message,
        _("Go to the home page"),
    )
    return _with_csp(HttpResponse(html, status=status))


class RequestBodyLimitMiddleware:
    """Refuses a request body larger than the server accepts, from its declared length, before any
    code reads it: 413 with a JSON error for the API, a short page for the browser.

    Django only enforces DATA_UPLOAD_MAX_MEMORY_SIZE when `request.body` or `request.POST` is read;
    Django REST framework's parsers read the stream directly, so without this a JSON body of any
    size would be parsed. Multipart bodies (uploads) may be up to MAX_REQUEST_BYTES; the size of
    each uploaded file is checked again by the form or serializer that takes it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        limit = self.limit_for(request)
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0  # Django reads no body at all when the length is not a number.
        if limit is not None and length > limit:
            return self.too_large(request, limit)
        return self.get_response(request)

    def process_exception(self, request, exception):
        # Raised when a view reads a body over DATA_UPLOAD_MAX_MEMORY_SIZE that slipped past the
        # length check (e.g. a multipart body with oversized plain fields).
        if isinstance(exception, RequestDataTooBig):
            return self.too_large(request, settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
        if isinstance(exception, TooManyFieldsSent | TooManyFilesSent) and wants_json(request):
            return JsonResponse({"detail": str(exception)}, status=400)
        return None

    @staticmethod
    def limit_for(request) -> int | None:
        content_type = request.META.get("CONTENT_TYPE", "")
        if content_type.startswith("multipart/"):
            return settings.MAX_REQUEST_BYTES
        return settings.DATA_UPLOAD_MAX_MEMORY_SIZE

    @staticmethod
    def too_large(request, limit: int) -> HttpResponse:
        megabytes = f"{limit / (1024 * 1024):.0f}"
        message = _("The request is too large: at most %(size)s MB is accepted.") % {
            "size": megabytes
        }
        logger.warning(
            "Refused a request body of %s bytes to %s (limit %s)",
            request.META.get("CONTENT_LENGTH"),
            request.path,
            limit,
        )
        if wants_json(request):
            return JsonResponse({"detail": message}, status=413)
        return _error_page(413, _("Request too large"), message)


# OperationalError when the server cannot be reached or drops the connection; InterfaceError when
# code goes on using a connection that is already closed.
DATABASE_GONE = (OperationalError, InterfaceError)


def _note_database_failure(sender, request=None, **kwargs):
    """Remember on the request that the database failed, whichever layer raised it.

    Django turns an exception raised by a middleware's process_view (e.g. the session lookup
    behind `request.user`) into a 500 response before any outer middleware sees it; only this
    signal hears about it."""
    exc = sys.exc_info()[1]
    if request is not None and isinstance(exc, DATABASE_GONE):
        request.database_failure = exc


got_request_exception.connect(_note_database_failure, dispatch_uid="collabhub-database-failure")


class DatabaseUnavailableMiddleware:
    """The database going away mid-request gives a 503 page or JSON body, not a traceback."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            response = self.get_response(request)
        except DATABASE_GONE as exc:
            return self.unavailable(request, exc)
        failure = getattr(request, "database_failure", None)
        if failure is not None:
            return self.unavailable(request, failure)
        return response

    def process_exception(self, request, exception):
        if isinstance(exception, DATABASE_GONE):
            return self.unavailable(request, exception)
        if isinstance(exception, IntegrityError):
            return self.conflict(request, exception)
        return None

    @staticmethod
    def conflict(request, exc):
        """A constraint refused a write no service foresaw (two requests at once): a 409 that
        says to reload, never a 500. Services turn the ones they expect into form errors."""
        from .integrity import integrity_conflict

        logger.warning("Constraint refused %s %s: %s", request.method, request.path, exc)
        error = integrity_conflict(exc)
        if wants_json(request):
            return JsonResponse(error.as_dict(), status=409)
        return _error_page(409, _("This conflicts with a change saved meanwhile"), error.message)

    @staticmethod
    def unavailable(request, exc):
        logger.error("Database unavailable during %s %s: %s", request.method, request.path, exc)
        message = _("CollabHub is temporarily unavailable. Please try again in a few minutes.")
        if wants_json(request):
            response = JsonResponse({"detail": message}, status=503)
        else:
            # Rendered without the request: context processors would query the database again.
            response = _with_csp(
                HttpResponse(render_to_string("503.html", {"message": message}), status=503)
            )
        response["Retry-After"] = "30"
        return response
