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
from dataclasses import dataclass, field
from decimal import Decimal

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

A, K, U = Agreement.Kind, Obligation.Kind, Obligation.Unit


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


COLLABORATIONS = [
    CollaborationSpec(
        slug="nv-regional-transit",
        title="Northern Valley Regional Transit Consortium",
        structure=Structure.CONSORTIUM,
        summary="Four municipalities and the regional district run one inter-community bus "
        "service instead of four partial ones, with the Community Transit Society operating "
        "the on-demand routes.",
        vision="Anyone in the Northern Valley can get to work, school and the hospital by "
        "public transit, whichever community they live in.",
        members=[
            ("nvrd", Role.LEAD),
            ("riverton", Role.MEMBER),
            ("lakeside", Role.MEMBER),
            ("cedar-falls", Role.MEMBER),
            ("cts", Role.MEMBER),
        ],
        stopped_reporting={"cedar-falls": 80},
        goals=[
            GoalSpec(
                "Monthly ridership",
                "Boardings on consortium routes per month",
                "boardings",
                "18000",
                "30000",
                [
                    "18400",
                    "18900",
                    "19700",
                    "20100",
                    "21300",
                    "22000",
                    "22600",
                    "23900",
                    "24400",
                    "25100",
                    "26300",
                    "26900",
                ],
            ),
            GoalSpec(
                "On-time performance",
                "Trips departing within 3 minutes of schedule",
                "%",
                "78",
                "92",
                ["80", "82", "84", "85"],
                cadence=SharedGoal.Cadence.QUARTERLY,
            ),
        ],
        agreements=[
            AgreementSpec(
                "Regional Transit Service Agreement",
                A.SERVICE,
                ("nvrd", "riverton", "lakeside", "cedar-falls"),
            ),
            AgreementSpec(
                "Operating Cost-Sharing Contribution Agreement, Years 2 and 3",
                A.CONTRIBUTION,
                ("nvrd", "riverton", "lakeside", "cedar-falls"),
                unsigned=("cedar-falls",),
                signed_months_ago=0,
            ),
        ],
        obligations=[
            ObligationSpec(
                "riverton",
                K.FUNDING,
                "Riverton's annual operating contribution",
                -75,
                "420000",
                U.DOLLARS,
                met_days_after_due=-5,
                evidence="EFT 2024-0917, City of Riverton finance",
            ),
            ObligationSpec(
                "lakeside",
                K.FUNDING,
                "Lakeside's annual operating contribution",
                -75,
                "180000",
                U.DOLLARS,
                met_days_after_due=12,
                evidence="Cheque 10482 deposited by the regional district",
            ),
            ObligationSpec(
                "cedar-falls",
                K.FUNDING,
                "Cedar Falls' annual operating contribution",
                -75,
                "65000",
                U.DOLLARS,
            ),
            ObligationSpec(
                "cedar-falls",
                K.DATA,
                "Ridership counts from the Cedar Falls exchange",
                -31,
                agreement=None,
            ),
            ObligationSpec(
                "cts",
                K.REPORT,
                "Quarterly operations report",
                9,
                agreement=None,
            ),
            ObligationSpec(
                "riverton",
                K.STAFF_TIME,
                "Transit planner seconded to the consortium",
                12,
                "0.5",
                U.FTE,
            ),
        ],
    ),
    CollaborationSpec(
        slug="coastal-watershed-partnership",
        # Bilingual, as the coast's partners write it: each reader gets their own language.
        title="Coastal Watershed Stewardship Partnership",
        title_fr="Partenariat d'intendance du bassin versant côtier",
        structure=Structure.COLLABORATIVE_PARTNERSHIP,
        summary="Two coastal municipalities, an environmental firm and the university restore "
        "the estuary and monitor water quality together, convened by the watershed council.",
        summary_fr="Deux municipalités côtières, une firme en environnement et l'université "
        "restaurent l'estuaire et surveillent ensemble la qualité de l'eau, à l'initiative du "
        "conseil du bassin versant.",
        vision="A swimmable, fishable estuary that the coastal communities look after as one.",
        vision_fr="Un estuaire où l'on peut se baigner et pêcher, dont les collectivités "
        "côtières prennent soin ensemble.",
        members=[
            ("cwc", Role.CONVENOR),
            ("eastport", Role.PARTNER),
            ("hillcrest", Role.PARTNER),
            ("clearwater", Role.PARTNER),
            ("uwest", Role.PARTNER),
        ],
        goals=[
            GoalSpec(
                "Restored riparian habitat",
                "Hectares of shoreline habitat restored",
                "hectares",
                "0",
                "40",
                ["4", "9", "15", "22"],
                cadence=SharedGoal.Cadence.QUARTERLY,
                title_fr="Habitat riverain restauré",
                indicator_fr="Hectares d'habitat riverain restaurés",
            ),
            GoalSpec(
                "Safe swimming days",
                "Beach days meeting the recreational water quality guideline",
                "days",
                "41",
                "90",
                ["44", "47", "49", "52", "55", "53", "58", "61", "60", "64", "66", "69"],
                title_fr="Jours de baignade sécuritaire",
                indicator_fr="Jours de plage conformes à la recommandation sur la qualité des "
                "eaux récréatives",
            ),
        ],
        agreements=[
            AgreementSpec(
                "Estuary Partnership Memorandum of Understanding",
                A.MOU,
                ("cwc", "eastport", "hillcrest", "clearwater", "uwest"),
            ),
            AgreementSpec(
                "Water Quality Data-Sharing Agreement",
                A.DATA_SHARING,
                ("eastport", "hillcrest", "uwest"),
                signed_months_ago=8,
            ),
        ],
        obligations=[
            ObligationSpec(
                "eastport",
                K.FUNDING,
                "Eastport's restoration fund share",
                -40,
                "75000",
                U.DOLLARS,
                met_days_after_due=-2,
                evidence="Council motion 2024-118; EFT",
            ),
            ObligationSpec(
                "hillcrest",
                K.FUNDING,
                "Hillcrest's restoration fund share",
                -40,
                "75000",
                U.DOLLARS,
                met_days_after_due=3,
                evidence="EFT HC-5521",
            ),
            ObligationSpec(
                "uwest",
                K.DATA,
                "Monthly sampling results",
                6,
                agreement=1,
            ),
            ObligationSpec(
                "clearwater",
                K.DELIVERABLE,
                "Phase 2 planting plan",
                13,
                "1",
                U.ITEMS,
            ),
        ],
    ),
    CollaborationSpec(
        slug="valley-food-security-mutual",
        title="Valley Community Food Security Mutual",
        structure=Structure.MUTUAL,
        summary="Food banks, two municipalities and Wolf Lake First Nation pool storage, "
        "transport and purchasing so every community has a stocked pantry.",
        vision="No household in the valley goes without food for want of a nearby pantry.",
        members=[
            ("vfbn", Role.MEMBER),
            ("riverton", Role.MEMBER),
            ("lakeside", Role.MEMBER),
            ("wolf-lake-fn", Role.MEMBER),
        ],
        goals=[
            GoalSpec(
                "Households served",
                "Households receiving food support each month",
                "households",
                "1200",
                "2000",
                [
                    "1250",
                    "1290",
                    "1340",
                    "1420",
                    "1480",
                    "1530",
                    "1570",
                    "1600",
                    "1660",
                    "1710",
                    "1740",
                    "1795",
                ],
            ),
        ],
        agreements=[
            AgreementSpec(
                "Mutual Aid Terms of Reference",
                A.TERMS_OF_REFERENCE,
                ("vfbn", "riverton", "lakeside", "wolf-lake-fn"),
            ),
        ],
        obligations=[
            ObligationSpec(
                "wolf-lake-fn",
                K.STAFF_TIME,
                "Pantry coordinator hours",
                -20,
                "320",
                U.HOURS,
                met_days_after_due=-1,
                evidence="Timesheets Jan-Mar, band office",
            ),
            ObligationSpec(
                "lakeside",
                K.FUNDING,
                "Lakeside's cold-storage contribution",
                -12,
                "25000",
                U.DOLLARS,
            ),
            ObligationSpec(
                "riverton",
                K.DELIVERABLE,
                "Delivery van for the shared route",
                10,
                "1",
                U.ITEMS,
            ),
        ],
    ),
    CollaborationSpec(
        slug="westmark-youth-quality-network",
        title="Westmark Youth Services Quality Network",
        structure=Structure.QUALITY_NETWORK,
        summary="The ministry coordinates a network of youth service providers that share "
        "standards, audit each other and report outcomes the same way.",
        vision="Young people get the same quality of service from any provider in the network.",
        members=[
            ("wmma", Role.COORDINATOR),
            ("cys", Role.MEMBER),
            ("hillcrest", Role.MEMBER),
            ("eastport", Role.MEMBER),
            ("vha", Role.MEMBER),
        ],
        stopped_reporting={"hillcrest": 150},
        goals=[
            GoalSpec(
                "Providers meeting the network standard",
                "Member programs passing the annual peer audit",
                "programs",
                "3",
                "12",
                ["4", "6", "7", "9"],
                cadence=SharedGoal.Cadence.QUARTERLY,
            ),
        ],
        agreements=[
            AgreementSpec(
                "Network Terms of Reference",
                A.TERMS_OF_REFERENCE,
                ("wmma", "cys", "hillcrest", "eastport", "vha"),
            ),
        ],
        obligations=[
            ObligationSpec(
                "hillcrest",
                K.REPORT,
                "Peer audit self-assessment",
                -48,
            ),
            ObligationSpec(
                "cys",
                K.REPORT,
                "Peer audit self-assessment",
                -48,
                met_days_after_due=-6,
                evidence="Self-assessment v2 submitted to the ministry portal",
            ),
            ObligationSpec(
                "vha",
                K.DATA,
                "Referral outcomes extract",
                4,
            ),
        ],
    ),
    CollaborationSpec(
        slug="nv-rural-broadband",
        title="Northern Valley Rural Broadband Delivery",
        structure=Structure.PRIME_CONTRACTOR,
        summary="Riverton, Lakeside and Infrastructure Canada commission one prime contractor "
        "to bring fibre to rural households, with a subcontractor for the network design.",
        vision="Every rural household in the valley has a reliable 50/10 Mbps connection.",
        members=[
            ("riverton", Role.COMMISSIONING_BODY),
            ("lakeside", Role.COMMISSIONING_BODY),
            ("infc", Role.COMMISSIONING_BODY),
            ("northbridge", Role.PRIME_CONTRACTOR),
            ("pinecrest", Role.SUBCONTRACTOR),
        ],
        goals=[
            GoalSpec(
                "Households connected",
                "Rural households passed by fibre and able to subscribe",
                "households",
                "0",
                "4200",
                [
                    "120",
                    "310",
                    "540",
                    "800",
                    "1020",
                    "1300",
                    "1610",
                    "1880",
                    "2150",
                    "2390",
                    "2600",
                    "2870",
                ],
            ),
        ],
        agreements=[
            AgreementSpec(
                "Rural Broadband Prime Contract",
                A.PRIME_CONTRACT,
                ("riverton", "lakeside", "infc", "northbridge"),
                signed_months_ago=12,
            ),
            AgreementSpec(
                "Network Design Subcontract",
                A.SUBCONTRACT,
                ("northbridge", "pinecrest"),
                signed_months_ago=11,
            ),
        ],
        obligations=[
            ObligationSpec(
                "infc",
                K.FUNDING,
                "Universal Broadband Fund instalment 2",
                -60,
                "1500000",
                U.DOLLARS,
                met_days_after_due=4,
                evidence="UBF payment 77-2291",
            ),
            ObligationSpec(
                "northbridge",
                K.REPORT,
                "Quarterly build progress report",
                -18,
            ),
            ObligationSpec(
                "pinecrest",
                K.DELIVERABLE,
                "Phase 3 network design package",
                11,
                "1",
                U.ITEMS,
                agreement=1,
            ),
            ObligationSpec(
                "lakeside",
                K.FUNDING,
                "Lakeside's capital contribution",
                14,
                "250000",
                U.DOLLARS,
            ),
        ],
    ),
    CollaborationSpec(
        slug="wolf-lake-housing-ideas",
        title="Wolf Lake Housing Ideas Challenge",
        structure=Structure.CROWDSOURCING,
        summary="The housing corporation hosts an open challenge for affordable, northern-ready "
        "housing designs; the First Nation, the university and others contribute ideas and "
        "prototypes.",
        vision="Homes built with and for the community, designed for its climate and culture.",
        members=[
            ("whc", Role.HOST),
            ("wolf-lake-fn", Role.CONTRIBUTOR),
            ("uwest", Role.CONTRIBUTOR),
            ("pinecrest", Role.CONTRIBUTOR),
            ("westmark", Role.CONTRIBUTOR),
        ],
        goals=[
            GoalSpec(
                "Design submissions",
                "Eligible design submissions received",
                "submissions",
                "0",
                "60",
                ["8", "19", "31", "44"],
                cadence=SharedGoal.Cadence.QUARTERLY,
            ),
        ],
        agreements=[
            AgreementSpec(
                "Challenge Participation Terms",
                A.TERMS_OF_REFERENCE,
                ("whc", "wolf-lake-fn", "uwest"),
                signed_months_ago=9,
            ),
        ],
        obligations=[
            ObligationSpec(
                "westmark",
                K.FUNDING,
                "Provincial prize fund",
                -30,
                "200000",
                U.DOLLARS,
                met_days_after_due=-10,
                evidence="Treasury Board minute TB-24-311",
            ),
            ObligationSpec(
                "uwest",
                K.STAFF_TIME,
                "Jury of design faculty",
                8,
                "60",
                U.HOURS,
            ),
        ],
    ),
    # Written in French only, as Beaulac's partners work: an English reader sees the French text,
    # marked as such. Still forming, so nothing is measured or scanned yet.
    CollaborationSpec(
        slug="securite-incendie-de-la-baie",
        title="",
        title_fr="Entente intermunicipale de sécurité incendie de la Baie",
        structure=Structure.CONSORTIUM,
        status=Collaboration.Status.FORMING,
        summary="",
        summary_fr="Beaulac, Eastport et Hillcrest mettent en commun leurs casernes, leurs "
        "camions-échelles et la formation de leurs pompiers volontaires.",
        vision="",
        vision_fr="Des secours en moins de dix minutes partout sur la côte, quelle que soit la "
        "municipalité.",
        members=[
            ("beaulac", Role.LEAD),
            ("eastport", Role.MEMBER),
            ("hillcrest", Role.MEMBER),
        ],
        started_months_ago=0,
        goals=[
            GoalSpec(
                "",
                "",
                "minutes",
                "14",
                "10",
                [],
                cadence=SharedGoal.Cadence.QUARTERLY,
                title_fr="Délai d'intervention",
                indicator_fr="Minutes entre l'appel et l'arrivée du premier véhicule, médiane",
            ),
        ],
    ),
]


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
