"""Two organisations, A ("alpha") and B ("bravo"), that share nothing: each leads its own
collaboration with its own partner organisation and has one object of every model.

Every text field of a side's objects carries that side's marker, so a test can prove that
nothing of B reaches A by searching a response for B's marker. The rows that only some people may
read carry a marker of their own as well: the organisation's engagement snapshot
(`private_marker`), its partner's snapshot (`partner_private_marker`), and its flag and
intervention (`flag_marker`), so "staff see their own snapshots, but no flags, even their own" can
be checked on every page and answer. `Side.ids` maps a resource name,
as it appears in URLs (`obligations`, `goals`, ...), to that side's object id; `resource_for`
turns a path segment or parameter name into one of these names."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db import models
from django.forms.models import model_to_dict
from django.utils import timezone

from agreements.models import Agreement, Collaboration, Participation, Role
from commissioner.models import (
    Activity,
    Attendance,
    Flag,
    SurveyRespondent,
    SurveyResponse,
    SurveyRound,
)
from commissioner.survey.services import instrument_default
from partners.models import ImportRun
from tests import factories

# Canonical resource name -> the names routes may use for it (path segments or parameters).
RESOURCE_ALIASES: dict[str, tuple[str, ...]] = {
    "organisations": ("organisation", "organization", "organizations", "orgs", "org", "parent"),
    "contacts": ("contact",),
    "users": (
        "user",
        "staff",
        "staff-members",
        "staff-member",
        "memberships",
        "membership",
        "staff-memberships",
        "staffmemberships",
        "people",
    ),
    "tokens": ("token", "api-tokens", "api-token", "apitokens", "apitoken"),
    "collaborations": ("collaboration", "collabs", "collab"),
    "participations": ("participation", "participants", "participant", "members", "member"),
    "goals": ("goal", "shared-goals", "shared-goal", "sharedgoals", "sharedgoal"),
    "measurements": ("measurement", "progress", "reports", "report"),
    "agreements": ("agreement",),
    "signatories": ("signatory", "signatures", "signature"),
    "obligations": ("obligation",),
    "meetings": ("meeting",),
    "attendances": ("attendance",),
    "activities": ("activity",),
    "snapshots": (
        "snapshot",
        "engagement-snapshots",
        "engagement-snapshot",
        "engagement",
        "engagementsnapshots",
        "scores",
        "score",
    ),
    "flags": ("flag",),
    "interventions": ("intervention",),
    "policies": ("policy", "engagement-policies", "engagement-policy", "engagementpolicies"),
    "instruments": ("instrument", "survey-instruments", "survey-instrument"),
    "rounds": ("round", "survey-rounds", "survey-round"),
    "imports": ("import", "import-runs", "import-run", "importruns"),
}
_ALIAS_TO_RESOURCE = {
    alias: resource
    for resource, aliases in RESOURCE_ALIASES.items()
    for alias in (resource, *aliases)
}


def resource_for(name: str) -> str | None:
    """The canonical resource a path segment (`shared-goals`) or a path/body parameter
    (`collaboration_pk`, `goal`, `organisation_id`) names, or None."""
    key = name.strip("{}").lower().replace("_", "-")
    for suffix in ("-pk", "-id", "-slug"):
        if key.endswith(suffix):
            key = key[: -len(suffix)]
    candidates = [key, f"{key}s", f"{key}es"]
    if key.endswith("ies"):
        candidates.append(f"{key[:-3]}y")
    if key.endswith("s"):
        candidates.append(key[:-1])
    for candidate in candidates:
        if candidate in _ALIAS_TO_RESOURCE:
            return _ALIAS_TO_RESOURCE[candidate]
    if "-" in key:
        # `lead_organisation`, `reported_by_organisation`, `signed_by_user`: the last word.
        return resource_for(key.rsplit("-", 1)[-1])
    return None


# Fields a harmless request may change: a token's last use (written at most once a minute).
VOLATILE_FIELDS = ["document", "last_used_at"]


@dataclass
class Side:
    """One organisation's private world."""

    label: str
    marker: str
    organisation: object
    partner: object  # the other organisation in this side's collaboration
    staff: object
    partner_staff: object
    commissioner: object  # commissions this side's collaboration only
    token: object
    raw_token: str
    read_only_raw_token: str
    objects: dict[str, models.Model] = field(default_factory=dict)
    # Objects owned by `partner` (its participation, obligation, signatory...): visible to this
    # side's token, never changeable by it.
    partner_objects: dict[str, models.Model] = field(default_factory=dict)

    @property
    def private_marker(self) -> str:
        """In the rows only the organisation itself, administrators and commissioners may read:
        engagement snapshots' reasons, flags and interventions."""
        return f"{self.marker}-PRIVATE"

    @property
    def partner_private_marker(self) -> str:
        """In the partner organisation's engagement snapshot: private to the partner."""
        return f"{self.marker}-PARTNER-PRIVATE"

    @property
    def flag_marker(self) -> str:
        """In the organisation's flag and intervention: for administrators and commissioners
        only, never for the organisation's own staff or token."""
        return f"{self.marker}-FLAG"

    def markers_hidden_from_staff(self, other: Side) -> list[str]:
        """What this side's staff must never read: the other side's private rows, their own
        partner's snapshot, and every flag or intervention (their own included)."""
        return [
            other.private_marker,
            other.partner_private_marker,
            other.flag_marker,
            self.partner_private_marker,
            self.flag_marker,
        ]

    @property
    def ids(self) -> dict[str, int]:
        return {name: obj.pk for name, obj in self.objects.items()}

    @property
    def slugs(self) -> dict[str, str]:
        return {name: obj.slug for name, obj in self.objects.items() if getattr(obj, "slug", None)}

    def all_ids(self, resource: str) -> set[int]:
        """Every id of this side's rows of `resource` (its own and its partner's)."""
        ids = set()
        for objects in (self.objects, self.partner_objects):
            if resource in objects:
                ids.add(objects[resource].pk)
        return ids

    def rows(self) -> list[models.Model]:
        return [*self.objects.values(), *self.partner_objects.values()]

    def fingerprint(self) -> dict:
        """Every field of every row of this side, and how many children each collaboration has:
        equal before and after a request means the request changed nothing here."""
        state = {}
        by_model: dict[type, list[int]] = {}
        for obj in self.rows():
            by_model.setdefault(type(obj), []).append(obj.pk)
        for model, pks in by_model.items():  # one query per model, not one per row
            fresh = {row.pk: row for row in model._default_manager.filter(pk__in=pks)}
            for pk in pks:
                row = fresh.get(pk)
                state[f"{model.__name__}:{pk}"] = (
                    None if row is None else model_to_dict(row, exclude=VOLATILE_FIELDS)
                )
        collaboration = self.objects["collaborations"]
        counts = Collaboration.objects.filter(pk=collaboration.pk).annotate(
            n_participations=models.Count("participations", distinct=True),
            n_goals=models.Count("goals", distinct=True),
            n_measurements=models.Count("goals__measurements", distinct=True),
            n_agreements=models.Count("agreements", distinct=True),
            n_signatories=models.Count("agreements__signatories", distinct=True),
            n_obligations=models.Count("obligations", distinct=True),
            n_meetings=models.Count("meetings", distinct=True),
            n_attendances=models.Count("meetings__attendances", distinct=True),
            n_flags=models.Count("participations__flags", distinct=True),
            n_interventions=models.Count("participations__flags__interventions", distinct=True),
            n_survey_rounds=models.Count("survey_rounds", distinct=True),
            n_survey_responses=models.Count("survey_rounds__responses", distinct=True),
            n_survey_schedules=models.Count("survey_schedule", distinct=True),
            n_snapshots=models.Count("participations__snapshots", distinct=True),
            # A token's use is recorded as activity (at most daily): not a change it made.
            n_activities=models.Count(
                "participations__activities",
                filter=~models.Q(participations__activities__kind=Activity.Kind.API_CALL),
                distinct=True,
            ),
        )
        state["counts"] = list(counts.values())
        state["contacts"] = sorted(
            self.organisation.contacts.values_list("pk", flat=True)
        ) + sorted(self.partner.contacts.values_list("pk", flat=True))
        state["tokens"] = sorted(
            self.organisation.api_tokens.values_list("pk", "revoked_at", "write_enabled")
        )
        return state


