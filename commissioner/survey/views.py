"""Browser pages of the survey: a collaboration's rounds (and opening one), a round's results
with its CSV export, and the respondent's page reached through the personal link (no account,
no JavaScript needed). Thin: rules in survey.services and survey.selectors."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from agreements.selectors import collaboration_get_for
from commissioner.access import may_commission
from core.csv_export import csv_response
from core.errors import DomainError

from . import selectors, services
from .forms import ResponseForm, RoundOpenForm, ScheduleForm
from .services import LinkProblem


def _round_or_404(request, pk: int):
    survey_round = selectors.round_get_for(actor=request.user, pk=pk)
    if selectors.view_of(request.user, survey_round) is None:
        raise Http404
    return survey_round


@require_http_methods(["GET", "POST"])
def round_list(request, slug):
    """A collaboration's rounds: commissioners see and open them; the staff of a partner see
    the rounds of their collaboration and their results."""
    collaboration = collaboration_get_for(actor=request.user, slug=slug)
    commissions = may_commission(request.user)
    rounds = selectors.round_list_of_collaboration(actor=request.user, collaboration=collaboration)
    if not commissions and not rounds and not selectors.takes_part(request.user, collaboration):
        raise PermissionDenied(_("Only commissioners and the partners see its surveys."))
    form = None
    if commissions:
        default_close = timezone.localdate() + dt.timedelta(days=services.DEFAULT_ROUND_DAYS)
        form = RoundOpenForm(request.POST or None, initial={"closes_on": default_close})
    if request.method == "POST":
        if form is None:
            raise PermissionDenied(_("Only administrators and commissioners may open a round."))
        if form.is_valid():
            try:
                survey_round = services.survey_round_open(
                    actor=request.user, collaboration=collaboration, **form.cleaned_data
                )
            except DomainError as error:
                form.add_domain_error(error)
            else:
                messages.success(
                    request,
                    _("Survey round opened: %(count)s contacts invited.")
                    % {"count": survey_round.respondents.count()},
                )
                return redirect("commissioner:survey_results", pk=survey_round.pk)
    return render(
        request,
        "commissioner/survey/round_list.html",
        {
            "collaboration": collaboration,
            "rounds": rounds,
            "form": form,
            "schedule": selectors.schedule_of(collaboration) if commissions else None,
        },
    )


@require_http_methods(["GET", "POST"])
def schedule_edit(request, slug):
    """A collaboration's survey cadence (commissioners): a round every few months, opened by
    the daily task."""
    if not may_commission(request.user):
        raise PermissionDenied(_("Only administrators and commissioners may set a cadence."))
    collaboration = collaboration_get_for(actor=request.user, slug=slug)
    schedule = selectors.schedule_of(collaboration)
    initial = {"open_days": services.DEFAULT_ROUND_DAYS}
    if schedule is not None:
        initial = {
            "every_months": schedule.every_months,
            "open_days": schedule.open_days,
            "first_opens_on": schedule.next_opens_on,
            "share_answers": schedule.share_answers,
        }
    form = ScheduleForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.survey_schedule_set(
                actor=request.user, collaboration=collaboration, **form.cleaned_data
            )
        except DomainError as error:
            form.add_domain_error(error)
        else:
            if saved is None:
                messages.success(request, _("Rounds are no longer opened automatically."))
            else:
                messages.success(
                    request,
                    _("A round will open every %(months)s months, the next on %(date)s.")
                    % {"months": saved.every_months, "date": saved.next_opens_on.isoformat()},
                )
            return redirect("commissioner:survey_rounds", slug=collaboration.slug)
    return render(
        request,
        "commissioner/survey/schedule_form.html",
        {"collaboration": collaboration, "form": form, "schedule": schedule},
    )


@require_GET
def results(request, pk):
    survey_round = _round_or_404(request, pk)
    data = selectors.round_results(survey_round=survey_round, actor=request.user)
    return render(
        request,
        "commissioner/survey/results.html",
        {
            "results": data,
            "survey_round": survey_round,
            "collaboration": survey_round.collaboration,
        },
    )


EXPORT_HEADER = [
    gettext_lazy("Principle"),
    gettext_lazy("Organisation"),
    gettext_lazy("Score"),
    gettext_lazy("Principle average"),
    gettext_lazy("Spread"),
    gettext_lazy("Diverges"),
]


@require_GET
def results_export(request, pk):
    """The results as CSV: one row per principle and organisation the caller may see, and the
    principle's mean and spread."""
    survey_round = _round_or_404(request, pk)
    data = selectors.round_results(survey_round=survey_round, actor=request.user)
    rows = []
    for principle in data.principles:
        for score in principle.scores or [None]:
            rows.append(
                [
                    principle.title,
                    score.name if score else "",
                    score.score if score else "",
                    principle.mean,
                    principle.spread,
                    (_("yes") if score.divergent else _("no")) if score else "",
                ]
            )
    return csv_response(
        name=f"survey-{survey_round.collaboration.slug}-{survey_round.opened_on:%Y-%m}",
        header=EXPORT_HEADER,
        objects=rows,
        row=lambda row: row,
    )


