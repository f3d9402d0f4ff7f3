"""Browser forms of the partners app. They check the shape of the input; the services check the
rules and their DomainErrors come back onto the form next to the field at fault."""

from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import AccessibleForm

from .models import LANGUAGE_CHOICES, Organisation, User
from .pickers import OrganisationChoiceField
from .services import MAX_TOKEN_DAYS


class OrganisationForm(AccessibleForm):
    name = forms.CharField(label=_("Name"), max_length=200)
    short_name = forms.CharField(
        label=_("Short name"),
        max_length=50,
        required=False,
        help_text=_("An acronym or the name people use, e.g. “NVRD”."),
    )
    slug = forms.SlugField(
        label=_("Slug"),
        max_length=80,
        required=False,
        help_text=_(
            "Used in web addresses. Leave empty to make one from the short name or the name."
        ),
    )
    kind = forms.ChoiceField(
        label=_("Kind"), choices=[("", _("Choose…")), *Organisation.Kind.choices]
    )
    jurisdiction = forms.CharField(
        label=_("Jurisdiction or region"), max_length=120, required=False
    )
    parent = OrganisationChoiceField(
        label=_("Parent organisation"),
        scope="organisations",
        required=False,
        empty_label=_("None"),
        help_text=_("For a department or agency inside a larger government."),
    )
    website = forms.URLField(
        label=_("Website"),
        max_length=200,
        required=False,
        assume_scheme="https",
        help_text=_("The full address, e.g. https://www.example.org."),
    )
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args, parent_choices, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["parent"].queryset = parent_choices


class ContactForm(AccessibleForm):
    name = forms.CharField(label=_("Name"), max_length=150)
    title = forms.CharField(label=_("Title"), max_length=150, required=False)
    email = forms.EmailField(label=_("E-mail"), required=False)
    phone = forms.CharField(label=_("Phone"), max_length=40, required=False)
    preferred_language = forms.ChoiceField(
        label=_("Preferred language"),
        choices=[("", _("Not stated (English)")), *LANGUAGE_CHOICES],
        required=False,
        help_text=_("The language of the e-mails CollabHub sends this contact."),
    )
    is_primary = forms.BooleanField(
        label=_("Primary contact"),
        required=False,
        help_text=_("The organisation's main contact; the previous primary contact is replaced."),
    )
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)


class ApiTokenIssueForm(AccessibleForm):
    name = forms.CharField(
        label=_("Name"),
        max_length=100,
        help_text=_("What will use this token, e.g. “Reporting system”."),
    )
    write_enabled = forms.BooleanField(
        label=_("Read-write"),
        required=False,
        help_text=_(
            "Leave unticked for a read-only token. A read-write token can report progress, "
            "sign agreements and confirm attendance for the organisation."
        ),
    )
    expires_in_days = forms.IntegerField(
        label=_("Expires after (days)"),
        min_value=1,
        max_value=MAX_TOKEN_DAYS,
        required=False,
        help_text=_("Leave empty for a token that does not expire."),
    )


class PersonForm(AccessibleForm):
    first_name = forms.CharField(label=_("First name"), max_length=150, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=150, required=False)
    email = forms.EmailField(label=_("E-mail"), required=False)
    role = forms.ChoiceField(label=_("Role"), choices=User.Role.choices, initial=User.Role.STAFF)
    organisation = OrganisationChoiceField(
        label=_("Organisation"),
        scope="organisations",
        required=False,
        empty_label=_("None"),
        help_text=_("Required for staff users: the organisation they work for."),
    )
    job_title = forms.CharField(label=_("Job title"), max_length=150, required=False)

    def __init__(self, *args, organisation_choices, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = organisation_choices


class PersonCreateForm(PersonForm):
    username = forms.CharField(label=_("Username"), max_length=150)
    password = forms.CharField(
        label=_("Initial password"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        strip=False,
        help_text=_("At least 8 characters, not too common; the person can change it later."),
    )
    password_confirm = forms.CharField(
        label=_("Initial password (again)"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        strip=False,
    )

    field_order = [
        "username",
        "first_name",
        "last_name",
        "email",
        "role",
        "organisation",
        "job_title",
        "password",
        "password_confirm",
    ]

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("password") and cleaned.get("password") != cleaned.get("password_confirm"):
            self.add_error("password_confirm", _("The two passwords differ."))
        return cleaned


class PersonEditForm(PersonForm):
    is_active = forms.BooleanField(
        label=_("Can sign in"),
        required=False,
        help_text=_("Untick to switch this person's login off without deleting their history."),
    )
