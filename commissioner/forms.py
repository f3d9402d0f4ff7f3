"""Browser forms of the commissioner app. They check the shape of the input; the services check
the rules, and their DomainErrors come back onto the form next to the field at fault."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.forms import AccessibleForm, model_field

from .engagement import EARLY_WARNING_FIELDS, POLICY_FIELDS
from .models import Activity, Attendance, EngagementPolicy, Flag, Intervention, Meeting
from .services.policy import out_of_limits, policy_limits


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%dT%H:%M")


class InterventionForm(AccessibleForm):
    kind = model_field(
        Intervention, "kind", label=_("Kind of intervention"), blank_label=_("Choose…")
    )
    description = model_field(
        Intervention, "description", label=_("What was done or is planned"), rows=3
    )
    due_date = model_field(
        Intervention, "due_date", help_text=_("When it should be done by, if it is planned.")
    )


class ResolveForm(AccessibleForm):
    note = model_field(
        Flag,
        "resolution_note",
        label=_("How was it resolved?"),
        # Required: resolving a flag says how.
        required=True,
        rows=3,
        help_text=_(
            "Kept with the flag. No new flag is raised while the partner stays in this band "
            "or improves."
        ),
    )


class OutcomeForm(AccessibleForm):
    # Required: the form records the outcome of an intervention.
    outcome = model_field(Intervention, "outcome", required=True, rows=2)


class CheckinForm(AccessibleForm):
    participation = model_field(
        Activity, "participation", label=_("Partner"), empty_label=_("Choose…")
    )
    description = model_field(
        Activity,
        "description",
        label=_("What was discussed"),
        # Required: a check-in says what it was about.
        required=True,
        help_text=_("A check-in counts as a sign of life from the partner."),
    )

    def __init__(self, *args, participations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["participation"].queryset = participations
        self.fields["participation"].label_from_instance = lambda p: p.organisation.name


class MeetingForm(AccessibleForm):
    title = model_field(Meeting, "title")
    held_at = model_field(
        Meeting,
        "held_at",
        label=_("Date and time"),
        widget=DateTimeInput(),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"],
        help_text=_("In the deployment's time zone."),
    )
    location = model_field(Meeting, "location")
    notes = model_field(Meeting, "notes", rows=4)

    def clean_held_at(self):
        held_at = self.cleaned_data["held_at"]
        if held_at is not None and timezone.is_naive(held_at):
            held_at = timezone.make_aware(held_at)
        return held_at


class AttendanceForm(AccessibleForm):
    """One choice per participating organisation; "not recorded" leaves it as it is."""

    def __init__(self, *args, rows, **kwargs):
        super().__init__(*args, **kwargs)
        self.rows = rows
        for row in rows:
            name = self.field_name(row.participation.pk)
            self.fields[name] = model_field(
                Attendance,
                "status",
                label=row.participation.organisation.name,
                blank_label=_("Not recorded"),
                # Not recorded leaves the partner's attendance as it is.
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
            low, high = policy_limits(name)
            # Outside its limits, one message whichever side (the services' own).
            beyond = out_of_limits(name)
            self.fields[name] = model_field(
                EngagementPolicy,
                name,
                # The values the view starts from are the policy's own, not the defaults.
                initial=None,
                # Each setting's own limits, as the services check them (and the browser's
                # number input offers), not one bound for all.
                min_value=low,
                max_value=high,
                error_messages={"min_value": beyond, "max_value": beyond},
                help_text=POLICY_HELP.get(name, ""),
                # An early-warning setting left out keeps its value (engagement/policy.py).
                required=name not in EARLY_WARNING_FIELDS,
            )
            self.fields[name].widget.attrs["class"] = "form-control"
