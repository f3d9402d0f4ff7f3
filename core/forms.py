"""Form helpers every app's browser forms share: accessible widgets and a service's refusal shown
next to the field it names."""

from django import forms

from .bounds import validate_date_range
from .errors import DomainError


class AccessibleForm(forms.Form):
    """Bootstrap classes on every widget; a field with an error is marked invalid (Django adds
    aria-invalid and aria-describedby pointing at `<id>_error`, which the field partial renders).
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if isinstance(field, (forms.DateField, forms.DateTimeField)):
                # Dates between 1900 and 2200 (core/bounds.py), checked before any service.
                field.validators = [*field.validators, validate_date_range]
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput):
                css = "form-check-input"
            elif isinstance(widget, forms.Select):
                css = "form-select"
            else:
                css = "form-control"
            widget.attrs["class"] = f"{widget.attrs.get('class', '')} {css}".strip()

    def add_error(self, field, error):
        super().add_error(field, error)
        for name in self.errors:
            if name in self.fields:
                widget = self.fields[name].widget
                if "is-invalid" not in widget.attrs.get("class", ""):
                    widget.attrs["class"] = f"{widget.attrs.get('class', '')} is-invalid".strip()

    def add_domain_error(self, error: DomainError) -> None:
        """Show a service's refusal next to the field it names (or above the form)."""
        field = error.field if error.field in self.fields else None
        self.add_error(field, error.message)


class FilterForm(AccessibleForm):
    """django-filter's form with the same accessible widgets as every other form."""
