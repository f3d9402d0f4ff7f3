"""Form helpers every app's browser forms share: accessible widgets and a service's refusal shown
next to the field it names."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .bounds import validate_date_range
from .errors import DomainError
from .translated import content_languages, language_label, reader_language, version_name


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
        self, name: str, label, *, before: str | None = None, one_required=False, **options
    ) -> None:
        """One field per language for `name` (`title_en`, `title_fr`, labelled "Title
        (English)", "Titre (français)"), side by side on the page, inserted before field
        `before` (at the end without it). None is required on its own; `one_required`: the
        form asks for one of them at least (the service holds the rule too)."""
        make = options.pop("field_class", forms.CharField)
        versions = {
            version_name(name, code): make(
                label=language_label(label, code), required=False, **options
            )
            for code in content_languages()
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
