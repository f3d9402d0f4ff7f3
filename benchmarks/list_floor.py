"""The API lists' floor: a plain Django view returning `JsonResponse` of a page of the same
scoped queryset's `.values()`, with its count — what the API list benchmark compares each list
with."""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.http import Http404, JsonResponse


@login_not_required  # it authenticates partner tokens itself, as DRF does for the API
def floor_list(request, resource: str):
    """GET /bench/floor/<resource>/: the first page (50) of the caller's scoped queryset as plain
    `.values()`, with its count — the same rows the API list serves, with nothing else."""
    from benchmarks.scenarios import FLOOR_QUERIES

    query = FLOOR_QUERIES.get(resource)
    if query is None:
        raise Http404(resource)
    actor = query.actor(request)
    if not getattr(actor, "is_authenticated", False):
        return JsonResponse({"detail": "Authentication credentials were not provided."}, status=401)
    queryset = query.queryset(actor)
    page = list(queryset.values(*query.fields)[:50])
    return JsonResponse({"count": queryset.count(), "results": page}, json_dumps_params={})