# The respondent's page --------------------------------------------------------------------------

PROBLEMS = {
    LinkProblem.INVALID: (
        gettext_lazy("This link does not work"),
        gettext_lazy(
            "The link is incomplete or has been changed. Use the link exactly as it was "
            "e-mailed to you, or ask the commissioner for a new one."
        ),
    ),
    LinkProblem.REVOKED: (
        gettext_lazy("This link is no longer valid"),
        gettext_lazy(
            "It was sent to a contact who is no longer listed for the organisation. Ask the "
            "commissioner to invite the organisation's current contact."
        ),
    ),
    LinkProblem.CLOSED: (
        gettext_lazy("This survey has closed"),
        gettext_lazy("The closing date has passed, so answers can no longer be given. Thank you."),
    ),
    LinkProblem.NOT_OPEN: (
        gettext_lazy("This survey is not open yet"),
        gettext_lazy("Come back on the day it opens."),
    ),
    LinkProblem.SUBMITTED: (
        gettext_lazy("Your answers have been submitted"),
        gettext_lazy(
            "This link has already been used to submit answers, which cannot be changed now."
        ),
    ),
}


def _problem_page(request, kind: str, status: int = 410):
    title, message = PROBLEMS[kind]
    return render(
        request,
        "commissioner/survey/link_problem.html",
        {"title": title, "message": message},
        status=200 if kind == LinkProblem.SUBMITTED else status,
    )


@login_not_required
@require_http_methods(["GET", "POST"])
def respond(request, token):
    try:
        respondent = services.survey_link_resolve(token)
    except LinkProblem as problem:
        return _problem_page(request, problem.kind, 404 if problem.kind == "invalid" else 410)
    survey_round = respondent.round
    principles = selectors.instrument_questions(survey_round.instrument_id)
    draft = selectors.response_of(respondent=respondent)
    form = ResponseForm(
        request.POST or None,
        principles=principles,
        initial=ResponseForm.initial_from(draft),
    )
    if request.method == "POST" and form.is_valid():
        submit = "submit" in request.POST
        try:
            services.survey_response_save(
                respondent=respondent,
                answers=form.answers(),
                comments=form.comments(),
                submit=submit,
            )
        except DomainError as error:
            if error.code in ("closed", "submitted"):
                return _problem_page(request, error.code.replace("closed", LinkProblem.CLOSED))
            form.add_domain_error(error)
        else:
            if submit:
                return render(
                    request,
                    "commissioner/survey/thanks.html",
                    {"survey_round": survey_round, "respondent": respondent},
                )
            messages.success(
                request,
                _(
                    "Your answers are saved. Come back with the same link to finish them "
                    "before %(date)s."
                )
                % {"date": survey_round.closes_on.isoformat()},
            )
            return redirect(request.path)
    return render(
        request,
        "commissioner/survey/respond.html",
        {
            "form": form,
            "survey_round": survey_round,
            "respondent": respondent,
            "collaboration": survey_round.collaboration,
            "draft": draft,
        },
    )
