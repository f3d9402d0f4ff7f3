"""Demo collaborations for `manage.py seed_demo` (idempotent): one of each structure among the
partners demo's organisations, active and valid for its structure, with goals and a year of
measurements, agreements (most in force, one waiting for a signature) and obligations (some met,
some overdue, some due within two weeks). The coast's partnership is written in English and
French; Beaulac's fire-service consortium, still forming, in French only (docs/translations.md).

The demo writes rows directly, with the dates a year of real use would have left (a service
would stamp everything "now"), and records the partners' signs of life (measurements reported,
obligations met, agreements signed) as Activity at those dates, as the services would have.
Goals are set when their collaboration starts and every member reports on each of them every
period, as the engagement scan expects (docs/engagement.md), except the partners of the
commissioner's story that have stopped reporting."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.utils import timezone

from core.events import PartnerActed, publish
from partners.models import Organisation, User

from .models import (
    Agreement,
    Collaboration,
    Measurement,
    Obligation,
    Participation,
    Role,
    SharedGoal,
    Signatory,
    Structure,
)


@dataclass
class GoalSpec:
    title: str  # in English ("" for a goal its partners write in French only)
    indicator: str
    unit: str
    baseline: str
    target: str
    # One value per reporting period, oldest first, ending with the latest complete period.
    values: list[str]
    cadence: str = SharedGoal.Cadence.MONTHLY
    target_months: int = 18
    title_fr: str = ""
    indicator_fr: str = ""


@dataclass
class AgreementSpec:
    title: str
    kind: str
    signatories: tuple[str, ...]
    # Slugs of the signatories that have not signed (the agreement then still circulates).
    unsigned: tuple[str, ...] = ()
    signed_months_ago: int = 11
    years: int = 3
    version: int = 1


@dataclass
class ObligationSpec:
    organisation: str
    kind: str
    description: str
    # Days from today: negative is in the past.
    due_in_days: int
    quantity: str | None = None
    unit: str = ""
    met_days_after_due: int | None = None  # None: still pending
    evidence: str = ""
    agreement: int | None = 0  # index into the collaboration's agreements, None for none


@dataclass
class CollaborationSpec:
    """Title, summary and vision in English; their French versions where the partners write
    French too (the coast is bilingual; Beaulac's partners write French only)."""

    slug: str
    title: str
    structure: str
    summary: str
    vision: str
    members: list[tuple[str, str]]  # (organisation slug, role); the first one leads
    goals: list[GoalSpec] = field(default_factory=list)
    agreements: list[AgreementSpec] = field(default_factory=list)
    obligations: list[ObligationSpec] = field(default_factory=list)
    started_months_ago: int = 14
    years: int = 4
    # Every member reports on every goal each period (docs/engagement.md), except these: slug ->
    # how many days ago it stopped reporting (a partner drifting away stops reporting too).
    stopped_reporting: dict[str, int] = field(default_factory=dict)
    title_fr: str = ""
    summary_fr: str = ""
    vision_fr: str = ""
    status: str = Collaboration.Status.ACTIVE


# The demo's content is data, in demo_data.json next to this module: one object per
# collaboration with the fields of the specs above (a field left out takes its default; a member
# is {"organisation": slug, "role": role}) and the choices as their stored values ("consortium",
# "lead", "deliverable"). The coast's partnership gives every text in English and French;
# Beaulac's fire-service consortium, still forming, in French only (its English texts are "": an
# English reader sees the French, marked as such), and nothing is measured or scanned there yet.
DATA_FILE = Path(__file__).with_name("demo_data.json")


def _goal(data: dict[str, Any]) -> GoalSpec:
    cadence = SharedGoal.Cadence(data.get("cadence", SharedGoal.Cadence.MONTHLY))
    return GoalSpec(**data | {"cadence": cadence})


def _agreement(data: dict[str, Any]) -> AgreementSpec:
    return AgreementSpec(
        **data
        | {
            "kind": Agreement.Kind(data["kind"]),
            "signatories": tuple(data["signatories"]),
            "unsigned": tuple(data.get("unsigned", ())),
        }
    )


def _obligation(data: dict[str, Any]) -> ObligationSpec:
    unit = data.get("unit", "")
    return ObligationSpec(
        **data
        | {"kind": Obligation.Kind(data["kind"]), "unit": Obligation.Unit(unit) if unit else ""}
    )


def _collaboration(data: dict[str, Any]) -> CollaborationSpec:
    return CollaborationSpec(
        **data
        | {
            "structure": Structure(data["structure"]),
            "status": Collaboration.Status(data.get("status", Collaboration.Status.ACTIVE)),
            "members": [
                (member["organisation"], Role(member["role"])) for member in data["members"]
            ],
            "goals": [_goal(goal) for goal in data.get("goals", [])],
            "agreements": [_agreement(agreement) for agreement in data.get("agreements", [])],
            "obligations": [_obligation(obligation) for obligation in data.get("obligations", [])],
        }
    )


def load(path: Path = DATA_FILE) -> list[CollaborationSpec]:
    """The demo collaborations described in `path` (demo_data.json by default)."""
    return [_collaboration(data) for data in json.loads(path.read_text(encoding="utf-8"))]


COLLABORATIONS = load()


def _months_ago(today: dt.date, months: int) -> dt.date:
    """The last day of the month `months` before today's month (after it when negative)."""
    year, month_index = divmod(today.year * 12 + today.month - 1 - months, 12)
    month = month_index + 1
    first_of_next = dt.date(year + (month == 12), month % 12 + 1, 1)
    return first_of_next - dt.timedelta(days=1)


def _period_ends(today: dt.date, count: int, cadence: str) -> list[dt.date]:
    step = {
        SharedGoal.Cadence.MONTHLY: 1,
        SharedGoal.Cadence.QUARTERLY: 3,
        SharedGoal.Cadence.YEARLY: 12,
    }[cadence]
    return [_months_ago(today, step * (count - index)) for index in range(count)]


def _at(day: dt.date, hour: int = 10) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, 0)))


