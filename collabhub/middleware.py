"""Project-wide request handling: login required for pages, and a clean 503 when the database is
unreachable."""

import logging

from django.contrib.auth.middleware import LoginRequiredMiddleware as DjangoLoginRequired
from django.db import OperationalError
from django.http import JsonResponse
from django.shortcuts import render

logger = logging.getLogger(__name__)

# The API authenticates itself (tokens, 401 JSON); health checks and static files are public.
PUBLIC_PREFIXES = ("/api/", "/healthz", "/static/", "/favicon.ico")


class LoginRequiredMiddleware(DjangoLoginRequired):
    """Every page needs a login unless its view is marked @login_not_required."""

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.path.startswith(PUBLIC_PREFIXES):
            return None
        return super().process_view(request, view_func, view_args, view_kwargs)


class DatabaseUnavailableMiddleware:
    """The database going away mid-request gives a 503 page or JSON body, not a traceback."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            return self.get_response(request)
        except OperationalError as exc:
            return self.unavailable(request, exc)

    def process_exception(self, request, exception):
        if isinstance(exception, OperationalError):
            return self.unavailable(request, exception)
        return None

    @staticmethod
    def unavailable(request, exc):
        logger.error("Database unavailable: %s", exc)
        message = "CollabHub is temporarily unavailable. Please try again in a few minutes."
        if request.path.startswith("/api/"):
            response = JsonResponse({"detail": message}, status=503)
        else:
            response = render(request, "503.html", {"message": message}, status=503)
        response["Retry-After"] = "30"
        return response
