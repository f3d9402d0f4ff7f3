"""Obligation pages: create, edit, mark met with evidence, waive."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from core.errors import DomainError
from core.versioning import edit_data, show_refusal, versioned

from .. import selectors, services
from ..access import (
    may_mark_met,
)
from ..forms import (
    MarkMetForm,
    ObligationForm,
    WaiveForm,
)
from ..models import Obligation
from .common import _collaboration, _posted, _require_manager


def _obligation_form(request, collaboration, keep=None, **kwargs) -> ObligationForm:
    return ObligationForm(
        _posted(request),
        organisation_choices=selectors.participant_organisations(
            collaboration=collaboration, also=(keep,)
        ),
        agreement_choices=collaboration.agreements.order_by("title", "-version"),
        **kwargs,
    )


@require_http_methods(["GET", "POST"])
def obligation_create(request, slug):
    collaboration = _collaboration(request, slug)
    _require_manager(request, collaboration)
    form = _obligation_form(request, collaboration)
    if request.method == "POST" and form.is_valid():
        try:
            services.obligation_create(
                actor=request.user, collaboration=collaboration, **form.cleaned_data
            )
        except DomainError as error:
            form.add_domain_error(error)
        else:
            messages.success(request, _("The obligation was added."))
            return redirect(f"{collaboration.get_absolute_url()}#obligations")
    return render(
        request,
        "agreements/obligation_form.html",
        {"form": form, "collaboration": collaboration, "obligation": None},
    )


@require_http_methods(["GET", "POST"])
def obligation_edit(request, slug, pk):
    collaboration = _collaboration(request, slug)
    obligation = selectors.obligation_get_for(collaboration=collaboration, pk=pk)
    _require_manager(request, collaboration)

    def initial_of(o):
        return {name: getattr(o, name) for name in services.OBLIGATION_FIELDS}

    form = _obligation_form(
        request, collaboration, keep=obligation.organisation_id, initial=initial_of(obligation)
    )
    versioned(form, obligation)
    if request.method == "POST" and form.is_valid():
        data, version = edit_data(form)
        try:
            services.obligation_update(
                actor=request.user, obligation=obligation, expected_version=version, **data
            )
        except DomainError as error:
            show_refusal(form, error, obligation, initial_of)
        else:
            messages.success(request, _("Your changes were saved."))
            return redirect(f"{collaboration.get_absolute_url()}#obligations")
    return render(
        request,
        "agreements/obligation_form.html",
        {"form": form, "collaboration": collaboration, "obligation": obligation},
    )


@require_http_methods(["GET", "POST"])
def obligation_mark_met(request, slug, pk):
    collaboration = _collaboration(request, slug)
    obligation = selectors.obligation_get_for(collaboration=collaboration, pk=pk)
    if not may_mark_met(request.user, obligation):
        raise PermissionDenied(
            _("Only the obligated organisation or a manager of the collaboration may do that.")
        )
    form = MarkMetForm(_posted(request), request.FILES if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.obligation_mark_met(
                obligation=obligation,
                actor=request.user,
                evidence=form.cleaned_data["evidence"],
                evidence_url=form.cleaned_data["evidence_url"],
                evidence_file=form.cleaned_data["evidence_file"],
            )
        except DomainError as error:
            form.add_domain_error(error)
        else:
            done = _("“%(obligation)s” was marked met.")
            return _done(request, collaboration, done % {"obligation": obligation.description})
    return _action_page(
        request,
        collaboration,
        obligation,
        form,
        _("Mark an obligation met"),
        _("Mark met"),
        multipart=True,
    )


@require_http_methods(["GET", "POST"])
def obligation_waive(request, slug, pk):
    collaboration = _collaboration(request, slug)
    obligation = selectors.obligation_get_for(collaboration=collaboration, pk=pk)
    _require_manager(request, collaboration)
    form = WaiveForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            services.obligation_waive(
                obligation=obligation, actor=request.user, reason=form.cleaned_data["reason"]
            )
        except DomainError as error:
            form.add_domain_error(error)
        else:
            done = _("“%(obligation)s” was waived.")
            return _done(request, collaboration, done % {"obligation": obligation.description})
    return _action_page(
        request, collaboration, obligation, form, _("Waive an obligation"), _("Waive")
    )


def _done(request, collaboration, message: str):
    messages.success(request, message)
    return redirect(f"{collaboration.get_absolute_url()}#obligations")


def _action_page(request, collaboration, obligation, form, title, submit, *, multipart=False):
    """Mark met and waive: one page, its form only while the obligation is pending."""
    return render(
        request,
        "agreements/obligation_action.html",
        {
            "form": form if obligation.status == Obligation.Status.PENDING else None,
            "collaboration": collaboration,
            "obligation": obligation,
            "title": title,
            "submit": submit,
            "multipart": multipart,
        },
    )
