"""Form helpers every app's browser forms share: form fields made from the model fields they fill,
accessible widgets, and a service's refusal shown next to the field it names."""

from django import forms
from django.db import models
from django.utils.translation import gettext_lazy as _

from .bounds import validate_date_range
from .errors import DomainError
from .fields import largest_amount, text_length
from .translated import content_languages, reader_language, version_name


class DateInput(forms.DateInput):
    """The browser's date picker (`<input type="date">`, which reads and writes ISO dates)."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


def model_field(
    model: type[models.Model],
    name: str,
    *,
    blank_label=None,
    rows: int | None = None,
    **overrides,
) -> forms.Field:
    """The form field of `model.name` as the model declares it: its label (the verbose name), help
    text, length (a TextField without one: MAX_TEXT, the services' bound), choices, digits (and
    the largest amount they hold), required unless it may be blank. `overrides` are where the
    form asks otherwise, and each says why. `blank_label` names the empty choice ("Choose…"
    rather than dashes); `rows`: a text area of that many rows. A date is the browser's picker."""
    field = model._meta.get_field(name)
    if not isinstance(field, models.Field):
        raise TypeError(f"{model.__name__}.{name} is a reverse relation, not a field to fill in")
    options: dict = {}
    if isinstance(field, models.TextField):
        options["max_length"] = text_length(field)
    if isinstance(field, models.DecimalField):
        largest = largest_amount(field)
        options |= {"max_value": largest, "min_value": -largest}
    if isinstance(field, models.DateField) and not isinstance(field, models.DateTimeField):
        options["widget"] = DateInput()
    if isinstance(field, models.ForeignKey):
        # The view gives the choices in the reader's scope; never the whole table by default.
        options["queryset"] = field.remote_field.model._default_manager.none()
    if field.has_default() and callable(field.default):
        # A default worked out on saving (today) is the service's to fill in; not shown.
        options |= {"initial": None, "show_hidden_initial": False}
    if rows is not None:
        options["widget"] = forms.Textarea(attrs={"rows": rows})
    form_field = field.formfield(**(options | overrides))
    if form_field is None:
        raise TypeError(f"{model.__name__}.{name} has no form field (not editable)")
    if isinstance(form_field, forms.ChoiceField) and blank_label is not None:
        declared: list = list(form_field.choices)  # type: ignore[arg-type]
        form_field.choices = [("", blank_label), *(c for c in declared if c[0] != "")]
    return form_field


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
        """Show a service's refusal next to the field it names (or above the form). A field
        written in several languages (`title`) is shown by its versions: the refusal goes next
        to the reader's language's one."""
        field = error.field
        if field is not None and field not in self.fields:
            field = version_name(field, reader_language())
        self.add_error(field if field in self.fields else None, error.message)

    def add_versions(
        self,
        model: type[models.Model],
        name: str,
        *,
        before: str | None = None,
        one_required=False,
        **options,
    ) -> None:
        """One field per language for `model.name`: its version fields (`title_en`, `title_fr`,
        labelled "Title (English)", "Titre (anglais)"), made by `model_field` with `options`,
        side by side on the page, inserted before field `before` (at the end without it). None
        is required on its own; `one_required`: the form asks for one of them at least (the
        service holds the rule too)."""
        versions = {
            version: model_field(model, version, required=False, **options)
            for version in (version_name(name, code) for code in content_languages())
        }
        for version, field in versions.items():
            field.widget.attrs["lang"] = version.rsplit("_", 1)[1]
            field.widget.attrs["class"] = "form-control"
        fields = list(self.fields.items())
        at = next((i for i, (key, _f) in enumerate(fields) if key == before), len(fields))
        self.fields = dict([*fields[:at], *versions.items(), *fields[at:]])
        self.side_by_side = [*getattr(self, "side_by_side", []), list(versions)]
        if one_required:
            self.one_version_required = [*getattr(self, "one_version_required", []), name]

    def clean(self):
        cleaned = super().clean()
        for name in getattr(self, "one_version_required", []):
            versions = [version_name(name, code) for code in content_languages()]
            if not any(cleaned.get(version) for version in versions) and not any(
                version in self.errors for version in versions
            ):
                self.add_error(
                    version_name(name, reader_language()),
                    _("Required in English, in French or in both."),
                )
        return cleaned

    def layout(self) -> list:
        """The form's bound fields in order, each language version group as one list (the
        fields partial shows a group side by side)."""
        groups = {names[0]: names for names in getattr(self, "side_by_side", [])}
        grouped = {name for names in groups.values() for name in names}
        items: list = []
        for bound in self:
            if bound.name in groups:
                items.append([self[name] for name in groups[bound.name]])
            elif bound.name not in grouped:
                items.append(bound)
        return items


class FilterForm(AccessibleForm):
    """django-filter's form with the same accessible widgets as every other form."""
