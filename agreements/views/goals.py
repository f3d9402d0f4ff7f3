"""Shared goal pages and their measurements: report, correct, withdraw."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from core.actors import actor_organisation_id
from core.errors import DomainError
from core.versioning import edit_data, show_refusal, versioned

from .. import history, selectors, services
from ..access import (
    may_manage_collaboration,
    may_report_measurement,
)
from ..forms import (
    GoalForm,
    MeasurementCorrectForm,
    MeasurementForm,
    MeasurementWithdrawForm,
)
from ..models import Participation
from .common import _collaboration, _posted, _require_manager


def _takes_part(collaboration, organisation_id) -> bool:
    return (
        organisation_id is not None
        and collaboration.participations.filter(
            organisation_id=organisation_id, status=Participation.Status.ACTIVE
        ).exists()
    )


@require_http_methods(["GET", "POST"])
def goal_create(request, slug):
    collaboration = _collaboration(request, slug)
    _require_manager(request, collaboration)
    form = GoalForm(_posted(request), initial={"baseline": 0})
    if request.method == "POST" and form.is_valid():
        try:
            goal = services.goal_create(
                actor=request.user, collaboration=collaboration, **form.cleaned_data
            )
        except DomainError as error:
            form.add_domain_error(error)
        else:
            messages.success(request, _("The goal “%(title)s” was added.") % {"title": goal.title})
            return redirect(f"{collaboration.get_absolute_url()}#goals")
    return render(
        request,
        "agreements/goal_form.html",
        {"form": form, "collaboration": collaboration, "goal": None},
    )


@require_http_methods(["GET", "POST"])
def goal_edit(request, slug, pk):
    collaboration = _collaboration(request, slug)
    goal = selectors.goal_get_for(collaboration=collaboration, pk=pk)
    _require_manager(request, collaboration)

    def initial_of(g):
        return {name: getattr(g, name) for name in services.GOAL_FIELDS}

    form = versioned(GoalForm(_posted(request), initial=initial_of(goal)), goal)
    if request.method == "POST" and form.is_valid():
        data, version = edit_data(form)
        try:
            services.goal_update(actor=request.user, goal=goal, expected_version=version, **data)
        except DomainError as error:
            show_refusal(form, error, goal, initial_of)
        else:
            messages.success(request, _("Your changes were saved."))
            return redirect("agreements:goal_detail", slug=collaboration.slug, pk=goal.pk)
    return render(
        request,
        "agreements/goal_form.html",
        {"form": form, "collaboration": collaboration, "goal": goal},
    )


@require_GET
def goal_detail(request, slug, pk):
    collaboration = _collaboration(request, slug)
    goal = selectors.goal_get_for(collaboration=collaboration, pk=pk)
    measurements = selectors.goal_measurements(goal=goal)
    own_id = actor_organisation_id(request.user)
    can_manage = may_manage_collaboration(request.user, collaboration)
    for m in measurements:
        # "Correct" and "Withdraw" for the reporting organisation and the managers.
        m.may_change = can_manage or may_report_measurement(
            request.user, collaboration, m.reported_by_organisation_id
        )
    return render(
        request,
        "agreements/goal_detail.html",
        {
            "collaboration": collaboration,
            "goal": goal,
            "progress": selectors.goal_progress(goal),
            "measurements": measurements,
            "chart": selectors.goal_chart_data(goal, measurements),
            "chart_id": f"goal-chart-data-{goal.pk}",
            "combined": selectors.goal_combined_figures(goal, measurements),
            "can_manage": can_manage,
            "can_change_measurements": any(m.may_change for m in measurements),
            "can_report": can_manage or _takes_part(collaboration, own_id),
            "history": history.goal_history(goal=goal),
        },
    )


@require_http_methods(["GET", "POST"])
def measurement_add(request, slug, pk):
    collaboration = _collaboration(request, slug)
    goal = selectors.goal_get_for(collaboration=collaboration, pk=pk)
    user = request.user
    can_manage = may_manage_collaboration(user, collaboration)
    own_id = actor_organisation_id(user)
    if not can_manage and not _takes_part(collaboration, own_id):
        raise PermissionDenied(
            _("Only the managers and the participating organisations may report progress.")
        )
    form = MeasurementForm(
        _posted(request),
        initial={"reported_by_organisation": own_id or collaboration.lead_organisation_id},
        organisation_choices=selectors.participant_organisations(collaboration=collaboration)
        if can_manage
        else None,
    )
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        organisation = data.pop("reported_by_organisation", None)
        try:
            measurement = services.measurement_report(
                actor=user, goal=goal, organisation=organisation, **data
            )
        except DomainError as error:
            form.add_domain_error(error)
        else:
            messages.success(
                request,
                _("%(value)s %(unit)s was reported for the period ending %(date)s.")
                % {
                    "value": measurement.value,
                    "unit": goal.unit,
                    "date": measurement.period_end.isoformat(),
                },
            )
            return redirect("agreements:goal_detail", slug=collaboration.slug, pk=goal.pk)
    return render(
        request,
        "agreements/measurement_form.html",
        {"form": form, "collaboration": collaboration, "goal": goal},
    )


def _measurement_to_change(request, slug, pk, measurement_pk):
    """The goal and its standing measurement `measurement_pk` (404 otherwise), for someone who
    may correct or withdraw it (403 otherwise)."""
    collaboration = _collaboration(request, slug)
    goal = selectors.goal_get_for(collaboration=collaboration, pk=pk)
    measurement = selectors.goal_measurement_get(goal=goal, pk=measurement_pk)
    if not may_report_measurement(
        request.user, collaboration, measurement.reported_by_organisation_id
    ):
        raise PermissionDenied(
            _(
                "Only the organisation that reported a measurement and the collaboration's "
                "managers may correct or withdraw it."
            )
        )
    return collaboration, goal, measurement


@require_http_methods(["GET", "POST"])
def measurement_correct(request, slug, pk, measurement_pk):
    collaboration, goal, measurement = _measurement_to_change(request, slug, pk, measurement_pk)
    form = MeasurementCorrectForm(
        _posted(request),
        initial={"value": measurement.value, "period_end": measurement.period_end},
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.measurement_correct(
                actor=request.user, measurement=measurement, **form.cleaned_data
            )
        except DomainError as error:
            form.add_domain_error(error)
        else:
            messages.success(
                request,
                _(
                    "The measurement was corrected to %(value)s %(unit)s for the period ending "
                    "%(date)s."
                )
                % {
                    "value": measurement.value,
                    "unit": goal.unit,
                    "date": measurement.period_end.isoformat(),
                },
            )
            return redirect("agreements:goal_detail", slug=collaboration.slug, pk=goal.pk)
    return render(
        request,
        "agreements/measurement_action.html",
        {
            "form": form,
            "collaboration": collaboration,
            "goal": goal,
            "measurement": measurement,
            "title": _("Correct a measurement"),
            "submit": _("Correct"),
        },
    )


@require_http_methods(["GET", "POST"])
def measurement_withdraw(request, slug, pk, measurement_pk):
    collaboration, goal, measurement = _measurement_to_change(request, slug, pk, measurement_pk)
    form = MeasurementWithdrawForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            services.measurement_withdraw(
                actor=request.user, measurement=measurement, reason=form.cleaned_data["reason"]
            )
        except DomainError as error:
            form.add_domain_error(error)
        else:
            messages.success(
                request,
                _("The measurement for the period ending %(date)s was withdrawn.")
                % {"date": measurement.period_end.isoformat()},
            )
            return redirect("agreements:goal_detail", slug=collaboration.slug, pk=goal.pk)
    return render(
        request,
        "agreements/measurement_action.html",
        {
            "form": form,
            "collaboration": collaboration,
            "goal": goal,
            "measurement": measurement,
            "title": _("Withdraw a measurement"),
            "submit": _("Withdraw"),
        },
    )
