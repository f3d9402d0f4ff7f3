"""Collaboration pages: the list, create, edit, the collaboration page and its status."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from core.actors import actor_organisation_id
from core.errors import DomainError
from core.lists import SortableList
from core.versioning import edit_data, show_refusal, versioned

from .. import history, pickers, selectors, services
from ..access import (
    may_create_collaboration,
    may_manage_collaboration,
)
from ..filters import CollaborationFilterSet
from ..forms import (
    CollaborationForm,
    StatusForm,
)
from ..models import Collaboration, Participation, Structure
from ..structures import rules_for, structure_problems
from .common import (
    COLLABORATION_PAGE_SECTIONS,
    LIST_PAGE_SIZE,
    _collaboration,
    _posted,
    _require_manager,
    _status_choices,
)

# Changes shown on the collaboration page, and a page of its whole history.
HISTORY_ON_PAGE = 20
HISTORY_PAGE_SIZE = 50

COLLABORATION_LIST = SortableList(
    filterset_class=CollaborationFilterSet,
    rows=selectors.collaboration_directory_for,
    orderings=selectors.COLLABORATION_SORTS,
    default_sort=selectors.DEFAULT_COLLABORATION_SORT,
    columns=lambda: [
        ("title", _("Collaboration")),
        ("structure", _("Structure")),
        ("status", _("Status")),
        ("lead", _("Lead organisation")),
        (None, _("Commissioner")),
        ("participants", _("Active participants")),
        ("start_date", _("Start date")),
    ],
    page_size=LIST_PAGE_SIZE,
    template="agreements/collaboration_list.html",
    results_template="agreements/partials/collaboration_results.html",
    object_name="collaborations",
)


@require_GET
def collaboration_list(request):
    return COLLABORATION_LIST.render(request, can_create=may_create_collaboration(request.user))


@require_http_methods(["GET", "POST"])
def collaboration_create(request):
    if not may_create_collaboration(request.user):
        raise PermissionDenied(_("Only administrators, commissioners and staff may do that."))
    own = actor_organisation_id(request.user)
    # The structure advisor's "Use this structure" comes back with ?structure=.
    chosen = request.GET.get("structure")
    chosen = chosen if chosen in Structure.values else None
    form = CollaborationForm(
        _posted(request),
        initial={"lead_organisation": own, "structure": chosen},
        lead_choices=pickers.lead_choices(request.user),
        commissioner_choices=selectors.commissioner_choices(),
    )
    if request.method == "POST" and form.is_valid():
        try:
            collaboration = services.collaboration_create(actor=request.user, **form.cleaned_data)
        except DomainError as error:
            form.add_domain_error(error)
        else:
            messages.success(
                request,
                _(
                    "%(title)s was set up as a proposal, with %(lead)s taking part. Add the "
                    "other partners next."
                )
                % {"title": collaboration.title, "lead": collaboration.lead_organisation.name},
            )
            return redirect(collaboration)
    return render(
        request, "agreements/collaboration_form.html", {"form": form, "collaboration": None}
    )


@require_http_methods(["GET", "POST"])
def collaboration_edit(request, slug):
    collaboration = _collaboration(request, slug)
    _require_manager(request, collaboration)
    initial = {name: getattr(collaboration, name) for name in services.COLLABORATION_FIELDS}
    form = CollaborationForm(
        _posted(request),
        initial=initial,
        lead_choices=pickers.lead_choices_when_editing(collaboration),
        commissioner_choices=selectors.commissioner_choices(),
        collaboration=collaboration,
    )
    form.fields["lead_organisation"].help_text = _(
        "One of the organisations taking part in the collaboration."
    )
    versioned(form, collaboration)
    if request.method == "POST" and form.is_valid():
        data, version = edit_data(form)
        try:
            services.collaboration_update(
                actor=request.user, collaboration=collaboration, expected_version=version, **data
            )
        except DomainError as error:
            show_refusal(
                form,
                error,
                collaboration,
                lambda c: {name: getattr(c, name) for name in services.COLLABORATION_FIELDS},
            )
            collaboration.refresh_from_db()
        else:
            messages.success(request, _("Your changes were saved."))
            return redirect(collaboration)
    return render(
        request,
        "agreements/collaboration_form.html",
        {"form": form, "collaboration": collaboration},
    )


@require_GET
def collaboration_detail(request, slug):
    collaboration = _collaboration(request, slug)
    user = request.user
    can_manage = may_manage_collaboration(user, collaboration)
    own_id = actor_organisation_id(user)
    participations = selectors.collaboration_participations(collaboration=collaboration)
    own_active = any(
        p.organisation_id == own_id and p.status == Participation.Status.ACTIVE
        for p in participations
    )
    goals = []
    for goal in selectors.collaboration_goals(collaboration=collaboration):
        measurements = list(goal.measurements.all())
        goals.append(
            {
                "goal": goal,
                "progress": selectors.goal_progress(goal),
                "measurements": measurements,
                "chart": selectors.goal_chart_data(goal, measurements),
                "chart_id": f"goal-chart-data-{goal.pk}",
                "combined": selectors.goal_combined_figures(goal, measurements),
            }
        )
    agreements = selectors.collaboration_agreements(collaboration=collaboration)
    obligations = selectors.collaboration_obligations(collaboration=collaboration)
    context = {
        "collaboration": collaboration,
        "rules": rules_for(collaboration.structure),
        "problems": structure_problems(collaboration, participations),
        "can_manage": can_manage,
        "can_report": can_manage or own_active,
        "own_organisation_id": own_id,
        "next_statuses": _status_choices(
            Collaboration, services.collaboration_next_statuses(collaboration)
        ),
        "participations": participations,
        "goals": goals,
        "agreements": agreements,
        "obligations": obligations,
        "overdue_count": sum(1 for o in obligations if o.overdue),
        # The newest changes; the whole history is a page of its own (collaboration_history).
        "history": history.collaboration_history(
            collaboration=collaboration, limit=HISTORY_ON_PAGE + 1
        ),
        "history_shown": HISTORY_ON_PAGE,
        "extra_sections": [
            section(request, collaboration, can_manage) for section in COLLABORATION_PAGE_SECTIONS
        ],
    }
    return render(request, "agreements/collaboration_detail.html", context)


@require_GET
def collaboration_history(request, slug):
    """The collaboration's whole history, HISTORY_PAGE_SIZE changes a page, newest first; an
    older page starts `before` the last change of the one above it (keyset: as fast at the
    thousandth change as at the first)."""
    collaboration = _collaboration(request, slug)
    before, status = None, 200
    if request.GET.get("before"):
        before = _instant(request.GET["before"])
        if before is None:
            status = 400
            messages.error(
                request, _("That link to older changes is not valid: the newest are shown.")
            )
    entries, older = history.collaboration_history_page(
        collaboration=collaboration, before=before, size=HISTORY_PAGE_SIZE
    )
    context = {
        "collaboration": collaboration,
        "history": entries,
        "before": before,
        "older": older.isoformat() if older else "",
    }
    return render(request, "agreements/collaboration_history.html", context, status=status)


def _instant(text: str) -> dt.datetime | None:
    """An ISO 8601 instant with its offset (the links this page writes), else None."""
    try:
        instant = dt.datetime.fromisoformat(text[:64])
    except ValueError:
        return None
    return instant if timezone.is_aware(instant) else None


@require_http_methods(["GET", "POST"])
def collaboration_status(request, slug):
    collaboration = _collaboration(request, slug)
    _require_manager(request, collaboration)
    choices = _status_choices(Collaboration, services.collaboration_next_statuses(collaboration))
    form = StatusForm(_posted(request), choices=choices)
    if request.method == "POST" and form.is_valid():
        try:
            services.collaboration_transition(
                collaboration=collaboration,
                to_status=form.cleaned_data["status"],
                actor=request.user,
            )
        except DomainError as error:
            form.add_domain_error(error)
            collaboration.refresh_from_db()
        else:
            messages.success(
                request,
                _("%(title)s is now %(status)s.")
                % {
                    "title": collaboration.title,
                    "status": collaboration.get_status_display().lower(),
                },
            )
            return redirect(collaboration)
    return render(
        request,
        "agreements/collaboration_status.html",
        {
            "collaboration": collaboration,
            "form": form if choices else None,
            "problems": structure_problems(collaboration),
            "rules": rules_for(collaboration.structure),
        },
    )
