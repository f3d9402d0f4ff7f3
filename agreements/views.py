"""Browser pages of the agreements app: the collaboration list and page, and the forms for
collaborations, participations, goals and measurements, agreements and signatures, obligations.
Thin: the rules live in selectors (reads), services (writes) and access (who may act)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from collabhub.csv_export import csv_filter_error, csv_response, day, yes_no
from collabhub.errors import DomainError
from collabhub.versioning import edit_data, show_refusal, versioned
from partners.models import Contact, Organisation
from partners.principals import actor_organisation_id

from . import pickers, selectors, services
from .access import (
    may_create_collaboration,
    may_manage_collaboration,
    may_mark_met,
    may_report_measurement,
)
from .documents import KINDS
from .filters import MAX_ID, CollaborationFilterSet
from .forms import (
    AgreementForm,
    CollaborationForm,
    GoalForm,
    MarkMetForm,
    MeasurementCorrectForm,
    MeasurementForm,
    MeasurementWithdrawForm,
    ObligationForm,
    ParticipationForm,
    SignForm,
    StatusForm,
    WaiveForm,
    WithdrawForm,
)
from .models import Agreement, Collaboration, Obligation, Participation
from .structures import rules_for, structure_problems

LIST_PAGE_SIZE = 25

# Sections a higher app adds to the collaboration page (the commissioner app: its meetings), so
# this app does not import it (DESIGN: apps depend one way). Each is a callable
# (request, collaboration, can_manage) -> dict with "id", "title", "template" and what the
# template reads; the app registers it in its AppConfig.ready().
COLLABORATION_PAGE_SECTIONS: list = []


def _posted(request):
    """The submitted data, or None for a GET. (`request.POST or None` would leave a form whose
    fields are all optional unbound when it is submitted empty.)"""
    return request.POST if request.method == "POST" else None


def _collaboration(request, slug) -> Collaboration:
    return selectors.collaboration_get_for(actor=request.user, slug=slug)


def _require_manager(request, collaboration) -> None:
    if not may_manage_collaboration(request.user, collaboration):
        raise PermissionDenied(_("Only the managers of this collaboration may do that."))


def _sort(request) -> str:
    sort = request.GET.get("sort", "")
    return sort if sort in selectors.COLLABORATION_SORTS else selectors.DEFAULT_COLLABORATION_SORT


def _status_choices(model, statuses) -> list[tuple[str, str]]:
    return [(status, model.Status(status).label) for status in statuses]


# Collaborations -----------------------------------------------------------------------------


@require_GET
def collaboration_list(request):
    sort = _sort(request)
    filterset = CollaborationFilterSet(
        request.GET or None,
        queryset=selectors.collaboration_directory_for(actor=request.user, sort=sort),
        request=request,
    )
    page = Paginator(filterset.qs, LIST_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "filterset": filterset,
        "page_obj": page,
        "collaborations": page.object_list,
        "sort": sort,
        "columns": [
            ("title", _("Collaboration")),
            ("structure", _("Structure")),
            ("status", _("Status")),
            ("lead", _("Lead organisation")),
            (None, _("Commissioner")),
            ("participants", _("Active participants")),
            ("start_date", _("Start date")),
        ],
        "can_create": may_create_collaboration(request.user),
    }
    if request.htmx and not request.htmx.boosted:
        return render(request, "agreements/partials/collaboration_results.html", context)
    return render(request, "agreements/collaboration_list.html", context)


# Exports: the collaborations the list shows (same scope, filters and sort), and the
# participations, obligations and measurements of those collaborations. -------------------------


def _export_filterset(request) -> CollaborationFilterSet:
    return CollaborationFilterSet(
        request.GET or None,
        queryset=selectors.collaboration_directory_for(actor=request.user, sort=_sort(request)),
        request=request,
    )


COLLABORATION_EXPORT_COLUMNS = [
    gettext_lazy("Collaboration"),
    gettext_lazy("Slug"),
    gettext_lazy("Structure"),
    gettext_lazy("Status"),
    gettext_lazy("Lead organisation"),
    gettext_lazy("Commissioner"),
    gettext_lazy("Active participants"),
    gettext_lazy("Start date"),
    gettext_lazy("Planned end date"),
]


def _collaboration_row(collaboration) -> list:
    commissioner = collaboration.commissioner
    return [
        collaboration.title,
        collaboration.slug,
        collaboration.get_structure_display(),
        collaboration.get_status_display(),
        collaboration.lead_organisation.name,
        (commissioner.get_full_name() or commissioner.username) if commissioner else "",
        collaboration.active_participant_count,
        day(collaboration.start_date),
        day(collaboration.planned_end_date),
    ]


PARTICIPATION_EXPORT_COLUMNS = [
    gettext_lazy("Collaboration"),
    gettext_lazy("Organisation"),
    gettext_lazy("Role"),
    gettext_lazy("Status"),
    gettext_lazy("Joined"),
    gettext_lazy("Left"),
    gettext_lazy("Contact"),
    gettext_lazy("Contact e-mail"),
]


def _participation_row(participation) -> list:
    contact = participation.contact
    return [
        participation.collaboration.title,
        participation.organisation.name,
        participation.get_role_display(),
        participation.get_status_display(),
        day(participation.joined_on),
        day(participation.left_on),
        contact.name if contact else "",
        contact.email if contact else "",
    ]


OBLIGATION_EXPORT_COLUMNS = [
    gettext_lazy("Collaboration"),
    gettext_lazy("Organisation"),
    gettext_lazy("Kind"),
    gettext_lazy("Description"),
    gettext_lazy("Quantity"),
    gettext_lazy("Unit"),
    gettext_lazy("Due date"),
    gettext_lazy("Status"),
    gettext_lazy("Overdue"),
    gettext_lazy("Met on"),
]


def _obligation_row(obligation) -> list:
    return [
        obligation.collaboration.title,
        obligation.organisation.name,
        obligation.get_kind_display(),
        obligation.description,
        "" if obligation.quantity is None else obligation.quantity,
        obligation.get_unit_display() if obligation.unit else "",
        day(obligation.due_date),
        obligation.get_status_display(),
        yes_no(obligation.overdue),
        day(obligation.met_at),
    ]


MEASUREMENT_EXPORT_COLUMNS = [
    gettext_lazy("Collaboration"),
    gettext_lazy("Goal"),
    gettext_lazy("Indicator"),
    gettext_lazy("Unit"),
    gettext_lazy("Period ending"),
    gettext_lazy("Value"),
    gettext_lazy("Reported by"),
    gettext_lazy("Reported on"),
    gettext_lazy("Evidence"),
]


def _measurement_row(measurement) -> list:
    goal = measurement.goal
    return [
        goal.collaboration.title,
        goal.title,
        goal.indicator,
        goal.unit,
        day(measurement.period_end),
        measurement.value,
        measurement.reported_by_organisation.name,
        day(measurement.reported_at),
        measurement.evidence,
    ]


EXPORTS = {
    "collaborations": (COLLABORATION_EXPORT_COLUMNS, _collaboration_row),
    "participations": (PARTICIPATION_EXPORT_COLUMNS, _participation_row),
    "obligations": (OBLIGATION_EXPORT_COLUMNS, _obligation_row),
    "measurements": (MEASUREMENT_EXPORT_COLUMNS, _measurement_row),
}


@require_GET
def collaboration_export(request, kind: str = "collaborations"):
    """CSV of the collaborations the list shows with its filters and sort, or of their
    participations, obligations or measurements."""
    filterset = _export_filterset(request)
    if filterset.is_bound and not filterset.is_valid():
        return csv_filter_error(filterset)
    collaborations = filterset.qs
    if kind != "collaborations":
        collaborations = selectors.export_rows_of(
            kind, actor=request.user, collaborations=collaborations
        )
    header, row = EXPORTS[kind]
    return csv_response(name=kind, header=header, objects=collaborations, row=row)


@require_http_methods(["GET", "POST"])
def collaboration_create(request):
    if not may_create_collaboration(request.user):
        raise PermissionDenied(_("Only administrators, commissioners and staff may do that."))
    own = actor_organisation_id(request.user)
    form = CollaborationForm(
        _posted(request),
        initial={"lead_organisation": own},
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
        "history": selectors.collaboration_history(collaboration=collaboration),
        "extra_sections": [
            section(request, collaboration, can_manage) for section in COLLABORATION_PAGE_SECTIONS
        ],
    }
    return render(request, "agreements/collaboration_detail.html", context)


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


# Participations ---------------------------------------------------------------------------


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
    return render(request, "agreements/partials/field.html", {"field": form["contact"]})


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

    form = ParticipationForm(
        _posted(request),
        initial=initial_of(participation),
        structure=collaboration.structure,
        contact_choices=_contacts_of(participation.organisation_id),
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
            messages.success(request, _("Your changes were saved."))
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


# Goals and measurements -------------------------------------------------------------------


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
            "history": selectors.goal_history(goal=goal),
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


# Agreements -------------------------------------------------------------------------------


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
            "history": selectors.agreement_history(agreement=agreement),
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


# Obligations ------------------------------------------------------------------------------


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
            messages.success(
                request,
                _("“%(obligation)s” was marked met.") % {"obligation": obligation.description},
            )
            return redirect(f"{collaboration.get_absolute_url()}#obligations")
    return render(
        request,
        "agreements/obligation_action.html",
        {
            "form": form if obligation.status == Obligation.Status.PENDING else None,
            "collaboration": collaboration,
            "obligation": obligation,
            "title": _("Mark an obligation met"),
            "submit": _("Mark met"),
            "multipart": True,
        },
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
            messages.success(
                request,
                _("“%(obligation)s” was waived.") % {"obligation": obligation.description},
            )
            return redirect(f"{collaboration.get_absolute_url()}#obligations")
    return render(
        request,
        "agreements/obligation_action.html",
        {
            "form": form if obligation.status == Obligation.Status.PENDING else None,
            "collaboration": collaboration,
            "obligation": obligation,
            "title": _("Waive an obligation"),
            "submit": _("Waive"),
        },
    )