def _sign_of_life(collaboration, organisation, kind, description, when, who) -> None:
    publish(
        PartnerActed(
            collaboration_id=collaboration.pk,
            organisation_id=organisation.pk,
            kind=kind,
            description=description,
            occurred_at=when,
            recorded_by=who,
        )
    )


def _report(collaboration, goal, goal_spec, reporter, period_end, value, reported_on) -> None:
    reported_at = _at(reported_on, 9)
    Measurement.objects.create(
        goal=goal,
        value=Decimal(value),
        period_end=period_end,
        reported_by_organisation=reporter,
        evidence=f"{goal_spec.indicator}: {reporter.short_name or reporter.name} "
        f"report for the period ending {period_end:%B %Y}",
        reported_at=reported_at,
    )
    _sign_of_life(
        collaboration,
        reporter,
        "measurement_reported",
        f"Reported {value} {goal_spec.unit} for “{goal_spec.title}”",
        reported_at,
        None,
    )


def _build(spec: CollaborationSpec, organisations: dict, commissioner, today) -> None:
    start = today - dt.timedelta(days=30 * spec.started_months_ago)
    lead = organisations[spec.members[0][0]]
    collaboration = Collaboration(
        slug=spec.slug,
        title_en=spec.title,
        title_fr=spec.title_fr,
        structure=spec.structure,
        status=spec.status,
        summary_en=spec.summary,
        summary_fr=spec.summary_fr,
        shared_vision_en=spec.vision,
        shared_vision_fr=spec.vision_fr,
        lead_organisation=lead,
        commissioner=commissioner,
        start_date=start,
        planned_end_date=start + dt.timedelta(days=365 * spec.years),
    )
    collaboration._history_user = commissioner
    collaboration.save()
    for slug, role in spec.members:
        organisation = organisations[slug]
        participation = Participation(
            collaboration=collaboration,
            organisation=organisation,
            role=role,
            status=Participation.Status.ACTIVE,
            contact=organisation.contacts.filter(is_primary=True).first(),
            joined_on=start,
        )
        participation._history_user = commissioner
        participation.save()

    members = [organisations[slug] for slug, _role in spec.members]
    for goal_spec in spec.goals:
        goal = SharedGoal(
            collaboration=collaboration,
            title_en=goal_spec.title,
            title_fr=goal_spec.title_fr,
            indicator_en=goal_spec.indicator,
            indicator_fr=goal_spec.indicator_fr,
            unit=goal_spec.unit,
            baseline=Decimal(goal_spec.baseline),
            target=Decimal(goal_spec.target),
            target_date=_months_ago(today, -goal_spec.target_months),
            cadence=goal_spec.cadence,
        )
        goal._history_user = commissioner
        goal.save()
        # Set when the collaboration started (auto_now_add stamps today): the scan expects
        # reports from the day a goal was set.
        SharedGoal.objects.filter(pk=goal.pk).update(created_at=_at(start, 9))
        ends = _period_ends(today, len(goal_spec.values), goal_spec.cadence)
        for period_end, value in zip(ends, goal_spec.values, strict=True):
            # Every member reports the shared figure, within a week of the period's end.
            for offset, reporter in enumerate(members):
                reported_on = min(period_end + dt.timedelta(days=3 + offset % 5), today)
                stopped = spec.stopped_reporting.get(reporter.slug)
                if stopped is not None and reported_on > today - dt.timedelta(days=stopped):
                    continue
                _report(collaboration, goal, goal_spec, reporter, period_end, value, reported_on)

    agreements = []
    for agreement_spec in spec.agreements:
        signed_on = today - dt.timedelta(days=30 * agreement_spec.signed_months_ago + 5)
        circulating = bool(agreement_spec.unsigned)
        agreement = Agreement(
            collaboration=collaboration,
            title=agreement_spec.title,
            kind=agreement_spec.kind,
            version=agreement_spec.version,
            status=Agreement.Status.CIRCULATING if circulating else Agreement.Status.IN_FORCE,
            circulated_on=signed_on - dt.timedelta(days=14),
            effective_date=None if circulating else signed_on,
            expiry_date=None
            if circulating
            else signed_on + dt.timedelta(days=365 * agreement_spec.years),
            renewal_notice_days=90,
        )
        agreement._history_user = commissioner
        agreement.save()
        agreements.append(agreement)
        for offset, slug in enumerate(agreement_spec.signatories):
            organisation = organisations[slug]
            signatory = Signatory(agreement=agreement, organisation=organisation)
            if slug not in agreement_spec.unsigned:
                contact = organisation.contacts.filter(is_primary=True).first()
                signatory.signed_by_name = (
                    f"{contact.name}, {contact.title}" if contact else organisation.name
                )
                signatory.signed_at = _at(
                    min(
                        signed_on - dt.timedelta(days=len(agreement_spec.signatories) - offset),
                        today,
                    ),
                    14,
                )
            signatory.save()
            if signatory.signed_at:
                _sign_of_life(
                    collaboration,
                    organisation,
                    "agreement_signed",
                    f"Signed “{agreement.title}” (version {agreement.version})",
                    signatory.signed_at,
                    None,
                )

    for obligation_spec in spec.obligations:
        organisation = organisations[obligation_spec.organisation]
        due = today + dt.timedelta(days=obligation_spec.due_in_days)
        met_at = None
        if obligation_spec.met_days_after_due is not None:
            met_at = _at(
                min(due + dt.timedelta(days=obligation_spec.met_days_after_due), today), 11
            )
        obligation = Obligation(
            collaboration=collaboration,
            organisation=organisation,
            agreement=agreements[obligation_spec.agreement]
            if obligation_spec.agreement is not None and agreements
            else None,
            kind=obligation_spec.kind,
            description=obligation_spec.description,
            quantity=Decimal(obligation_spec.quantity) if obligation_spec.quantity else None,
            unit=obligation_spec.unit,
            due_date=due,
            status=Obligation.Status.MET if met_at else Obligation.Status.PENDING,
            met_at=met_at,
            evidence=obligation_spec.evidence,
        )
        obligation._history_user = commissioner
        obligation.save()
        if met_at:
            _sign_of_life(
                collaboration,
                organisation,
                "obligation_met",
                f"Met “{obligation.description}”",
                met_at,
                None,
            )


def seed() -> str:
    today = timezone.localdate()
    commissioner = User.objects.filter(username="commissioner").first()
    slugs = {slug for spec in COLLABORATIONS for slug, _role in spec.members}
    organisations = {o.slug: o for o in Organisation.objects.filter(slug__in=slugs)}
    missing = slugs - set(organisations)
    if missing:
        return f"skipped: the partners demo organisations {sorted(missing)} are missing"
    existing = set(
        Collaboration.objects.filter(slug__in=[spec.slug for spec in COLLABORATIONS]).values_list(
            "slug", flat=True
        )
    )
    created = 0
    for spec in COLLABORATIONS:
        if spec.slug in existing:
            continue  # idempotent: a collaboration already seeded is left as it is
        _build(spec, organisations, commissioner, today)
        created += 1
    return f"{created} collaborations created, {len(COLLABORATIONS)} in the demo set"
