"""Browser pages of the commissioner app: the portfolio dashboard, the flag inbox and a flag's
page with its interventions, a collaboration's health page, check-ins, the engagement policy, and
meetings with their attendance. Thin: the rules live in selectors (reads) and services (writes).

Dashboard, flag, check-in and policy pages are for administrators and commissioners (403 for
anyone else); meeting pages are read by every signed-in person and changed by the
collaboration's managers (docs/permissions.md)."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from agreements.selectors import collaboration_get_for
from core.actors import actor_organisation_id, is_commissioner
from core.csv_export import csv_filter_error, csv_response, day
from core.errors import DomainError

from . import selectors, services
from .access import may_commission, may_manage_collaboration, may_set_default_policy
from .backtest import TRIAL_MONTHS_DEFAULT, TRIAL_MONTHS_MAX, bars_around, engagement_backtest
from .engagement import POLICY_FIELDS, SIGNALS
from .filters import FlagFilterSet
from .forms import (
    AttendanceForm,
    CheckinForm,
    InterventionForm,
    MeetingForm,
    OutcomeForm,
    PolicyForm,
    ResolveForm,
)
from .home import staff_home_for
from .inbox import ORDER as INBOX_ORDER
from .inbox import inbox_page
from .models import Flag, State

PORTFOLIO_PAGE_SIZE = 25
MEETING_PAGE_SIZE = 25


def _require_commissioner(request) -> None:
    if not may_commission(request.user):
        raise PermissionDenied(_("Only administrators and commissioners may open this page."))


def _require_manager(request, collaboration) -> None:
    if not may_manage_collaboration(request.user, collaboration):
        raise PermissionDenied(
            _("Only the collaboration's managers may record its meetings and attendance.")
        )


def _back(request, default: str) -> str:
    """The `next` address a form came from, when it is one of ours."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def _domain_message(request, error: DomainError) -> None:
    messages.error(request, error.message)


# Portfolio ------------------------------------------------------------------------------------


