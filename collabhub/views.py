"""Project-level pages: the home page each role lands on, and the health check."""

from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from partners.principals import is_commissioner


def home(request):
    if is_commissioner(request.user):
        try:
            return redirect("commissioner:portfolio")
        except Exception:  # noqa: S110 - the dashboard may not be installed yet
            pass
    return render(request, "home.html")


@login_not_required
@require_GET
@never_cache
def healthz(request):
    """Liveness and database readiness, for docker compose and load balancers."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
