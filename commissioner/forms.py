"""Browser forms of the commissioner app. They check the shape of the input; the services check
the rules, and their DomainErrors come back onto the form next to the field at fault."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.forms import AccessibleForm

from .engagement import EARLY_WARNING_FIELDS, POLICY_FIELDS
from .models import Attendance, EngagementPolicy, Intervention


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%dT%H:%M")


class InterventionForm(AccessibleForm):
    kind = forms.ChoiceField(
        label=_("Kind of intervention"),
        choices=[("", _("Choose…")), *Intervention.Kind.choices],
    )
    description = forms.CharField(
        label=_("What was done or is planned"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    due_date = forms.DateField(
        label=_("Due date"),
        required=False,
        widget=DateInput(),
        help_text=_("When it should be done by, if it is planned."),
    )


class ResolveForm(AccessibleForm):
    note = forms.CharField(
        label=_("How was it resolved?"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "Kept with the flag. No new flag is raised while the partner stays in this band "
            "or improves."
        ),
    )


class OutcomeForm(AccessibleForm):
    outcome = forms.CharField(
        label=_("Outcome"), max_length=5000, widget=forms.Textarea(attrs={"rows": 2})
    )


class CheckinForm(AccessibleForm):
    participation = forms.ModelChoiceField(
        label=_("Partner"), queryset=None, empty_label=_("Choose…")
    )
    description = forms.CharField(
        label=_("What was discussed"),
        max_length=300,
        help_text=_("A check-in counts as a sign of life from the partner."),
    )

    def __init__(self, *args, participations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["participation"].queryset = participations
        self.fields["participation"].label_from_instance = lambda p: p.organisation.name


class MeetingForm(AccessibleForm):
    title = forms.CharField(label=_("Title"), max_length=200)
    held_at = forms.DateTimeField(
        label=_("Date and time"),
        widget=DateTimeInput(),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"],
        help_text=_("In the deployment's time zone."),
    )
    location = forms.CharField(label=_("Location"), max_length=200, required=False)
    notes = forms.CharField(
        label=_("Notes"), max_length=5000, required=False, widget=forms.Textarea(attrs={"rows": 4})
    )

    def clean_held_at(self):
        held_at = self.cleaned_data["held_at"]
        if held_at is not None and timezone.is_naive(held_at):
            held_at = timezone.make_aware(held_at)
        return held_at


ATTENDANCE_CHOICES = [("", _("Not recorded")), *Attendance.Status.choices]


class AttendanceForm(AccessibleForm):
    """One choice per participating organisation; "not recorded" leaves it as it is."""

    def __init__(self, *args, rows, **kwargs):
        super().__init__(*args, **kwargs)
        self.rows = rows
        for row in rows:
            name = self.field_name(row.participation.pk)
            self.fields[name] = forms.ChoiceField(
                label=row.participation.organisation.name,
                choices=ATTENDANCE_CHOICES,
                required=False,
                initial=row.attendance.status if row.attendance else "",
            )
            self.fields[name].widget.attrs["class"] = "form-select"
            if row.attendance and row.attendance.confirmed_by_partner:
                self.fields[name].help_text = _("Confirmed by the partner.")

    @staticmethod
    def field_name(participation_id: int) -> str:
        return f"participation_{participation_id}"

    def statuses(self) -> dict[int, str]:
        return {
            row.participation.pk: self.cleaned_data.get(self.field_name(row.participation.pk), "")
            for row in self.rows
        }


POLICY_HELP = {
    "window_days": _("How many days back the scan looks at meetings, obligations and reports."),
    "engaged_min": _("A score from this number up is engaged."),
    "at_risk_min": _("A score from this number up (and below the engaged band) is at risk."),
    "inactivity_days": _("After this many days without any activity, recency scores zero."),
    "overdue_grace_days": _("An obligation this many days late counts as fully late."),
}


class PolicyForm(AccessibleForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in POLICY_FIELDS:
            model_field = EngagementPolicy._meta.get_field(name)
            self.fields[name] = forms.IntegerField(
                label=str(model_field.verbose_name).capitalize(),
                min_value=0,
                max_value=1000,
                help_text=POLICY_HELP.get(name, ""),
                required=name not in EARLY_WARNING_FIELDS,
            )
            self.fields[name].widget.attrs["class"] = "form-control"
