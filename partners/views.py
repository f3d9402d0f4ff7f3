"""Browser pages of the partners app: the organisation directory and its CSV export, organisation
and contact forms, API tokens, and the administrators' people page. Thin: the rules live in
selectors (reads) and services (writes)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.i18n import set_language as django_set_language

from core.actors import actor_organisation_id, is_administrator
from core.csv_export import csv_filter_error, csv_response, day, yes_no
from core.errors import DomainError
from core.i18n import supported
from core.lists import SortableList
from core.versioning import edit_data, show_refusal, versioned
from partners.access import may_create_organisation, may_manage_organisation, may_manage_people

from . import selectors, services
from .filters import OrganisationFilterSet, PeopleFilterSet
from .forms import (
    ApiTokenIssueForm,
    ContactForm,
    OrganisationForm,
    PersonCreateForm,
    PersonEditForm,
)

DIRECTORY_PAGE_SIZE = 25
PEOPLE_PAGE_SIZE = 50


def _require_manager(request, organisation) -> None:
    if not may_manage_organisation(request.user, organisation):
        raise PermissionDenied(_("Only administrators and staff of this organisation may do that."))


# Directory ----------------------------------------------------------------------------------


DIRECTORY = SortableList(
    filterset_class=OrganisationFilterSet,
    rows=selectors.organisation_directory_for,
    orderings=selectors.DIRECTORY_SORTS,
    default_sort=selectors.DEFAULT_DIRECTORY_SORT,
    columns=lambda: [
        ("name", _("Name")),
        ("short_name", _("Short name")),
        ("kind", _("Kind")),
        ("jurisdiction", _("Jurisdiction or region")),
        (None, _("Parent organisation")),
        ("is_active", _("Status")),
    ],
    page_size=DIRECTORY_PAGE_SIZE,
    template="partners/organisation_list.html",
    results_template="partners/partials/organisation_results.html",
    object_name="organisations",
)


@require_GET
def organisation_list(request):
    return DIRECTORY.render(
        request,
        can_create=may_create_organisation(request.user),
        can_manage_people=may_manage_people(request.user),
    )


EXPORT_COLUMNS = [
    gettext_lazy("Name"),
    gettext_lazy("Short name"),
    gettext_lazy("Slug"),
    gettext_lazy("Kind"),
    gettext_lazy("Jurisdiction or region"),
    gettext_lazy("Parent organisation"),
    gettext_lazy("Website"),
    gettext_lazy("Active"),
    gettext_lazy("Primary contact"),
    gettext_lazy("Primary contact e-mail"),
    gettext_lazy("Primary contact phone"),
    gettext_lazy("Created"),
]


def _export_row(organisation) -> list:
    return [
        organisation.name,
        organisation.short_name,
        organisation.slug,
        organisation.get_kind_display(),
        organisation.jurisdiction,
        organisation.parent.name if organisation.parent else "",
        organisation.website,
        yes_no(organisation.is_active),
        organisation.primary_contact_name,
        organisation.primary_contact_email,
        organisation.primary_contact_phone,
        day(organisation.created_at),
    ]


@require_GET
def organisation_export(request):
    """The directory as CSV, with the same search, filters and sort as the page."""
    filterset = DIRECTORY.filterset(
        request,
        selectors.organisation_export_for(actor=request.user, sort=DIRECTORY.sort(request)),
    )
    if filterset.is_bound and not filterset.is_valid():
        return csv_filter_error(filterset)
    return csv_response(
        name="organisations", header=EXPORT_COLUMNS, objects=filterset.qs, row=_export_row
    )


# Organisations ------------------------------------------------------------------------------


@require_GET
def organisation_detail(request, slug):
    organisation = selectors.organisation_get_for(actor=request.user, slug=slug)
    can_manage = may_manage_organisation(request.user, organisation)
    participations = list(selectors.organisation_participations(organisation=organisation))
    context = {
        "organisation": organisation,
        "can_manage": can_manage,
        # Whoever may not change it is told who can and whom to ask; the staff user who
        # registered it is told how long their access lasts.
        "registered_by_you": can_manage
        and not is_administrator(request.user)
        and actor_organisation_id(request.user) != organisation.pk,
        "administrators": [] if can_manage else selectors.administrators_to_ask(),
        "contacts": selectors.organisation_contacts(organisation=organisation),
        "children": selectors.organisation_children(organisation=organisation),
        "participations": participations,
        "vacancies": selectors.vacancies(participations),
        "history": selectors.organisation_history(organisation=organisation),
    }
    if can_manage:
        context["staff"] = selectors.organisation_staff_for(
            actor=request.user, organisation=organisation
        )
        context["tokens"] = selectors.api_token_list_for(
            actor=request.user, organisation=organisation
        )
    return render(request, "partners/organisation_detail.html", context)


@require_http_methods(["GET", "POST"])
def organisation_create(request):
    if not may_create_organisation(request.user):
        raise PermissionDenied(_("Only administrators and staff may register organisations."))
    form = OrganisationForm(
        request.POST or None,
        parent_choices=selectors.organisation_choices_for(actor=request.user),
    )
    del form.fields["is_active"]  # a new organisation is active
    if request.method == "POST" and form.is_valid():
        try:
            organisation = services.organisation_create(actor=request.user, **form.cleaned_data)
        except DomainError as error:
            form.add_domain_error(error)
        else:
            messages.success(
                request, _("%(name)s was added to the directory.") % {"name": organisation.name}
            )
            return redirect(organisation)
    return render(request, "partners/organisation_form.html", {"form": form, "organisation": None})


@require_http_methods(["GET", "POST"])
def organisation_edit(request, slug):
    organisation = selectors.organisation_get_for(actor=request.user, slug=slug)
    _require_manager(request, organisation)

    def initial_of(o):
        return {name: getattr(o, name) for name in services.ORGANISATION_FIELDS}

    form = OrganisationForm(
        request.POST or None,
        initial=initial_of(organisation),
        parent_choices=selectors.organisation_choices_for(
            actor=request.user, keep_pk=organisation.parent_id
        ).exclude(pk=organisation.pk),
    )
    form.fields["parent"].scope_params = {"exclude": organisation.pk}
    versioned(form, organisation)
    if request.method == "POST" and form.is_valid():
        data, version = edit_data(form)
        try:
            services.organisation_update(
                actor=request.user, organisation=organisation, expected_version=version, **data
            )
        except DomainError as error:
            show_refusal(form, error, organisation, initial_of)
            organisation.refresh_from_db()
        else:
            messages.success(request, _("Your changes were saved."))
            return redirect(organisation)
    return render(
        request, "partners/organisation_form.html", {"form": form, "organisation": organisation}
    )


@require_http_methods(["GET", "POST"])
def organisation_deactivate(request, slug):
    """Confirm, then delete an organisation nothing refers to or deactivate one that is
    referenced."""
    organisation = selectors.organisation_get_for(actor=request.user, slug=slug)
    _require_manager(request, organisation)
    if request.method == "POST":
        deleted, references = services.organisation_remove(
            actor=request.user, organisation=organisation
        )
        if deleted:
            messages.success(
                request,
                _("%(name)s was deleted: nothing referred to it.") % {"name": organisation.name},
            )
            return redirect("partners:organisation_list")
        messages.success(
            request,
            _(
                "%(name)s is referenced by %(references)s, so it was deactivated rather than "
                "deleted. Its history is kept and its API tokens no longer work."
            )
            % {
                "name": organisation.name,
                "references": ", ".join(f"{count} {label}" for label, count in references.items()),
            },
        )
        return redirect(organisation)
    references = selectors.organisation_references(organisation=organisation)
    return render(
        request,
        "partners/organisation_deactivate.html",
        {"organisation": organisation, "references": references},
    )


# Contacts -----------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def contact_create(request, slug):
    organisation = selectors.organisation_get_for(actor=request.user, slug=slug)
    _require_manager(request, organisation)
    form = ContactForm(request.POST or None)
    del form.fields["is_active"]
    if request.method == "POST" and form.is_valid():
        try:
            contact = services.contact_create(
                actor=request.user, organisation=organisation, **form.cleaned_data
            )
        except DomainError as error:
            form.add_domain_error(error)
        else:
            messages.success(request, _("%(name)s was added.") % {"name": contact.name})
            return redirect(organisation)
    return render(
        request,
        "partners/contact_form.html",
        {"form": form, "organisation": organisation, "contact": None},
    )


@require_http_methods(["GET", "POST"])
def contact_edit(request, slug, pk):
    organisation = selectors.organisation_get_for(actor=request.user, slug=slug)
    contact = selectors.contact_get_for(organisation=organisation, pk=pk)
    _require_manager(request, organisation)

    def initial_of(c):
        return {name: getattr(c, name) for name in services.CONTACT_FIELDS}

    form = versioned(ContactForm(request.POST or None, initial=initial_of(contact)), contact)
    if request.method == "POST" and form.is_valid():
        data, version = edit_data(form)
        try:
            services.contact_update(
                actor=request.user, contact=contact, expected_version=version, **data
            )
        except DomainError as error:
            show_refusal(form, error, contact, initial_of)
        else:
            left = not data.get("is_active", True)
            named = selectors.contact_named_in(contact=contact) if left else 0
            if not named:
                messages.success(request, _("Your changes were saved."))
                return redirect(organisation)
            # The person left and is still named somewhere: each such partner counts as having
            # lost its contact until someone is named in its place (the early warning).
            messages.warning(
                request,
                ngettext(
                    "Your changes were saved. %(name)s is still named as the contact of "
                    "%(organisation)s in %(count)d collaboration: name who speaks for it now.",
                    "Your changes were saved. %(name)s is still named as the contact of "
                    "%(organisation)s in %(count)d collaborations: name who speaks for it now.",
                    named,
                )
                % {"name": contact.name, "organisation": organisation.name, "count": named},
            )
            return redirect(f"{organisation.get_absolute_url()}#collaborations-heading")
    return render(
        request,
        "partners/contact_form.html",
        {"form": form, "organisation": organisation, "contact": contact},
    )


# API tokens ---------------------------------------------------------------------------------


@never_cache
@require_http_methods(["GET", "POST"])
def token_issue(request, slug):
    """Issue a token. The full token is rendered in this POST's response and nowhere else: not
    in a URL, the session or a message, so it cannot be shown twice."""
    organisation = selectors.organisation_get_for(actor=request.user, slug=slug)
    _require_manager(request, organisation)
    form = ApiTokenIssueForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            token, raw = services.api_token_issue(
                actor=request.user, organisation=organisation, **form.cleaned_data
            )
        except DomainError as error:
            form.add_domain_error(error)
        else:
            return render(
                request,
                "partners/token_issued.html",
                {"organisation": organisation, "token": token, "raw_token": raw},
            )
    return render(request, "partners/token_form.html", {"form": form, "organisation": organisation})


@require_http_methods(["GET", "POST"])
def token_revoke(request, slug, pk):
    organisation = selectors.organisation_get_for(actor=request.user, slug=slug)
    _require_manager(request, organisation)
    token = selectors.api_token_get_for(actor=request.user, organisation=organisation, pk=pk)
    if request.method == "POST":
        services.api_token_revoke(token=token, actor=request.user)
        messages.success(
            request,
            _("The token “%(name)s” (%(prefix)s…) was revoked; it no longer works.")
            % {"name": token.name, "prefix": token.prefix},
        )
        return redirect(organisation)
    return render(
        request, "partners/token_revoke.html", {"organisation": organisation, "token": token}
    )


# People (administrators) --------------------------------------------------------------------


def _require_people_manager(request) -> None:
    if not may_manage_people(request.user):
        raise PermissionDenied(_("Only administrators manage users and roles."))


@require_GET
def people_list(request):
    _require_people_manager(request)
    filterset = PeopleFilterSet(
        request.GET or None, queryset=selectors.user_list_for(actor=request.user)
    )
    page = Paginator(filterset.qs, PEOPLE_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "partners/people_list.html",
        {"filterset": filterset, "page_obj": page, "people": page.object_list},
    )


@require_http_methods(["GET", "POST"])
def person_create(request):
    _require_people_manager(request)
    form = PersonCreateForm(
        request.POST or None,
        organisation_choices=selectors.organisation_choices_for(actor=request.user),
    )
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        data.pop("password_confirm")
        try:
            person = services.user_create(actor=request.user, **data)
        except DomainError as error:
            form.add_domain_error(error)
        else:
            messages.success(
                request,
                _("%(username)s can now sign in with the initial password you chose.")
                % {"username": person.username},
            )
            return redirect("partners:people_list")
    return render(request, "partners/person_form.html", {"form": form, "person": None})


@require_http_methods(["GET", "POST"])
def person_edit(request, pk):
    _require_people_manager(request)
    person = selectors.user_get_for(actor=request.user, pk=pk)
    membership = getattr(person, "staff_membership", None)
    current = membership.organisation if membership else None
    choices = selectors.organisation_choices_for(
        actor=request.user, keep_pk=current.pk if current else None
    )
    initial = {
        "first_name": person.first_name,
        "last_name": person.last_name,
        "email": person.email,
        "role": person.role,
        "organisation": current,
        "job_title": membership.job_title if membership else "",
        "is_active": person.is_active,
    }
    form = PersonEditForm(request.POST or None, initial=initial, organisation_choices=choices)
    if request.method == "POST" and form.is_valid():
        try:
            services.user_update(actor=request.user, user=person, **form.cleaned_data)
        except DomainError as error:
            form.add_domain_error(error)
        else:
            messages.success(
                request, _("%(username)s was updated.") % {"username": person.username}
            )
            return redirect("partners:people_list")
    return render(request, "partners/person_form.html", {"form": form, "person": person})


@login_not_required
@require_POST
def set_language(request):
    """The language switcher (every page, signed in or not): Django's set_language sets the
    cookie and redirects back; a signed-in person's choice is also stored on them, so it follows
    them to another browser and into their e-mails."""
    response = django_set_language(request)
    language = supported(request.POST.get("language"))
    if language and request.user.is_authenticated:
        services.user_language_set(actor=request.user, user=request.user, language=language)
    return response
