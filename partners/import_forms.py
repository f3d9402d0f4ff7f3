"""The upload form of the CSV import (partners/imports.py checks the file itself)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import AccessibleForm, model_field

from .models import ImportRun


class ImportUploadForm(AccessibleForm):
    kind = model_field(ImportRun, "kind", label=_("The file holds"), blank_label=_("Choose…"))
    file = forms.FileField(
        label=_("CSV file"),
        help_text=_(
            "UTF-8 text (in a spreadsheet: Save as “CSV UTF-8”), the columns named on the "
            "first line."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )
