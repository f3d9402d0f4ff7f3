"""Browser forms of the agreements app. They check the shape of the input; the services check the
rules, and their DomainErrors come back onto the form next to the field at fault."""

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from core.errors import DomainError
from core.forms import AccessibleForm, DateInput, model_field
from partners.models import Organisation
from partners.pickers import OrganisationChoiceField, UserChoiceField

from .documents import check_agreement_document, max_upload_megabytes
from .models import (
    Agreement,
    Collaboration,
    Measurement,
    Obligation,
    Participation,
    SharedGoal,
    Signatory,
)
from .structures import role_choices

CHOOSE = _("Choose…")
STARTING_STATUSES = (Participation.Status.ACTIVE, Participation.Status.INVITED)


class AgreementsForm(AccessibleForm):
    """Multiple-checkbox fields get Bootstrap's check classes rather than form-control."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if isinstance(field.widget, forms.CheckboxSelectMultiple):
                field.widget.attrs["class"] = "form-check-input"


class CollaborationForm(AgreementsForm):
    # Title, summary and shared vision: one field per language (add_versions, below).
    slug = model_field(
        Collaboration,
        "slug",
        # Optional here: the service makes one from the title.
        required=False,
        help_text=_("Used in web addresses. Leave empty to make one from the title."),
    )
    structure = model_field(
        Collaboration,
        "structure",
        blank_label=CHOOSE,
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
    start_date = model_field(Collaboration, "start_date")
    planned_end_date = model_field(Collaboration, "planned_end_date")

    def __init__(self, *args, lead_choices, commissioner_choices, collaboration=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.add_versions(Collaboration, "title", before="slug", one_required=True)
        self.add_versions(Collaboration, "summary", before="start_date", rows=3)
        self.add_versions(
            Collaboration,
            "shared_vision",
            before="start_date",
            rows=4,
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
        self.fields["status"].choices = [("", CHOOSE), *choices]


class ParticipationForm(AgreementsForm):
    organisation = OrganisationChoiceField(label=_("Organisation"), scope="new-participants")
    # The structure's roles only (set in __init__).
    role = model_field(Participation, "role")
    status = model_field(
        Participation,
        "status",
        # A participation starts active or invited; withdrawing is its own form.
        choices=[(status, status.label) for status in STARTING_STATUSES],
    )
    contact = model_field(
        Participation,
        "contact",
        empty_label=_("The organisation's primary contact"),
        help_text=_("Who speaks for the organisation in this collaboration."),
    )
    joined_on = model_field(
        Participation,
        "joined_on",
        # Optional here: the service takes today.
        required=False,
        help_text=_("Today if empty."),
    )
    # Shown only when the named contact is no longer active and is named elsewhere (__init__).
    everywhere = forms.BooleanField(required=False, initial=True)

    def __init__(
        self,
        *args,
        structure,
        organisation_choices=None,
        contact_choices,
        collaboration=None,
        departed=None,
        named_elsewhere=(),
        **kwargs,
    ):
        """`departed`: the named contact when no longer active; `named_elsewhere`: the other
        participations still naming it that a successor can be named in (handover_candidates)."""
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = [("", CHOOSE), *role_choices(structure)]
        if departed is not None:
            self.fields["contact"].help_text = _(
                "%(name)s, named here, is no longer an active contact: choose who speaks for "
                "the organisation now."
            ) % {"name": departed.name}
        if departed is None or not named_elsewhere:
            del self.fields["everywhere"]
        else:
            titles = [p.collaboration.title for p in named_elsewhere]
            self.fields["everywhere"].label = ngettext(
                "Name them in place of %(name)s in the other collaboration that still names "
                "%(name)s too",
                "Name them in place of %(name)s in the %(count)d other collaborations that "
                "still name %(name)s too",
                len(titles),
            ) % {"name": departed.name, "count": len(titles)}
            shown = ", ".join(titles[:5])
            if len(titles) > 5:
                shown = _("%(titles)s and %(count)d more") % {
                    "titles": shown,
                    "count": len(titles) - 5,
                }
            self.fields["everywhere"].help_text = shown
        if organisation_choices is None:
            del self.fields["organisation"]
        else:
            self.fields["organisation"].queryset = organisation_choices
            if collaboration is not None:
                self.fields["organisation"].scope_params = {"collaboration": collaboration.slug}
        self.fields["contact"].queryset = contact_choices


class WithdrawForm(AgreementsForm):
    left_on = model_field(Participation, "left_on", help_text=_("Today if empty."))


class GoalForm(AgreementsForm):
    # Title and indicator: one field per language (add_versions, below).
    unit = model_field(SharedGoal, "unit", help_text=_("e.g. households, %, tonnes"))
    # Asked for, not suggested: the model's 0 is for rows made without a baseline (the API's).
    baseline = model_field(SharedGoal, "baseline", initial=None)
    target = model_field(SharedGoal, "target")
    target_date = model_field(SharedGoal, "target_date")
    cadence = model_field(SharedGoal, "cadence")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.add_versions(SharedGoal, "title", before="unit", one_required=True)
        self.add_versions(
            SharedGoal,
            "indicator",
            before="unit",
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
    value = model_field(Measurement, "value")
    period_end = model_field(Measurement, "period_end")
    reported_by_organisation = model_field(
        Measurement, "reported_by_organisation", label=_("Reported by"), empty_label=CHOOSE
    )
    evidence = model_field(
        Measurement,
        "evidence",
        rows=3,
        help_text=_("Where the figure comes from, e.g. “Q3 collection report, page 4”."),
    )

    def __init__(self, *args, organisation_choices=None, **kwargs):
        super().__init__(*args, **kwargs)
        if organisation_choices is None:
            del self.fields["reported_by_organisation"]
        else:
            self.fields["reported_by_organisation"].queryset = organisation_choices


class MeasurementCorrectForm(AgreementsForm):
    value = model_field(Measurement, "value", label=_("Corrected value"))
    period_end = model_field(Measurement, "period_end")
    reason = model_field(
        Measurement,
        "correction_reason",
        # Required: a correction says why.
        required=True,
        rows=3,
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
    reason = model_field(
        Measurement,
        "withdrawn_reason",
        # Required: a withdrawal says why.
        required=True,
        rows=3,
        help_text=_("Why it was reported in error; kept in the measurement's history."),
    )


class AgreementForm(AgreementsForm):
    title = model_field(Agreement, "title")
    kind = model_field(Agreement, "kind", blank_label=CHOOSE)
    # Bounds of the input's shape: a version numbered from 1, a notice of at most ten years.
    version = model_field(Agreement, "version", min_value=1, max_value=1000)
    effective_date = model_field(
        Agreement,
        "effective_date",
        help_text=_("Leave empty: the agreement takes effect the day the last signatory signs."),
    )
    expiry_date = model_field(Agreement, "expiry_date")
    renewal_notice_days = model_field(Agreement, "renewal_notice_days", max_value=3650)
    document = model_field(
        Agreement,
        "document",
        # The column's length bounds the stored path, which the storage shortens to fit: a long
        # file name is not refused.
        max_length=None,
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
    organisation = model_field(
        Signatory, "organisation", label=_("Signing organisation"), empty_label=CHOOSE
    )
    signed_by_name = model_field(
        Signatory,
        "signed_by_name",
        help_text=_("The name of the person who signed; yours if empty."),
    )
    signed_by_title = model_field(
        Signatory, "signed_by_title", help_text=_("For example: Chief Administrative Officer.")
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
    organisation = model_field(Obligation, "organisation", label=_("Owed by"))
    kind = model_field(Obligation, "kind", blank_label=CHOOSE)
    description = model_field(Obligation, "description")
    # Not negative (the model's obligation_quantity_not_negative constraint).
    quantity = model_field(Obligation, "quantity", min_value=0)
    unit = model_field(Obligation, "unit", blank_label=_("None"))
    due_date = model_field(Obligation, "due_date")
    agreement = model_field(
        Obligation, "agreement", label=_("Under the agreement"), empty_label=_("None")
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
    evidence = model_field(
        Obligation,
        "evidence",
        # Required: marking met says how.
        required=True,
        rows=4,
        help_text=_("How it was met, e.g. a payment reference or the report's title and date."),
    )
    # Labels that do not repeat "Evidence", so the description's label stays unique.
    evidence_url = model_field(
        Obligation,
        "evidence_url",
        label=_("Web link"),
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
    # Kept as the obligation's evidence (agreements.services.obligation_waive).
    reason = model_field(
        Obligation,
        "evidence",
        label=_("Reason"),
        # Required: a waiver says why.
        required=True,
        rows=3,
        help_text=_("Why the organisation no longer owes this."),
    )
