"""The upload form of the CSV import (partners/imports.py checks the file itself)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .forms import AccessibleForm
from .models import ImportRun


class ImportUploadForm(AccessibleForm):
    kind = forms.ChoiceField(
        label=_("The file holds"),
        choices=[("", _("Choose…")), *ImportRun.Kind.choices],
    )
    file = forms.FileField(
        label=_("CSV file"),
        help_text=_(
            "UTF-8 text (in a spreadsheet: Save as “CSV UTF-8”), the columns named on the "
            "first line."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )
