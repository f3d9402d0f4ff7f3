"""The timeline page of a collaboration (/collaborations/<slug>/timeline/): its dates and its
partners' elections, with the election-period and electoral-cycle warnings. Asked by htmx (the
collaboration page and the commissioner's health page load it after they render, so their own
pinned query counts do not change), it answers the warnings alone; without JavaScript those pages
link to it."""

from __future__ import annotations

from django.shortcuts import render
from django.views.decorators.http import require_GET

from . import selectors
from .timeline import collaboration_timeline


@require_GET
def collaboration_timeline_page(request, slug):
    collaboration = selectors.collaboration_get_for(actor=request.user, slug=slug)
    timeline = collaboration_timeline(collaboration)
    context = {"collaboration": collaboration, "timeline": timeline}
    if request.htmx and not request.htmx.boosted:
        return render(request, "agreements/partials/timeline_warnings.html", context)
    return render(request, "agreements/collaboration_timeline.html", context)
