"""Browser forms of the partners app. They check the shape of the input; the services check the
rules and their DomainErrors come back onto the form next to the field at fault."""

from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import AccessibleForm, model_field

from .models import ApiToken, Contact, Organisation, StaffMembership, User
from .pickers import OrganisationChoiceField
from .services import MAX_TOKEN_DAYS


class OrganisationForm(AccessibleForm):
    name = model_field(Organisation, "name")
    short_name = model_field(
        Organisation,
        "short_name",
        help_text=_("An acronym or the name people use, e.g. “NVRD”."),
    )
    slug = model_field(
        Organisation,
        "slug",
        # Optional here: the service makes one from the short name or the name.
        required=False,
        help_text=_(
            "Used in web addresses. Leave empty to make one from the short name or the name."
        ),
    )
    kind = model_field(Organisation, "kind", blank_label=_("Choose…"))
    jurisdiction = model_field(Organisation, "jurisdiction")
    parent = OrganisationChoiceField(
        label=_("Parent organisation"),
        scope="organisations",
        required=False,
        empty_label=_("None"),
        help_text=_("For a department or agency inside a larger government."),
    )
    website = model_field(
        Organisation,
        "website",
        assume_scheme="https",
        help_text=_("The full address, e.g. https://www.example.org."),
    )
    # "Active", feminine in French (une organisation active): the model's "active" is read
    # through Django's own catalogue, which says "actif".
    is_active = model_field(Organisation, "is_active", label=_("Active"))

    def __init__(self, *args, parent_choices, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["parent"].queryset = parent_choices


class ContactForm(AccessibleForm):
    name = model_field(Contact, "name")
    title = model_field(Contact, "title")
    email = model_field(Contact, "email")
    phone = model_field(Contact, "phone")
    preferred_language = model_field(
        Contact,
        "preferred_language",
        blank_label=_("Not stated (English)"),
        help_text=_("The language of the e-mails CollabHub sends this contact."),
    )
    is_primary = model_field(
        Contact,
        "is_primary",
        help_text=_("The organisation's main contact; the previous primary contact is replaced."),
    )
    is_active = model_field(Contact, "is_active")


class ApiTokenIssueForm(AccessibleForm):
    name = model_field(
        ApiToken, "name", help_text=_("What will use this token, e.g. “Reporting system”.")
    )
    write_enabled = model_field(
        ApiToken,
        "write_enabled",
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
    first_name = model_field(User, "first_name")
    # « Nom de famille » in French: Django's catalogue says « Nom » for its "last name".
    last_name = model_field(User, "last_name", label=_("Last name"))
    # Django's "email address"; CollabHub says "e-mail" everywhere.
    email = model_field(User, "email", label=_("E-mail"))
    role = model_field(User, "role")
    organisation = OrganisationChoiceField(
        label=_("Organisation"),
        scope="organisations",
        required=False,
        empty_label=_("None"),
        help_text=_("Required for staff users: the organisation they work for."),
    )
    job_title = model_field(StaffMembership, "job_title")

    def __init__(self, *args, organisation_choices, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = organisation_choices


class PersonCreateForm(PersonForm):
    # Django's own help text names its rules; the service's errors name them here.
    username = model_field(User, "username", label=_("Username"), help_text="")
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
    is_active = model_field(
        User,
        "is_active",
        label=_("Can sign in"),
        help_text=_("Untick to switch this person's login off without deleting their history."),
    )
