"""Agreement pages: draft, edit, circulate, sign, and the signed document."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from core.actors import actor_organisation_id
from core.errors import DomainError
from core.versioning import edit_data, show_refusal, versioned
from partners.models import Organisation

from .. import history, selectors, services
from ..access import (
    may_manage_collaboration,
)
from ..documents import KINDS
from ..forms import (
    AgreementForm,
    SignForm,
    StatusForm,
)
from ..models import Agreement, Collaboration
from .common import _collaboration, _posted, _require_manager, _status_choices


def _agreement(request, slug, pk) -> tuple[Collaboration, Agreement]:
    collaboration = _collaboration(request, slug)
    return collaboration, selectors.agreement_get_for(collaboration=collaboration, pk=pk)


@require_http_methods(["GET", "POST"])
def agreement_create(request, slug):
    collaboration = _collaboration(request, slug)
    _require_manager(request, collaboration)
    form = AgreementForm(
        _posted(request),
        request.FILES if request.method == "POST" else None,
        signatory_choices=selectors.participant_organisations(collaboration=collaboration),
    )
    if request.method == "POST" and form.is_valid():
        try:
            agreement = services.agreement_create(
                actor=request.user, collaboration=collaboration, **form.cleaned_data
            )
        except DomainError as error:
            form.add_domain_error(error)
        else:
            messages.success(
                request,
                _("The draft “%(title)s” was saved. Circulate it for signature when it is ready.")
                % {"title": agreement.title},
            )
            return redirect("agreements:agreement_detail", slug=collaboration.slug, pk=agreement.pk)
    return render(
        request,
        "agreements/agreement_form.html",
        {"form": form, "collaboration": collaboration, "agreement": None},
    )


@require_http_methods(["GET", "POST"])
def agreement_edit(request, slug, pk):
    collaboration, agreement = _agreement(request, slug, pk)
    _require_manager(request, collaboration)

    def initial_of(a):
        values = {
            name: getattr(a, name)
            for name in services.AGREEMENT_FIELDS
            if name not in ("document", "signatory_organisations")
        }
        values["signatory_organisations"] = [s.organisation_id for s in a.signatories.all()]
        return values

    initial = initial_of(agreement)
    form = AgreementForm(
        _posted(request),
        request.FILES if request.method == "POST" else None,
        initial=initial,
        signatory_choices=selectors.participant_organisations(
            collaboration=collaboration, also=tuple(initial["signatory_organisations"])
        ),
    )
    if agreement.status != Agreement.Status.DRAFT:
        # Only the dates of an agreement that has left draft may change.
        for name in ("title", "kind", "version", "document", "signatory_organisations"):
            form.fields[name].disabled = True
    versioned(form, agreement)
    if request.method == "POST" and form.is_valid():
        data, opened_at = edit_data(form)
        if agreement.status != Agreement.Status.DRAFT:
            for name in ("title", "kind", "version", "document", "signatory_organisations"):
                data.pop(name, None)
        if not data.get("document"):
            data.pop("document", None)
        try:
            services.agreement_update(
                actor=request.user, agreement=agreement, expected_version=opened_at, **data
            )
        except DomainError as error:
            show_refusal(form, error, agreement, initial_of)
        else:
            messages.success(request, _("Your changes were saved."))
            return redirect("agreements:agreement_detail", slug=collaboration.slug, pk=agreement.pk)
    return render(
        request,
        "agreements/agreement_form.html",
        {"form": form, "collaboration": collaboration, "agreement": agreement},
    )


def _signable_organisations(user, collaboration, agreement) -> list[Organisation]:
    """The unsigned signatories `user` may sign for: a manager any of them (a wet signature),
    staff their own organisation only."""
    unsigned = [s for s in agreement.signatories.all() if s.signed_at is None]
    if may_manage_collaboration(user, collaboration):
        return [s.organisation for s in unsigned]
    own = actor_organisation_id(user)
    return [s.organisation for s in unsigned if s.organisation_id == own]


@require_GET
def agreement_detail(request, slug, pk):
    collaboration, agreement = _agreement(request, slug, pk)
    return render(
        request,
        "agreements/agreement_detail.html",
        {
            "collaboration": collaboration,
            "agreement": agreement,
            "signatories": list(agreement.signatories.all()),
            "obligations": selectors.agreement_obligations(agreement=agreement),
            "can_manage": may_manage_collaboration(request.user, collaboration),
            "can_sign": agreement.status == Agreement.Status.CIRCULATING
            and bool(_signable_organisations(request.user, collaboration, agreement)),
            "next_statuses": _status_choices(
                Agreement, services.agreement_next_statuses(agreement)
            ),
            "document_name": agreement.document.name.rsplit("/", 1)[-1]
            if agreement.document
            else "",
            "history": history.agreement_history(agreement=agreement),
        },
    )


@require_http_methods(["GET", "POST"])
def agreement_status(request, slug, pk):
    collaboration, agreement = _agreement(request, slug, pk)
    _require_manager(request, collaboration)
    choices = _status_choices(Agreement, services.agreement_next_statuses(agreement))
    form = StatusForm(_posted(request), choices=choices)
    if request.method == "POST" and form.is_valid():
        try:
            services.agreement_transition(
                actor=request.user, agreement=agreement, to_status=form.cleaned_data["status"]
            )
        except DomainError as error:
            form.add_domain_error(error)
            agreement.refresh_from_db()
        else:
            messages.success(
                request,
                _("“%(title)s” is now %(status)s.")
                % {"title": agreement.title, "status": agreement.get_status_display().lower()},
            )
            return redirect("agreements:agreement_detail", slug=collaboration.slug, pk=agreement.pk)
    return render(
        request,
        "agreements/agreement_status.html",
        {
            "collaboration": collaboration,
            "agreement": agreement,
            "form": form if choices else None,
        },
    )


@require_http_methods(["GET", "POST"])
def agreement_sign(request, slug, pk):
    collaboration, agreement = _agreement(request, slug, pk)
    user = request.user
    own = actor_organisation_id(user)
    is_signatory = any(s.organisation_id == own for s in agreement.signatories.all())
    if not may_manage_collaboration(user, collaboration) and not is_signatory:
        raise PermissionDenied(_("Only a signatory or a manager of the collaboration may sign."))
    choices = _signable_organisations(user, collaboration, agreement)
    form = SignForm(
        _posted(request),
        initial={"organisation": choices[0].pk if len(choices) == 1 else None},
        organisation_choices=Organisation.objects.filter(pk__in=[o.pk for o in choices]).order_by(
            "name"
        ),
        paper=may_manage_collaboration(user, collaboration),
    )
    if request.method == "POST" and form.is_valid():
        try:
            signatory = services.agreement_sign(
                agreement=agreement,
                organisation=form.cleaned_data["organisation"],
                actor=user,
                signed_by_name=form.cleaned_data["signed_by_name"],
                signed_by_title=form.cleaned_data["signed_by_title"],
                signed_on=form.cleaned_data.get("signed_on"),
            )
        except DomainError as error:
            form.add_domain_error(error)
        else:
            agreement.refresh_from_db()
            if agreement.status == Agreement.Status.IN_FORCE:
                message = _(
                    "%(organisation)s signed. Every signatory has now signed: the agreement is "
                    "in force."
                )
            else:
                message = _("%(organisation)s signed.")
            messages.success(request, message % {"organisation": signatory.organisation.name})
            return redirect("agreements:agreement_detail", slug=collaboration.slug, pk=agreement.pk)
    return render(
        request,
        "agreements/agreement_sign.html",
        {
            "collaboration": collaboration,
            "agreement": agreement,
            "form": form if choices and agreement.status == Agreement.Status.CIRCULATING else None,
        },
    )


def _download(stored, missing_message):
    """A checked upload (agreements.documents), downloaded — never shown inline — with the type
    its content was checked to be."""
    name = stored.name.rsplit("/", 1)[-1]
    kind = KINDS.get(name.rsplit(".", 1)[-1].lower())
    try:
        handle = stored.open("rb")
    except (FileNotFoundError, OSError) as exc:
        raise Http404(missing_message) from exc
    return FileResponse(
        handle,
        as_attachment=True,
        filename=name,
        content_type=kind.content_type if kind else "application/octet-stream",
    )


@require_GET
def agreement_document(request, slug, pk):
    """The agreement's document."""
    _collaboration_obj, agreement = _agreement(request, slug, pk)
    if not agreement.document:
        raise Http404(_("This agreement has no document."))
    return _download(agreement.document, _("The document file is missing."))


@require_GET
def obligation_evidence_file(request, slug, pk):
    """The file attached to an obligation's evidence, for whoever reads the collaboration."""
    collaboration = _collaboration(request, slug)
    obligation = selectors.obligation_get_for(collaboration=collaboration, pk=pk)
    if not obligation.evidence_file:
        raise Http404(_("This obligation has no evidence file."))
    return _download(obligation.evidence_file, _("The evidence file is missing."))
