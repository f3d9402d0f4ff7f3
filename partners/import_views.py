"""Pages of the CSV import: the upload form with the recent runs, a run's page (progress while it
is checked or imported, then the preview with each row's errors, or the outcome), and the
confirmation. The progress works without JavaScript (the page says to refresh it and has a link
that does) and htmx polls it every two seconds where JavaScript runs. Thin: partners/imports.py
does the work."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.errors import DomainError

from . import imports
from .import_forms import ImportUploadForm
from .models import ImportRun

RECENT_RUNS = 20
PREVIEW_ROWS = 50


def _require_importer(request) -> None:
    if not imports.may_import(request.user):
        raise PermissionDenied(_("Only administrators may import organisations and contacts."))


@require_http_methods(["GET", "POST"])
def import_start(request):
    _require_importer(request)
    form = ImportUploadForm(
        request.POST if request.method == "POST" else None,
        request.FILES if request.method == "POST" else None,
    )
    if request.method == "POST" and form.is_valid():
        try:
            run = imports.import_run_create(
                actor=request.user,
                kind=form.cleaned_data["kind"],
                upload=form.cleaned_data["file"],
            )
        except DomainError as error:
            form.add_domain_error(error)
        else:
            return redirect(run)
    runs = imports.import_runs_for(actor=request.user).defer("rows", "errors")[:RECENT_RUNS]
    return render(
        request,
        "partners/import_start.html",
        {
            "form": form,
            "runs": runs,
            "columns": imports.COLUMNS,
            "max_rows": settings.IMPORT_MAX_ROWS,
            "max_size": imports.megabytes(settings.IMPORT_MAX_BYTES),
        },
    )


@require_GET
def import_detail(request, pk):
    _require_importer(request)
    run = imports.import_run_get_for(actor=request.user, pk=pk)
    done, total = imports.progress_of(run)
    if request.htmx and not request.htmx.boosted and not run.in_progress:
        # Finished while the page was polling: reload it whole, with the preview or outcome.
        response = HttpResponse(status=204)
        response["HX-Refresh"] = "true"
        return response
    context = {
        "run": run,
        "done": done,
        "total": total,
        "percent": int(done * 100 / total) if total else 0,
        "preview": _preview(run) if run.status == ImportRun.Status.READY else [],
        "columns": list(imports.COLUMNS[run.kind]),
    }
    if request.htmx and not request.htmx.boosted:
        return render(request, "partners/partials/import_progress.html", context)
    return render(request, "partners/import_detail.html", context)


def _preview(run: ImportRun) -> list:
    columns = list(imports.COLUMNS[run.kind])
    return [
        (line, [values.get(column, "") for column in columns])
        for line, values in run.rows[:PREVIEW_ROWS]
    ]


@require_POST
def import_confirm(request, pk):
    _require_importer(request)
    run = imports.import_run_get_for(actor=request.user, pk=pk)
    try:
        run = imports.import_run_confirm(actor=request.user, run=run)
    except DomainError as error:
        messages.error(request, error.message)
        return redirect(run)
    if run.status == ImportRun.Status.DONE:
        messages.success(
            request,
            _("%(count)s rows were imported.") % {"count": run.imported_count},
        )
    elif run.status == ImportRun.Status.FAILED:
        messages.error(request, run.message)
    return redirect(run)