@require_GET
def portfolio(request):
    _require_commissioner(request)
    scope = selectors.portfolio_scope(actor=request.user, requested=request.GET.get("scope"))
    data = selectors.portfolio_for(actor=request.user, scope=scope)
    page = Paginator(data.collaborations, PORTFOLIO_PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [
        {"collaboration": c, "worst_band": selectors.worst_band(c.worst_rank)}
        for c in page.object_list
    ]
    return render(
        request,
        "commissioner/portfolio.html",
        {
            "portfolio": data,
            "page_obj": page,
            "rows": rows,
            "today": timezone.localdate(),
            # Drifting partners apart from the bands: still engaged, but falling against their
            # own record, weeks before they would be at risk.
            "band_cards": [
                (state, label, data.band_counts.get(state, 0))
                for state, label in State.choices
                if state != State.TOO_EARLY or data.band_counts.get(state)
            ],
        },
    )


@require_POST
def scan_now(request):
    _require_commissioner(request)
    status, run = services.engagement_scan_request(actor=request.user)
    if status == "queued":
        messages.success(
            request,
            _("The engagement scan was started; refresh this page in a minute to see its results."),
        )
    elif status == "running":
        messages.info(
            request,
            _(
                "Today's engagement scan is already running (started at %(time)s); refresh this "
                "page in a minute to see its results."
            )
            % {"time": date_format(timezone.localtime(run.started_at), "TIME_FORMAT")},
        )
    elif status == "finished":
        messages.info(
            request,
            _(
                "Today's engagement scan finished at %(time)s: the figures on this page are "
                "today's. The next scan runs tomorrow."
            )
            % {"time": date_format(timezone.localtime(run.finished_at), "TIME_FORMAT")},
        )
    else:
        messages.error(
            request,
            _(
                "Could not queue the scan; the task queue is not answering. The daily scan "
                "will still run, or try again in a few minutes."
            ),
        )
    return redirect(_back(request, reverse("commissioner:portfolio")))


# Flags ----------------------------------------------------------------------------------------


@require_GET
def flag_list(request):
    _require_commissioner(request)
    filterset = FlagFilterSet(
        request.GET or None,
        queryset=selectors.flag_list_for(actor=request.user),
        request=request,
        page=True,
    )
    # Keyset pages and a bounded count (commissioner/inbox.py): no page counts every flag.
    page = inbox_page(
        filterset.qs,
        after=request.GET.get("after"),
        before=request.GET.get("before"),
        count=not (request.GET.get("q") or "").strip(),
    )
    context = {"filterset": filterset, "inbox": page, "flags": page.flags}
    if request.htmx and not request.htmx.boosted:
        return render(request, "commissioner/partials/flag_results.html", context)
    return render(request, "commissioner/flag_list.html", context)


FLAG_EXPORT_COLUMNS = [
    gettext_lazy("Partner"),
    gettext_lazy("Collaboration"),
    gettext_lazy("State"),
    gettext_lazy("Band"),
    gettext_lazy("Score"),
    gettext_lazy("Reasons"),
    gettext_lazy("Raised"),
    gettext_lazy("Status"),
    gettext_lazy("Acknowledged by"),
    gettext_lazy("Interventions"),
    gettext_lazy("Open interventions"),
    gettext_lazy("Closed"),
]


def _person(user) -> str:
    return (user.get_full_name() or user.username) if user else ""


def _flag_row(flag: Flag) -> list:
    return [
        flag.participation.organisation.name,
        flag.participation.collaboration.title,
        # The state the inbox shows (a drifting flag's band is still "engaged"), then the band.
        flag.get_state_display(),
        flag.get_band_display(),
        flag.score,
        "; ".join(flag.reasons),
        day(flag.raised_on),
        flag.get_status_display(),
        _person(flag.acknowledged_by),
        flag.intervention_count,
        flag.open_intervention_count,
        day(flag.closed_at),
    ]


@require_GET
def flag_export(request):
    """The flag inbox as CSV, with the same filters (and order) as the page."""
    _require_commissioner(request)
    filterset = FlagFilterSet(
        request.GET or None,
        queryset=selectors.flag_list_for(actor=request.user).order_by(*INBOX_ORDER),
        request=request,
        page=True,
    )
    if filterset.is_bound and not filterset.is_valid():
        return csv_filter_error(filterset)
    return csv_response(
        name="flags", header=FLAG_EXPORT_COLUMNS, objects=filterset.qs, row=_flag_row
    )


def _flag_context(flag: Flag) -> dict:
    interventions = selectors.flag_interventions(flag=flag)
    return {
        "flag": flag,
        "snapshots": selectors.flag_snapshots(flag=flag),
        "interventions": interventions,
        "intervention_form": InterventionForm(),
        "resolve_form": ResolveForm(),
        # One outcome form per open intervention: distinct ids, the same field name.
        "outcome_forms": {
            i.pk: OutcomeForm(auto_id=f"id_outcome_{i.pk}_%s")
            for i in interventions
            if i.completed_at is None
        },
    }


@require_GET
def flag_detail(request, pk):
    _require_commissioner(request)
    flag = selectors.flag_get_for(actor=request.user, pk=pk)
    return render(request, "commissioner/flag_detail.html", _flag_context(flag))


@require_POST
def flag_acknowledge(request, pk):
    _require_commissioner(request)
    flag = selectors.flag_get_for(actor=request.user, pk=pk)
    try:
        services.flag_acknowledge(actor=request.user, flag=flag)
    except DomainError as error:
        _domain_message(request, error)
    else:
        messages.success(
            request,
            _("The flag on %(organisation)s is acknowledged.")
            % {"organisation": flag.participation.organisation.name},
        )
    return redirect(_back(request, flag.get_absolute_url()))


@require_http_methods(["GET", "POST"])
def flag_resolve(request, pk):
    _require_commissioner(request)
    flag = selectors.flag_get_for(actor=request.user, pk=pk)
    form = ResolveForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.flag_resolve(actor=request.user, flag=flag, note=form.cleaned_data["note"])
        except DomainError as error:
            form.add_domain_error(error)
        else:
            messages.success(request, _("The flag is resolved."))
            return redirect(flag)
    return render(request, "commissioner/flag_resolve.html", {"flag": flag, "form": form})


@require_http_methods(["GET", "POST"])
def intervention_create(request, pk):
    _require_commissioner(request)
    flag = selectors.flag_get_for(actor=request.user, pk=pk)
    form = InterventionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.intervention_add(actor=request.user, flag=flag, **form.cleaned_data)
        except DomainError as error:
            form.add_domain_error(error)
        else:
            messages.success(request, _("The intervention was logged."))
            return redirect(flag)
    return render(request, "commissioner/intervention_form.html", {"flag": flag, "form": form})


@require_http_methods(["GET", "POST"])
def intervention_complete(request, pk):
    _require_commissioner(request)
    intervention = selectors.intervention_get_for(actor=request.user, pk=pk)
    form = OutcomeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.intervention_complete(
                actor=request.user, intervention=intervention, outcome=form.cleaned_data["outcome"]
            )
        except DomainError as error:
            form.add_domain_error(error)
        else:
            messages.success(request, _("The intervention's outcome was recorded."))
            return redirect(intervention.flag)
    return render(
        request,
        "commissioner/intervention_complete.html",
        {"intervention": intervention, "flag": intervention.flag, "form": form},
    )


# Collaboration health, check-ins, policy ------------------------------------------------------


@require_GET
def collaboration_health(request, slug):
    _require_commissioner(request)
    collaboration = collaboration_get_for(actor=request.user, slug=slug)
    health = selectors.collaboration_health(collaboration=collaboration)
    return render(
        request,
        "commissioner/collaboration_health.html",
        {
            "health": health,
            "collaboration": collaboration,
            "signals": SIGNALS,
            "checkin_form": CheckinForm(
                participations=selectors.participation_choices(collaboration=collaboration)
            ),
            "can_manage": may_manage_collaboration(request.user, collaboration),
        },
    )


@require_http_methods(["GET", "POST"])
def checkin_create(request, slug):
    _require_commissioner(request)
    collaboration = collaboration_get_for(actor=request.user, slug=slug)
    form = CheckinForm(
        request.POST or None,
        participations=selectors.participation_choices(collaboration=collaboration),
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.checkin_log(actor=request.user, **form.cleaned_data)
        except DomainError as error:
            form.add_domain_error(error)
        else:
            messages.success(
                request,
                _("Check-in with %(organisation)s logged.")
                % {"organisation": form.cleaned_data["participation"].organisation.name},
            )
            return redirect("commissioner:collaboration_health", slug=collaboration.slug)
    return render(
        request,
        "commissioner/checkin_form.html",
        {"collaboration": collaboration, "form": form},
    )


def _policy_page(request, collaboration):
    policy, is_own = services.policy_in_force(collaboration=collaboration)
    initial = {name: getattr(policy, name) for name in POLICY_FIELDS}
    form = PolicyForm(request.POST or None, initial=initial)
    back = (
        reverse("commissioner:collaboration_health", kwargs={"slug": collaboration.slug})
        if collaboration
        else reverse("commissioner:portfolio")
    )
    page = {
        "collaboration": collaboration,
        "form": form,
        "is_own": is_own,
        "back": back,
        "month_choices": range(1, TRIAL_MONTHS_MAX + 1),
        "trial_months": TRIAL_MONTHS_DEFAULT,
    }
    trial = trial_months = trial_bar = None
    if request.method == "POST" and request.POST.get("try"):
        # "Try this policy on the last N months": the backtest with the form's values, unsaved
        # (a collaboration's page only: a trial never saves, on the default policy's neither).
        trial_months = _bounded_int(
            request.POST.get("months"), default=TRIAL_MONTHS_DEFAULT, low=1, high=TRIAL_MONTHS_MAX
        )
        if form.is_valid() and collaboration is not None:
            try:
                trial_policy = services.policy_trial(
                    actor=request.user, collaboration=collaboration, values=form.cleaned_data
                )
                yesterday = timezone.localdate() - dt.timedelta(days=1)
                trial = engagement_backtest(
                    date_from=yesterday - dt.timedelta(days=30 * trial_months - 1),
                    date_to=yesterday,
                    collaboration_ids=[collaboration.pk],
                    policy=trial_policy,
                    bars=bars_around(trial_policy.drift_evidence),
                )
                # The bar tried: the form's, or the policy's own where it was left blank.
                trial_bar = trial_policy.drift_evidence
            except DomainError as error:
                form.add_domain_error(error)
        return render(
            request,
            "commissioner/policy_form.html",
            {**page, "trial": trial, "trial_months": trial_months, "trial_bar": trial_bar},
        )
    if request.method == "POST" and request.POST.get("reset") and collaboration is not None:
        services.policy_reset(actor=request.user, collaboration=collaboration)
        messages.success(request, _("This collaboration now follows the system default policy."))
        return redirect(back)
    if request.method == "POST" and form.is_valid():
        try:
            services.policy_set(
                actor=request.user, collaboration=collaboration, **form.cleaned_data
            )
        except DomainError as error:
            form.add_domain_error(error)
        else:
            messages.success(request, _("The policy was saved; the next scan scores with it."))
            return redirect(back)
    return render(request, "commissioner/policy_form.html", page)


def _bounded_int(value, *, default: int, low: int, high: int) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return default
    return min(max(number, low), high)


@require_http_methods(["GET", "POST"])
def policy_edit(request, slug):
    _require_commissioner(request)
    collaboration = collaboration_get_for(actor=request.user, slug=slug)
    return _policy_page(request, collaboration)


@require_http_methods(["GET", "POST"])
def default_policy_edit(request):
    if not may_set_default_policy(request.user):
        raise PermissionDenied(_("Only administrators set the default engagement policy."))
    return _policy_page(request, None)


# Meetings -------------------------------------------------------------------------------------


@require_GET
def meeting_list(request, slug):
    collaboration = collaboration_get_for(actor=request.user, slug=slug)
    page = Paginator(
        selectors.collaboration_meetings(collaboration=collaboration), MEETING_PAGE_SIZE
    ).get_page(request.GET.get("page"))
    return render(
        request,
        "commissioner/meeting_list.html",
        {
            "collaboration": collaboration,
            "page_obj": page,
            "meetings": page.object_list,
            "can_manage": may_manage_collaboration(request.user, collaboration),
            "can_commission": may_commission(request.user),
        },
    )


# How many meetings the collaboration page shows (newest first: the upcoming ones come first).
COLLABORATION_PAGE_MEETINGS = 5


def collaboration_meetings_section(request, collaboration, can_manage: bool) -> dict:
    """The Meetings section of the collaboration page: its latest meetings with attendance
    counts (one query), the way to all of them, and "New meeting" for its managers."""
    meetings = list(
        selectors.collaboration_meetings(collaboration=collaboration)[
            : COLLABORATION_PAGE_MEETINGS + 1
        ]
    )
    return {
        "id": "meetings",
        "title": _("Meetings"),
        "template": "commissioner/partials/collaboration_meetings.html",
        "meetings": meetings[:COLLABORATION_PAGE_MEETINGS],
        "more": len(meetings) > COLLABORATION_PAGE_MEETINGS,
        "can_manage": can_manage,
        "now": timezone.now(),
    }


@require_http_methods(["GET", "POST"])
def meeting_create(request, slug):
    collaboration = collaboration_get_for(actor=request.user, slug=slug)
    _require_manager(request, collaboration)
    form = MeetingForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            meeting = services.meeting_create(
                actor=request.user, collaboration=collaboration, **form.cleaned_data
            )
        except DomainError as error:
            form.add_domain_error(error)
        else:
            messages.success(request, _("The meeting was added; now record who came."))
            return redirect("commissioner:meeting_attendance", pk=meeting.pk)
    return render(
        request, "commissioner/meeting_form.html", {"collaboration": collaboration, "form": form}
    )


@require_GET
def meeting_detail(request, pk):
    meeting = selectors.meeting_get_for(actor=request.user, pk=pk)
    return render(
        request,
        "commissioner/meeting_detail.html",
        {
            "meeting": meeting,
            "collaboration": meeting.collaboration,
            "rows": selectors.meeting_attendance(meeting=meeting),
            "can_manage": may_manage_collaboration(request.user, meeting.collaboration),
        },
    )


@require_http_methods(["GET", "POST"])
def meeting_attendance(request, pk):
    meeting = selectors.meeting_get_for(actor=request.user, pk=pk)
    _require_manager(request, meeting.collaboration)
    rows = selectors.meeting_attendance(meeting=meeting)
    form = AttendanceForm(request.POST or None, rows=rows)
    if request.method == "POST" and form.is_valid():
        try:
            changed = services.attendance_record_many(
                actor=request.user, meeting=meeting, statuses=form.statuses()
            )
        except DomainError as error:
            form.add_domain_error(error)
        else:
            messages.success(
                request,
                _("Attendance saved (%(count)s changed).") % {"count": changed},
            )
            return redirect("commissioner:meeting_detail", pk=meeting.pk)
    return render(
        request,
        "commissioner/meeting_attendance.html",
        {"meeting": meeting, "collaboration": meeting.collaboration, "form": form},
    )


def home(request):
    """Commissioners land on their dashboard; staff of an organisation on what concerns it."""
    if is_commissioner(request.user):
        return redirect("commissioner:portfolio")
    organisation_id = actor_organisation_id(request.user)
    context = {}
    if organisation_id is not None:
        context = {
            "organisation": request.user.staff_membership.organisation,
            "home": staff_home_for(organisation_id=organisation_id),
        }
    return render(request, "home.html", context)