@dataclass
class World:
    a: Side
    b: Side
    administrator: object


def build_side(label: str, marker: str) -> Side:
    """An organisation with a full set of objects of every model, and a partner organisation
    that takes part in its collaboration."""
    today = timezone.localdate()
    private = f"{marker}-PRIVATE"
    flagged = f"{marker}-FLAG"
    organisation = factories.OrganisationFactory(
        name=f"{label} Municipality {marker}",
        short_name=f"{label[:3]}{marker[:4]}",
        slug=f"{label.lower()}-municipality",
        jurisdiction=f"{label} Valley {marker}",
    )
    partner = factories.OrganisationFactory(
        name=f"{label} Partner Board {marker}",
        slug=f"{label.lower()}-partner-board",
    )
    contact = factories.ContactFactory(
        organisation=organisation, name=f"{label} Contact {marker}", is_primary=True
    )
    partner_contact = factories.ContactFactory(
        organisation=partner, name=f"{label} Partner Contact {marker}"
    )
    staff = factories.staff_user(organisation, username=f"{label.lower()}-staff")
    partner_staff = factories.staff_user(partner, username=f"{label.lower()}-partner-staff")
    commissioner = factories.CommissionerFactory(
        username=f"{label.lower()}-commissioner", first_name=label, last_name="Commissioner"
    )
    token, raw = factories.api_token(organisation, write=True, name=f"{label} token {marker}")
    _, read_only_raw = factories.api_token(
        organisation, write=False, name=f"{label} read-only {marker}"
    )
    collaboration = factories.CollaborationFactory(
        title=f"{label} Shared Transit {marker}",
        slug=f"{label.lower()}-shared-transit",
        summary=f"Summary {marker}",
        shared_vision=f"Vision {marker}",
        lead_organisation=organisation,
        commissioner=commissioner,
        status=Collaboration.Status.ACTIVE,
    )
    participation = factories.ParticipationFactory(
        collaboration=collaboration, organisation=organisation, role=Role.LEAD, contact=contact
    )
    partner_participation = factories.ParticipationFactory(
        collaboration=collaboration,
        organisation=partner,
        role=Role.MEMBER,
        contact=partner_contact,
    )
    # A third member, so that withdrawing the partner leaves the consortium valid: the withdraw
    # form of the partner's participation is then one that can change something.
    factories.ParticipationFactory(
        collaboration=collaboration,
        organisation=factories.OrganisationFactory(
            name=f"{label} Observer Council {marker}", slug=f"{label.lower()}-observer-council"
        ),
        role=Role.MEMBER,
    )
    goal = factories.SharedGoalFactory(
        collaboration=collaboration,
        title=f"{label} Goal {marker}",
        indicator=f"Riders {marker}",
    )
    measurement = factories.MeasurementFactory(
        goal=goal,
        reported_by_organisation=organisation,
        evidence=f"Evidence {marker}",
        period_end=today - dt.timedelta(days=30),
    )
    partner_measurement = factories.MeasurementFactory(
        goal=goal,
        reported_by_organisation=partner,
        evidence=f"Partner evidence {marker}",
        period_end=today - dt.timedelta(days=30),
    )
    agreement = factories.AgreementFactory(
        collaboration=collaboration,
        title=f"{label} Agreement {marker}",
        status=Agreement.Status.CIRCULATING,
        circulated_on=today - dt.timedelta(days=10),
    )
    signatory = factories.SignatoryFactory(agreement=agreement, organisation=organisation)
    partner_signatory = factories.SignatoryFactory(agreement=agreement, organisation=partner)
    obligation = factories.ObligationFactory(
        collaboration=collaboration,
        organisation=organisation,
        agreement=agreement,
        description=f"{label} contribution {marker}",
    )
    partner_obligation = factories.ObligationFactory(
        collaboration=collaboration,
        organisation=partner,
        agreement=agreement,
        description=f"{label} partner contribution {marker}",
    )
    meeting = factories.MeetingFactory(
        collaboration=collaboration,
        title=f"{label} Steering {marker}",
        notes=f"Notes {marker}",
        location=f"Hall {marker}",
    )
    attendance = factories.AttendanceFactory(
        meeting=meeting, participation=participation, status=Attendance.Status.PRESENT
    )
    partner_attendance = factories.AttendanceFactory(
        meeting=meeting, participation=partner_participation, status=Attendance.Status.ABSENT
    )
    activity = factories.ActivityFactory(
        participation=participation, description=f"Check-in {marker}"
    )
    snapshot = factories.EngagementSnapshotFactory(
        participation=participation, reasons=[f"no activity in 63 days {private}"]
    )
    partner_snapshot = factories.EngagementSnapshotFactory(
        participation=partner_participation, reasons=[f"missed meetings {marker}-PARTNER-PRIVATE"]
    )
    flag = factories.FlagFactory(
        participation=participation,
        status=Flag.Status.OPEN,
        reasons=[f"no activity in 63 days {flagged}"],
    )
    intervention = factories.InterventionFactory(
        flag=flag, description=f"Called the CAO {flagged}", outcome=f"Outcome {flagged}"
    )
    policy = factories.EngagementPolicyFactory(collaboration=collaboration)
    # A survey round open today: the organisation's own answers (a draft) and its partner's
    # (submitted, with a comment only the partner and commissioners may read: the round does not
    # share answers).
    instrument = instrument_default()
    survey_round = SurveyRound.objects.create(
        collaboration=collaboration,
        instrument=instrument,
        opened_on=today - dt.timedelta(days=1),
        closes_on=today + dt.timedelta(days=30),
    )
    for who, whose_contact, comment, submitted in (
        (organisation, contact, f"Survey comment {marker}", None),
        (partner, partner_contact, f"Survey {marker}-PARTNER-PRIVATE", timezone.now()),
    ):
        respondent = SurveyRespondent.objects.create(
            round=survey_round,
            organisation=who,
            contact=whose_contact,
            email=whose_contact.email,
            link_nonce="trust",
        )
        SurveyResponse.objects.create(
            round=survey_round,
            organisation=who,
            respondent=respondent,
            comments={"trust": comment},
            submitted_at=submitted,
        )
    # A CSV import of contacts, checked and ready: only administrators may see or confirm it.
    import_run = ImportRun.objects.create(
        kind=ImportRun.Kind.CONTACTS,
        status=ImportRun.Status.READY,
        filename=f"{label.lower()}-contacts-{marker}.csv",
        rows=[[2, {"organisation": organisation.slug, "name": f"{label} Imported {marker}"}]],
        row_count=1,
    )
    objects = {
        "organisations": organisation,
        "contacts": contact,
        "users": staff,
        "tokens": token,
        "collaborations": collaboration,
        "participations": participation,
        "goals": goal,
        "measurements": measurement,
        "agreements": agreement,
        "signatories": signatory,
        "obligations": obligation,
        "meetings": meeting,
        "attendances": attendance,
        "activities": activity,
        "snapshots": snapshot,
        "flags": flag,
        "interventions": intervention,
        "policies": policy,
        # The published instrument is shared by everyone (apiwalk.SHARED_RESOURCES).
        "instruments": instrument,
        "rounds": survey_round,
        "imports": import_run,
    }
    partner_objects = {
        "organisations": partner,
        "contacts": partner_contact,
        "users": partner_staff,
        "participations": partner_participation,
        "measurements": partner_measurement,
        "signatories": partner_signatory,
        "obligations": partner_obligation,
        "attendances": partner_attendance,
        "snapshots": partner_snapshot,
    }
    assert set(objects) == set(RESOURCE_ALIASES), "every resource needs an object"
    return Side(
        label=label,
        marker=marker,
        organisation=organisation,
        partner=partner,
        staff=staff,
        partner_staff=partner_staff,
        commissioner=commissioner,
        token=token,
        raw_token=raw,
        read_only_raw_token=read_only_raw,
        objects=objects,
        partner_objects=partner_objects,
    )


def build_world() -> World:
    # A is built first so B's ids are larger: an id that leaks is never A's by coincidence.
    a = build_side("Alpha", "ALPHAMARK")
    b = build_side("Bravo", "BRAVOSECRET")
    administrator = factories.AdministratorFactory(username="trust-admin")
    assert not Participation.objects.filter(
        collaboration__in=[a.objects["collaborations"]],
        organisation__in=[b.organisation, b.partner],
    ).exists()
    return World(a=a, b=b, administrator=administrator)
