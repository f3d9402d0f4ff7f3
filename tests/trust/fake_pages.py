"""Pages with one deliberate hole of each kind the page walk looks for, mounted only by
test_walker_selftest.py: the walk must report every hole and nothing on the sound page."""

from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import path
from django.utils.html import format_html

from agreements.models import Collaboration, Obligation
from collabhub import urls as project_urls
from commissioner.models import EngagementSnapshot
from core.actors import actor_organisation_id


def collaboration_detail(request, slug):
    """Hole: shows every organisation's engagement reasons to any staff user."""
    collaboration = get_object_or_404(Collaboration, slug=slug)
    reasons = [
        snapshot.reasons
        for snapshot in EngagementSnapshot.objects.filter(
            participation__collaboration=collaboration
        )
    ]
    return HttpResponse(format_html("<h1>{}</h1><p>{}</p>", collaboration, reasons))


def obligation_edit(request, slug, pk):
    """Hole: any staff user may open and save the form."""
    obligation = get_object_or_404(Obligation, pk=pk, collaboration__slug=slug)
    if request.method == "POST" and request.POST.get("description"):
        obligation.description = request.POST["description"]
        obligation.save()
        return redirect("/")
    return HttpResponse(
        format_html(
            '<form method="post"><input name="description" value="{}"><button>Save</button></form>',
            obligation.description,
        )
    )


def obligation_note(request, slug, pk):
    """Holes: any staff user may open it (and its path does not say it is a form: only the form
    on it does), and its form can change nothing at all, even for the administrator."""
    obligation = get_object_or_404(Obligation, pk=pk, collaboration__slug=slug)
    return HttpResponse(
        format_html(
            '<form method="post"><textarea name="note">{}</textarea><button>Save</button></form>',
            obligation.description,
        )
    )


def obligation_mark_met(request, slug, pk):
    """Sound: only the obligated organisation's staff."""
    obligation = get_object_or_404(Obligation, pk=pk, collaboration__slug=slug)
    if obligation.organisation_id != actor_organisation_id(request.user):
        raise PermissionDenied
    return HttpResponse("ok")


urlpatterns = [
    path("collaborations/<slug:slug>/", collaboration_detail),
    path("collaborations/<slug:slug>/obligations/<int:pk>/edit/", obligation_edit),
    path("collaborations/<slug:slug>/obligations/<int:pk>/mark-met/", obligation_mark_met),
    path("collaborations/<slug:slug>/obligations/<int:pk>/note/", obligation_note),
    # The project's own pages after these, so their links still resolve.
    *project_urls.urlpatterns,
]
ROUTES = {str(pattern.pattern) for pattern in urlpatterns[:4]}
