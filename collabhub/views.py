"""Project-level pages: the home page each role lands on, and the health check."""

from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from commissioner.home import staff_home_for
from partners.principals import actor_organisation_id, is_commissioner


def home(request):
    """Commissioners land on their dashboard; staff of an organisation on what concerns it."""
    if is_commissioner(request.user):
        try:
            return redirect("commissioner:portfolio")
        except Exception:  # noqa: S110 - the dashboard may not be installed yet
            pass
    organisation_id = actor_organisation_id(request.user)
    context = {}
    if organisation_id is not None:
        context = {
            "organisation": request.user.staff_membership.organisation,
            "home": staff_home_for(organisation_id=organisation_id),
        }
    return render(request, "home.html", context)


@login_not_required
@require_GET
@never_cache
def healthz(request):
    """Liveness and database readiness, for docker compose and load balancers."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
