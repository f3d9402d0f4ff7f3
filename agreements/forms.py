"""Browser forms of the agreements app. They check the shape of the input; the services check the
rules, and their DomainErrors come back onto the form next to the field at fault."""

from django import forms
from django.utils.translation import gettext_lazy as _

from core.errors import DomainError
from core.fields import MAX_AMOUNT
from core.forms import AccessibleForm
from partners.models import Contact, Organisation
from partners.pickers import OrganisationChoiceField, UserChoiceField

from .documents import check_agreement_document, max_upload_megabytes
from .models import Agreement, Obligation, Participation, SharedGoal, Structure
from .structures import role_choices


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


def _amount_field(label, *, required=True, help_text=""):
    return forms.DecimalField(
        label=label,
        max_digits=14,
        decimal_places=2,
        max_value=MAX_AMOUNT,
        min_value=-MAX_AMOUNT,
        required=required,
        help_text=help_text,
    )


class AgreementsForm(AccessibleForm):
    """Multiple-checkbox fields get Bootstrap's check classes rather than form-control."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if isinstance(field.widget, forms.CheckboxSelectMultiple):
                field.widget.attrs["class"] = "form-check-input"


class CollaborationForm(AgreementsForm):
    # Title, summary and shared vision: one field per language (add_versions, below).
    slug = forms.SlugField(
        label=_("Slug"),
        max_length=80,
        required=False,
        help_text=_("Used in web addresses. Leave empty to make one from the title."),
    )
    structure = forms.ChoiceField(
        label=_("Structure"),
        choices=[("", _("Choose…")), *Structure.choices],
        help_text=_("Which collaborative model this is; each has its own roles and rules."),
    )
    lead_organisation = OrganisationChoiceField(label=_("Lead organisation"), scope="lead")
    commissioner = UserChoiceField(
        label=_("Commissioner"),
        scope="commissioners",
        required=False,
        empty_label=_("None"),
        help_text=_("The Collaboration Commissioner who watches this partnership."),
    )
    start_date = forms.DateField(label=_("Start date"), required=False, widget=DateInput())
    planned_end_date = forms.DateField(
        label=_("Planned end date"), required=False, widget=DateInput()
    )

    def __init__(self, *args, lead_choices, commissioner_choices, collaboration=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.add_versions("title", _("Title"), before="slug", max_length=200, one_required=True)
        self.add_versions(
            "summary",
            _("Summary"),
            before="start_date",
            max_length=20_000,
            widget=forms.Textarea(attrs={"rows": 3}),
        )
        self.add_versions(
            "shared_vision",
            _("Shared vision"),
            before="start_date",
            max_length=20_000,
            widget=forms.Textarea(attrs={"rows": 4}),
            help_text=_("What the partners want to achieve together, in their own words."),
        )
        self.fields["lead_organisation"].queryset = lead_choices
        self.fields["commissioner"].queryset = commissioner_choices
        if collaboration is not None:
            # Editing: the lead is one of the organisations taking part.
            self.fields["lead_organisation"].scope = "participants"
            self.fields["lead_organisation"].scope_params = {"collaboration": collaboration.slug}

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start_date"), cleaned.get("planned_end_date")
        if start and end and end < start:
            self.add_error(
                "planned_end_date", _("The planned end date cannot be before the start date.")
            )
        return cleaned


class StatusForm(AgreementsForm):
    status = forms.ChoiceField(label=_("New status"))

    def __init__(self, *args, choices, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [("", _("Choose…")), *choices]


class ParticipationForm(AgreementsForm):
    organisation = OrganisationChoiceField(label=_("Organisation"), scope="new-participants")
    role = forms.ChoiceField(label=_("Role"))
    status = forms.ChoiceField(
        label=_("Status"),
        choices=[
            (Participation.Status.ACTIVE, Participation.Status.ACTIVE.label),
            (Participation.Status.INVITED, Participation.Status.INVITED.label),
        ],
        initial=Participation.Status.ACTIVE,
    )
    contact = forms.ModelChoiceField(
        label=_("Named contact"),
        queryset=Contact.objects.none(),
        required=False,
        empty_label=_("The organisation's primary contact"),
        help_text=_("Who speaks for the organisation in this collaboration."),
    )
    joined_on = forms.DateField(
        label=_("Joined on"), required=False, widget=DateInput(), help_text=_("Today if empty.")
    )

    def __init__(
        self,
        *args,
        structure,
        organisation_choices=None,
        contact_choices,
        collaboration=None,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = [("", _("Choose…")), *role_choices(structure)]
        if organisation_choices is None:
            del self.fields["organisation"]
        else:
            self.fields["organisation"].queryset = organisation_choices
            if collaboration is not None:
                self.fields["organisation"].scope_params = {"collaboration": collaboration.slug}
        self.fields["contact"].queryset = contact_choices


class WithdrawForm(AgreementsForm):
    left_on = forms.DateField(
        label=_("Left on"), required=False, widget=DateInput(), help_text=_("Today if empty.")
    )


class GoalForm(AgreementsForm):
    # Title and indicator: one field per language (add_versions, below).
    unit = forms.CharField(
        label=_("Unit"), max_length=50, help_text=_("e.g. households, %, tonnes")
    )
    baseline = _amount_field(_("Baseline"))
    target = _amount_field(_("Target"))
    target_date = forms.DateField(label=_("Target date"), required=False, widget=DateInput())
    cadence = forms.ChoiceField(
        label=_("Reporting cadence"),
        choices=SharedGoal.Cadence.choices,
        initial=SharedGoal.Cadence.QUARTERLY,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.add_versions("title", _("Title"), before="unit", max_length=200, one_required=True)
        self.add_versions(
            "indicator",
            _("Indicator"),
            before="unit",
            max_length=200,
            one_required=True,
            help_text=_("What is measured, e.g. “Households with curbside organics collection”."),
        )

    def clean(self):
        cleaned = super().clean()
        if (
            cleaned.get("target") is not None
            and cleaned.get("baseline") is not None
            and cleaned["target"] == cleaned["baseline"]
        ):
            self.add_error(
                "target",
                _("The target must differ from the baseline, or there is no progress to measure."),
            )
        return cleaned


class MeasurementForm(AgreementsForm):
    value = _amount_field(_("Value"))
    period_end = forms.DateField(label=_("Period ending"), widget=DateInput())
    reported_by_organisation = forms.ModelChoiceField(
        label=_("Reported by"), queryset=Organisation.objects.none(), empty_label=_("Choose…")
    )
    evidence = forms.CharField(
        label=_("Evidence note"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text=_("Where the figure comes from, e.g. “Q3 collection report, page 4”."),
    )

    def __init__(self, *args, organisation_choices=None, **kwargs):
        super().__init__(*args, **kwargs)
        if organisation_choices is None:
            del self.fields["reported_by_organisation"]
        else:
            self.fields["reported_by_organisation"].queryset = organisation_choices


class MeasurementCorrectForm(AgreementsForm):
    value = _amount_field(_("Corrected value"))
    period_end = forms.DateField(label=_("Period ending"), widget=DateInput())
    reason = forms.CharField(
        label=_("Reason for the correction"),
        max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Kept in the measurement's history, e.g. “Typo: 1,250 not 125”."),
    )

    def clean(self):
        cleaned = super().clean()
        if (
            not self.errors
            and cleaned.get("value") == self.initial.get("value")
            and cleaned.get("period_end") == self.initial.get("period_end")
        ):
            raise forms.ValidationError(
                _("Change the value, the period end or both: this is what was reported.")
            )
        return cleaned


class MeasurementWithdrawForm(AgreementsForm):
    reason = forms.CharField(
        label=_("Reason for the withdrawal"),
        max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Why it was reported in error; kept in the measurement's history."),
    )


class AgreementForm(AgreementsForm):
    title = forms.CharField(label=_("Title"), max_length=200)
    kind = forms.ChoiceField(label=_("Kind"), choices=[("", _("Choose…")), *Agreement.Kind.choices])
    version = forms.IntegerField(label=_("Version"), min_value=1, max_value=1000, initial=1)
    effective_date = forms.DateField(
        label=_("Effective date"),
        required=False,
        widget=DateInput(),
        help_text=_("Leave empty: the agreement takes effect the day the last signatory signs."),
    )
    expiry_date = forms.DateField(label=_("Expiry date"), required=False, widget=DateInput())
    renewal_notice_days = forms.IntegerField(
        label=_("Renewal notice period (days)"), min_value=0, max_value=3650, initial=90
    )
    document = forms.FileField(
        label=_("Document"),
        required=False,
        widget=forms.ClearableFileInput(
            attrs={
                "accept": ".pdf,.docx,.odt,application/pdf,"
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document,"
                "application/vnd.oasis.opendocument.text"
            }
        ),
    )
    signatory_organisations = forms.ModelMultipleChoiceField(
        label=_("Signatories"),
        queryset=Organisation.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("The participating organisations that must sign."),
    )

    def __init__(self, *args, signatory_choices, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["signatory_organisations"].queryset = signatory_choices
        self.fields["document"].help_text = _("PDF, DOCX or ODT, at most %(size)s MB.") % {
            "size": max_upload_megabytes()
        }
        # A cleared file input would delete the document; replacing it is the only change.
        self.fields["document"].widget = forms.FileInput(attrs=self.fields["document"].widget.attrs)

    def clean_document(self):
        document = self.cleaned_data.get("document")
        if document:
            try:
                check_agreement_document(document)
            except DomainError as error:
                raise forms.ValidationError(error.message) from error
        return document

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("effective_date"), cleaned.get("expiry_date")
        if start and end and end < start:
            self.add_error("expiry_date", _("The expiry date cannot be before the effective date."))
        return cleaned


class SignForm(AgreementsForm):
    organisation = forms.ModelChoiceField(
        label=_("Signing organisation"),
        queryset=Organisation.objects.none(),
        empty_label=_("Choose…"),
    )
    signed_by_name = forms.CharField(
        label=_("Signed by"),
        max_length=150,
        required=False,
        help_text=_("The name of the person who signed; yours if empty."),
    )
    signed_by_title = forms.CharField(
        label=_("Signer's title"),
        max_length=150,
        required=False,
        help_text=_("For example: Chief Administrative Officer."),
    )
    signed_on = forms.DateField(
        label=_("Signed on"),
        required=False,
        widget=DateInput(),
        help_text=_(
            "For a signature made on paper: the day it was signed (not in the future, not before "
            "the agreement circulated). Today if empty."
        ),
    )

    def __init__(self, *args, organisation_choices, paper=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = organisation_choices
        if not paper:
            # Only a manager records a signature made on paper; anyone else's is dated now.
            del self.fields["signed_on"]


class ObligationForm(AgreementsForm):
    organisation = forms.ModelChoiceField(label=_("Owed by"), queryset=Organisation.objects.none())
    kind = forms.ChoiceField(
        label=_("Kind"), choices=[("", _("Choose…")), *Obligation.Kind.choices]
    )
    description = forms.CharField(label=_("Description"), max_length=300)
    quantity = forms.DecimalField(
        label=_("Quantity"),
        max_digits=14,
        decimal_places=2,
        min_value=0,
        max_value=MAX_AMOUNT,
        required=False,
    )
    unit = forms.ChoiceField(
        label=_("Unit"), choices=[("", _("None")), *Obligation.Unit.choices], required=False
    )
    due_date = forms.DateField(label=_("Due date"), widget=DateInput())
    agreement = forms.ModelChoiceField(
        label=_("Under the agreement"),
        queryset=Agreement.objects.none(),
        required=False,
        empty_label=_("None"),
    )

    def __init__(self, *args, organisation_choices, agreement_choices, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = organisation_choices
        self.fields["agreement"].queryset = agreement_choices

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("quantity") is not None and not cleaned.get("unit"):
            self.add_error(
                "unit", _("Give the unit of the quantity: dollars, hours, FTE or items.")
            )
        return cleaned


DOCUMENT_ACCEPT = (
    ".pdf,.docx,.odt,application/pdf,"
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document,"
    "application/vnd.oasis.opendocument.text"
)


class MarkMetForm(AgreementsForm):
    evidence = forms.CharField(
        label=_("Evidence"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("How it was met, e.g. a payment reference or the report's title and date."),
    )
    # Labels that do not repeat "Evidence", so the description's label stays unique.
    evidence_url = forms.URLField(
        label=_("Web link"),
        max_length=500,
        required=False,
        assume_scheme="https",
        help_text=_("Optional: where the proof can be read online (http or https)."),
    )
    evidence_file = forms.FileField(
        label=_("Supporting document"),
        required=False,
        widget=forms.FileInput(attrs={"accept": DOCUMENT_ACCEPT}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["evidence_file"].help_text = _(
            "Optional: a PDF, DOCX or ODT document, at most %(size)s MB."
        ) % {"size": max_upload_megabytes()}

    def clean_evidence_file(self):
        upload = self.cleaned_data.get("evidence_file")
        if upload:
            try:
                check_agreement_document(upload)
            except DomainError as error:
                raise forms.ValidationError(error.message) from error
        return upload


class WaiveForm(AgreementsForm):
    reason = forms.CharField(
        label=_("Reason"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Why the organisation no longer owes this."),
    )
