"""Participation pages: add an organisation, its role and contact, withdraw it."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from core.bounds import MAX_ID
from core.errors import DomainError
from core.versioning import edit_data, show_refusal, versioned
from partners.models import Contact

from .. import pickers, selectors, services
from ..forms import (
    ParticipationForm,
    WithdrawForm,
)
from ..models import Participation
from ..structures import rules_for
from .common import _collaboration, _posted, _require_manager


def _organisation_id(value) -> int | None:
    """The organisation id of a query or form value, or None when it is not a whole number in
    the database's range: 10**30 would overflow SQLite's integers, a 500 instead of a form."""
    try:
        organisation_id = int(value) if value else None
    except (TypeError, ValueError):
        return None
    if organisation_id is None or not 1 <= organisation_id <= MAX_ID:
        return None
    return organisation_id


def _contacts_of(organisation_id) -> list | object:
    if not organisation_id:
        return Contact.objects.none()
    return Contact.objects.filter(organisation_id=organisation_id, is_active=True).order_by(
        "-is_primary", "name"
    )


@require_http_methods(["GET", "POST"])
def participation_add(request, slug):
    collaboration = _collaboration(request, slug)
    _require_manager(request, collaboration)
    organisation_id = _organisation_id(
        request.POST.get("organisation") or request.GET.get("organisation")
    )
    form = ParticipationForm(
        _posted(request),
        initial={"organisation": organisation_id},
        structure=collaboration.structure,
        organisation_choices=pickers.new_participant_choices(request.user, collaboration),
        contact_choices=_contacts_of(organisation_id),
        collaboration=collaboration,
    )
    if request.method == "POST" and form.is_valid():
        try:
            participation = services.participation_add(
                actor=request.user, collaboration=collaboration, **form.cleaned_data
            )
        except DomainError as error:
            form.add_domain_error(error)
        else:
            messages.success(
                request,
                _("%(organisation)s now takes part as %(role)s.")
                % {
                    "organisation": participation.organisation.name,
                    "role": participation.get_role_display().lower(),
                },
            )
            return redirect(f"{collaboration.get_absolute_url()}#partners")
    return render(
        request,
        "agreements/participation_form.html",
        {
            "form": form,
            "collaboration": collaboration,
            "participation": None,
            "rules": rules_for(collaboration.structure),
        },
    )


@require_GET
def participation_contact_options(request, slug):
    """The named-contact field for the organisation chosen on the participation form (htmx)."""
    collaboration = _collaboration(request, slug)
    _require_manager(request, collaboration)
    organisation_id = _organisation_id(request.GET.get("organisation"))
    form = ParticipationForm(
        initial={"organisation": organisation_id},
        structure=collaboration.structure,
        organisation_choices=pickers.new_participant_choices(request.user, collaboration),
        contact_choices=_contacts_of(organisation_id),
        collaboration=collaboration,
    )
    return render(request, "forms/field.html", {"field": form["contact"]})


@require_http_methods(["GET", "POST"])
def participation_edit(request, slug, pk):
    collaboration = _collaboration(request, slug)
    participation = selectors.participation_get_for(collaboration=collaboration, pk=pk)
    _require_manager(request, collaboration)

    def initial_of(p):
        return {
            "role": p.role,
            "status": p.status
            if p.status != Participation.Status.WITHDRAWN
            else Participation.Status.ACTIVE,
            "contact": p.contact_id,
            "joined_on": p.joined_on,
        }

    departed = participation.contact
    if departed is not None and departed.is_active:
        departed = None
    form = ParticipationForm(
        _posted(request),
        initial=initial_of(participation),
        structure=collaboration.structure,
        contact_choices=_contacts_of(participation.organisation_id),
        departed=departed,
        named_elsewhere=services.handover_candidates(
            actor=request.user, participation=participation
        ),
    )
    versioned(form, participation)
    if participation.status == Participation.Status.WITHDRAWN:
        form.fields["status"].help_text = _(
            "This organisation withdrew; saving it as active or invited lets it rejoin."
        )
    if request.method == "POST" and form.is_valid():
        data, version = edit_data(form)
        if data.get("joined_on") is None:
            data["joined_on"] = participation.joined_on
        try:
            services.participation_update(
                actor=request.user, participation=participation, expected_version=version, **data
            )
        except DomainError as error:
            show_refusal(form, error, participation, initial_of)
        else:
            message = _("Your changes were saved.")
            successor = data.get("contact")
            if data.get("everywhere") and successor is not None and departed is not None:
                message = _(
                    "Your changes were saved. %(name)s is now named in place of %(departed)s "
                    "in the other collaborations too."
                ) % {"name": successor.name, "departed": departed.name}
            messages.success(request, message)
            return redirect(f"{collaboration.get_absolute_url()}#partners")
    return render(
        request,
        "agreements/participation_form.html",
        {
            "form": form,
            "collaboration": collaboration,
            "participation": participation,
            "rules": rules_for(collaboration.structure),
        },
    )


@require_http_methods(["GET", "POST"])
def participation_withdraw(request, slug, pk):
    collaboration = _collaboration(request, slug)
    participation = selectors.participation_get_for(collaboration=collaboration, pk=pk)
    _require_manager(request, collaboration)
    form = WithdrawForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            services.participation_withdraw(
                actor=request.user, participation=participation, **form.cleaned_data
            )
        except DomainError as error:
            form.add_domain_error(error)
            participation.refresh_from_db()
        else:
            messages.success(
                request,
                _("%(organisation)s has withdrawn.")
                % {"organisation": participation.organisation.name},
            )
            return redirect(f"{collaboration.get_absolute_url()}#partners")
    return render(
        request,
        "agreements/participation_withdraw.html",
        {"form": form, "collaboration": collaboration, "participation": participation},
    )
