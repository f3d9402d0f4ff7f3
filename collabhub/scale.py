"""National-scale data for benchmarks (`manage.py seed_scale --factor F`): organisations,
collaborations of every structure, participations, a year of meetings, attendance, obligations,
goals and reports, agreements and signatures, partners' activity, and a month of engagement history
with its open flags — written with PostgreSQL's COPY, in minutes rather than hours.

At F=1 the data is the size of a national deployment (DESIGN.md): 10,000 organisations, 20,000
collaborations, 200,000 participations, about 1,000,000 attendance rows, 150,000 obligations and
5,000,000 activity rows. Each participation has an engagement *profile* (engaged, drifting or
disengaged) that shapes everything it leaves behind, so a scan finds a realistic mix of bands.

Rows are written straight to the tables, as a data migration would, not through the services:
the services stamp everything "now" and write one row at a time. The audit history of these rows
therefore starts empty. Identifiers follow the tables' current maxima, so seeding twice adds a
second, independent data set; `reset_domain()` empties the tables first."""

from __future__ import annotations

import datetime as dt
import math
import random
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.utils import timezone

from agreements.models import (
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
from collabhub.bulk import copy_into, copy_line
from commissioner.models import (
    Activity,
    Attendance,
    Band,
    EngagementSnapshot,
    Flag,
    Meeting,
)
from commissioner.services import SNAPSHOT_FIELDS
from partners.models import Contact, Organisation, StaffMembership, User

# The size of a national deployment, F=1.
SIZES = {
    "organisations": 10_000,
    "collaborations": 20_000,
    "participations": 200_000,
    "attendance": 1_000_000,
    "obligations": 150_000,
    "activities": 5_000_000,
}
# A commissioner looks after this many collaborations, whatever the size of the deployment:
# their pages are bounded by their portfolio, not by the database.
PORTFOLIO_SIZE = 50
# Organisations per staff user with a login.
ORGANISATIONS_PER_STAFF = 5
SCALE_PASSWORD = "collabhub-scale"  # noqa: S105 - benchmark data only, printed by the command
HISTORY_WEEKS = 4
# The reason the seeded history gives partners below engaged (commissioner/reasons.py).
MISSED_TWO = {
    "code": "attendance",
    "figures": {"missed": 2, "held": 3, "apologies": 0, "in_a_row": 0},
}

ENGAGED, DRIFTING, DISENGAGED = "engaged", "drifting", "disengaged"
PROFILE_WEIGHTS = {ENGAGED: 0.70, DRIFTING: 0.18, DISENGAGED: 0.12}
# Activities per participation over the year, by profile (about 25 on average).
ACTIVITY_COUNTS = {ENGAGED: 30, DRIFTING: 15, DISENGAGED: 6}
# Chance of being present / sending apologies at a meeting, by profile.
ATTENDANCE_ODDS = {ENGAGED: (0.88, 0.08), DRIFTING: (0.45, 0.15), DISENGAGED: (0.08, 0.05)}
# Chance that a past-due obligation was met, and that a report was made, by profile.
MET_ODDS = {ENGAGED: 0.96, DRIFTING: 0.55, DISENGAGED: 0.12}
REPORT_ODDS = {ENGAGED: 0.95, DRIFTING: 0.5, DISENGAGED: 0.05}
# Days between the latest activity and today, by profile.
QUIET_DAYS = {ENGAGED: (0, 12), DRIFTING: (20, 50), DISENGAGED: (70, 200)}
SCORE_RANGES = {ENGAGED: (70, 98), DRIFTING: (45, 72), DISENGAGED: (12, 42)}

STRUCTURE_WEIGHTS = {
    Structure.CONSORTIUM: 0.22,
    Structure.COLLABORATIVE_PARTNERSHIP: 0.25,
    Structure.MUTUAL: 0.12,
    Structure.QUALITY_NETWORK: 0.14,
    Structure.PRIME_CONTRACTOR: 0.17,
    Structure.CROWDSOURCING: 0.10,
}
STATUS_WEIGHTS = {
    Collaboration.Status.ACTIVE: 0.80,
    Collaboration.Status.FORMING: 0.05,
    Collaboration.Status.PROPOSED: 0.03,
    Collaboration.Status.PAUSED: 0.04,
    Collaboration.Status.CONCLUDED: 0.06,
    Collaboration.Status.DISSOLVED: 0.02,
}
KIND_WEIGHTS = {
    Organisation.Kind.MUNICIPALITY: 0.38,
    Organisation.Kind.REGIONAL_GOVERNMENT: 0.05,
    Organisation.Kind.FIRST_NATION: 0.08,
    Organisation.Kind.PROVINCE: 0.03,
    Organisation.Kind.FEDERAL: 0.04,
    Organisation.Kind.PUBLIC_BODY: 0.07,
    Organisation.Kind.NON_PROFIT: 0.18,
    Organisation.Kind.PRIVATE_FIRM: 0.11,
    Organisation.Kind.ACADEMIC: 0.04,
    Organisation.Kind.OTHER: 0.02,
}
NAME_PATTERNS = {
    Organisation.Kind.MUNICIPALITY: [
        "City of {p}",
        "Town of {p}",
        "Village of {p}",
        "{p} Township",
    ],
    Organisation.Kind.REGIONAL_GOVERNMENT: ["{p} Regional District", "Regional County of {p}"],
    Organisation.Kind.FIRST_NATION: ["{p} First Nation", "{p} Cree Nation", "{p} Métis Council"],
    Organisation.Kind.PROVINCE: ["{p} Ministry of Municipal Affairs", "{p} Ministry of Health"],
    Organisation.Kind.FEDERAL: ["{p} Regional Office, Infrastructure Canada", "{p} Service Canada"],
    Organisation.Kind.PUBLIC_BODY: ["{p} Housing Corporation", "{p} Health Authority"],
    Organisation.Kind.NON_PROFIT: ["{p} Food Bank", "{p} Youth Services", "{p} Transit Society"],
    Organisation.Kind.PRIVATE_FIRM: ["{p} Engineering Ltd.", "{p} Digital Inc.", "{p} Consulting"],
    Organisation.Kind.ACADEMIC: ["{p} College", "University of {p}"],
    Organisation.Kind.OTHER: ["{p} Watershed Council", "{p} Chamber of Commerce"],
}
PLACE_STARTS = [
    "North", "South", "East", "West", "Cedar", "Maple", "Pine", "Birch", "River", "Lake", "Stone",
    "Clear", "Silver", "Red", "Green", "Fox", "Wolf", "Bear", "Eagle", "Elk", "Spruce", "Oak",
    "Willow", "Aspen", "Sun", "Moon", "Hill", "Glen", "Brook", "Fair",
]  # fmt: skip
PLACE_ENDS = [
    "field", "ford", "wood", "view", "dale", "port", "haven", "ridge", "crest", "falls", "mount",
    "bridge", "water", "side", "vale", "bay", "point", "creek", "meadow", "stead",
]  # fmt: skip
REGIONS = [
    "Northern Valley", "Coastal District", "Prairie South", "Lakelands", "Eastern Shore",
    "Highlands", "Treaty 6", "Treaty 9", "Capital Region", "Interior", "Far North", "Delta",
]  # fmt: skip
GIVEN = [
    "Amara",
    "Benoît",
    "Chloe",
    "Daniel",
    "Elena",
    "Farid",
    "Grace",
    "Hiro",
    "Isabelle",
    "Jonah",
    "Kiona",
    "Louis",
    "Maya",
    "Nadia",
    "Omar",
    "Priya",
    "Quinn",
    "Rosa",
]
FAMILY = [
    "Okafor",
    "Tremblay",
    "Nakamura",
    "Whitehorse",
    "Petrova",
    "Haddad",
    "Singh",
    "Roy",
    "Martin",
    "Cardinal",
    "Nguyen",
    "Gagnon",
    "Wilson",
    "Bouchard",
    "Lee",
    "Morin",
]
TOPICS = [
    "Regional Transit", "Shared Water Services", "Wildfire Preparedness", "Affordable Housing",
    "Broadband Access", "Youth Employment", "Food Security", "Waste Diversion",
    "Emergency Dispatch",
    "Watershed Stewardship", "Senior Care Network", "Digital Permits", "Road Maintenance",
    "Community Safety", "Language Revitalisation", "Tourism Marketing",
]  # fmt: skip
GOALS = [
    ("Households served", "households served", "households"),
    ("Kilometres maintained", "km of road maintained", "km"),
    ("Response time", "median response time", "minutes"),
    ("Participants trained", "people completing training", "people"),
    ("Tonnes diverted", "waste diverted from landfill", "tonnes"),
]
MEETINGS_PER_YEAR = 5
WEEK = dt.timedelta(days=7)


# Writing with COPY -----------------------------------------------------------------------------


@contextmanager
def _loading(table: str):
    """Drop the table's foreign keys and plain indexes for the load and put them back after: one
    validating join and one index build each, instead of a check and an index update per row.
    Unique constraints stay. Run inside a transaction, so a failed load leaves them all."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = %s::regclass AND contype = 'f'",
            [table],
        )
        foreign_keys = cursor.fetchall()
        cursor.execute(
            "SELECT c.relname, pg_get_indexdef(i.indexrelid) FROM pg_index i "
            "JOIN pg_class c ON c.oid = i.indexrelid "
            "WHERE i.indrelid = %s::regclass AND NOT i.indisunique AND NOT i.indisprimary",
            [table],
        )
        indexes = cursor.fetchall()
        quote = connection.ops.quote_name
        for name, _definition in foreign_keys:
            cursor.execute(f"ALTER TABLE {quote(table)} DROP CONSTRAINT {quote(name)}")
        for name, _definition in indexes:
            cursor.execute(f"DROP INDEX {quote(name)}")
        yield
        for _name, definition in indexes:
            cursor.execute(definition)
        for name, definition in foreign_keys:
            cursor.execute(f"ALTER TABLE {quote(table)} ADD CONSTRAINT {quote(name)} {definition}")


def copy_rows(model, columns: list[str], rows: Iterable[tuple], progress=None) -> int:
    """COPY `rows` (tuples in the order of `columns`, which are column names) into the model's
    table in one transaction. Every NOT NULL column must be given."""
    table = model._meta.db_table
    required = {f.column for f in model._meta.concrete_fields if not f.null}
    missing = required - set(columns)
    if missing:
        raise ValueError(f"{table}: no value for NOT NULL columns {sorted(missing)}")
    written = 0

    def lines():
        nonlocal written
        for row in rows:
            written += 1
            if progress is not None and written % 10_000 == 0:
                progress(10_000)
            yield copy_line(row)

    with transaction.atomic(), _loading(table):
        copy_into(table, columns, lines())
    if progress is not None:
        progress(written % 10_000)
    return written


def next_id(model) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {model._meta.db_table}")  # noqa: S608
        return cursor.fetchone()[0] + 1


def sync_sequences(models) -> None:
    """Move each table's identity sequence past the identifiers COPY wrote."""
    with connection.cursor() as cursor:
        for model in models:
            table = model._meta.db_table
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence(%s, 'id'), "  # noqa: S608
                f"(SELECT COALESCE(MAX(id), 0) + 1 FROM {table}), false)",
                [table],
            )


def reset_domain() -> None:
    """Empty every table of the three apps and their users (benchmark databases only)."""
    tables = [
        model._meta.db_table
        for label in ("partners", "agreements", "commissioner")
        for model in apps.get_app_config(label).get_models()
    ]
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")


# The generator -----------------------------------------------------------------------------------


@dataclass
class Part:
    """A participation as the generator remembers it."""

    id: int
    collaboration: int
    organisation: int
    profile: str
    joined_on: dt.date
    active: bool  # status active and the collaboration scanned


@dataclass
class Collab:
    id: int
    status: str
    start: dt.date
    parts: list[Part] = field(default_factory=list)
    goals: list[tuple[int, str]] = field(default_factory=list)  # (goal id, cadence)
    agreements: list[int] = field(default_factory=list)


@dataclass
class Plan:
    factor: float
    organisations: int
    collaborations: int
    participations: int
    attendance: int
    obligations: int
    activities: int

    @classmethod
    def for_factor(cls, factor: float) -> Plan:
        if factor <= 0:
            raise ValueError("the factor must be positive")
        sizes = {name: max(1, round(count * factor)) for name, count in SIZES.items()}
        sizes["organisations"] = max(sizes["organisations"], 20)
        sizes["collaborations"] = max(sizes["collaborations"], 6)
        return cls(factor=factor, **sizes)


def _pick(rng: random.Random, weights: dict):
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _roles(structure: str, count: int, rng: random.Random) -> list[str]:
    """Roles for `count` participants (the lead organisation first) that satisfy the structure."""
    if structure == Structure.CONSORTIUM:
        return [Role.LEAD] + [Role.MEMBER] * (count - 1)
    if structure == Structure.COLLABORATIVE_PARTNERSHIP:
        convenor = count >= 3 and rng.random() < 0.3
        return [Role.PARTNER] * (count - 1) + [Role.CONVENOR if convenor else Role.PARTNER]
    if structure == Structure.MUTUAL:
        return [Role.MEMBER] * count
    if structure == Structure.QUALITY_NETWORK:
        return [Role.COORDINATOR] + [Role.MEMBER] * (count - 1)
    if structure == Structure.PRIME_CONTRACTOR:
        bodies = 1 + (1 if count >= 4 and rng.random() < 0.3 else 0)
        return (
            [Role.COMMISSIONING_BODY] * bodies
            + [Role.PRIME_CONTRACTOR]
            + [Role.SUBCONTRACTOR] * (count - bodies - 1)
        )
    return [Role.HOST] + [Role.CONTRIBUTOR] * (count - 1)


class ScaleSeeder:
    """Generates and writes one data set. `progress(table, total)` returns a progress bar (an
    object with update(n) and close()) or None."""

    def __init__(
        self,
        plan: Plan,
        *,
        seed: int = 42,
        today: dt.date | None = None,
        progress: Callable[[str, int], Any] | None = None,
    ):
        self.plan = plan
        # Reproducible fake data, not secrets.
        self.rng = random.Random(seed)  # noqa: S311
        self.today = today or timezone.localdate()
        self.now = timezone.now()
        self.progress = progress or (lambda table, total: None)
        self.counts: dict[str, int] = {}
        self.collabs: list[Collab] = []
        self.primary_contact: dict[int, int] = {}

    # helpers
    def _at(self, day: dt.date, hour: int = 10, minute: int = 0) -> dt.datetime:
        return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))

    def _copy(self, model, columns, rows, total: int) -> int:
        bar = self.progress(model._meta.db_table, total)
        written = copy_rows(model, columns, rows, bar.update if bar is not None else None)
        if bar is not None:
            bar.close()
        self.counts[str(model._meta.verbose_name_plural)] = written
        return written

    def run(self) -> dict[str, int]:
        self.seed_users()
        self.seed_organisations()
        self.seed_collaborations()
        self.seed_participations()
        self.seed_goals_and_reports()
        self.seed_agreements()
        self.seed_obligations()
        self.seed_meetings_and_attendance()
        self.seed_activities()
        self.seed_history()
        sync_sequences(
            [
                User,
                Organisation,
                Contact,
                StaffMembership,
                Collaboration,
                Participation,
                SharedGoal,
                Measurement,
                Agreement,
                Signatory,
                Obligation,
                Meeting,
                Attendance,
                Activity,
                EngagementSnapshot,
                Flag,
            ]
        )
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        return self.counts

    # users, organisations, contacts
    def seed_users(self) -> None:
        plan = self.plan
        password = make_password(SCALE_PASSWORD)
        first = next_id(User)
        commissioners = max(1, math.ceil(plan.collaborations / PORTFOLIO_SIZE))
        staff = max(1, plan.organisations // ORGANISATIONS_PER_STAFF)
        self.commissioner_ids = list(range(first, first + commissioners))
        self.staff_ids = list(range(first + commissioners, first + commissioners + staff))
        self.first_user = first
        joined = self.now - dt.timedelta(days=400)

        def rows():
            for index, user_id in enumerate(self.commissioner_ids):
                yield (
                    user_id,
                    password,
                    False,
                    f"scale.commissioner{first + index}",
                    "Commissioner",
                    f"{index + 1}",
                    f"commissioner{user_id}@scale.example",
                    False,
                    True,
                    joined,
                    User.Role.COMMISSIONER,
                )
            for user_id in self.staff_ids:
                yield (
                    user_id,
                    password,
                    False,
                    f"scale.staff{user_id}",
                    self.rng.choice(GIVEN),
                    self.rng.choice(FAMILY),
                    f"staff{user_id}@scale.example",
                    False,
                    True,
                    joined,
                    User.Role.STAFF,
                )

        columns = [
            "id",
            "password",
            "is_superuser",
            "username",
            "first_name",
            "last_name",
            "email",
            "is_staff",
            "is_active",
            "date_joined",
            "role",
        ]
        self._copy(User, columns, rows(), commissioners + staff)

    def seed_organisations(self) -> None:
        plan, rng = self.plan, self.rng
        first = next_id(Organisation)
        self.organisation_ids = list(range(first, first + plan.organisations))
        places = [start + end for start in PLACE_STARTS for end in PLACE_ENDS]
        created = self.now - dt.timedelta(days=420)
        provinces: list[int] = []
        taken = {name.lower() for name in Organisation.objects.values_list("name", flat=True)}

        def rows():
            for index, org_id in enumerate(self.organisation_ids):
                kind = _pick(rng, KIND_WEIGHTS)
                place = places[index % len(places)]
                name = rng.choice(NAME_PATTERNS[kind]).format(p=place)
                if name.lower() in taken:
                    name = f"{name} ({org_id})"
                taken.add(name.lower())
                parent = None
                if kind == Organisation.Kind.PROVINCE:
                    if provinces and rng.random() < 0.5:
                        parent = rng.choice(provinces)
                    else:
                        provinces.append(org_id)
                slug = f"s{org_id}-{place.lower()}"
                active = rng.random() > 0.03
                yield (
                    org_id,
                    name,
                    place[:50],
                    slug,
                    kind,
                    rng.choice(REGIONS),
                    parent,
                    f"https://{place.lower()}{org_id}.example.ca",
                    active,
                    created,
                    created,
                )

        columns = [
            "id",
            "name",
            "short_name",
            "slug",
            "kind",
            "jurisdiction",
            "parent_id",
            "website",
            "is_active",
            "created_at",
            "updated_at",
        ]
        self._copy(Organisation, columns, rows(), plan.organisations)

        contact_first = next_id(Contact)

        def contacts():
            contact_id = contact_first
            for org_id in self.organisation_ids:
                for position in range(2):
                    given, family = rng.choice(GIVEN), rng.choice(FAMILY)
                    if position == 0:
                        self.primary_contact[org_id] = contact_id
                    yield (
                        contact_id,
                        org_id,
                        f"{given} {family}",
                        "Chief Administrative Officer" if position == 0 else "Program Manager",
                        f"{given.lower()}.{family.lower()}{contact_id}@org{org_id}.example.ca",
                        f"+1-555-{contact_id % 10000:04d}",
                        position == 0,
                        True,
                        created,
                        created,
                    )
                    contact_id += 1

        columns = [
            "id",
            "organisation_id",
            "name",
            "title",
            "email",
            "phone",
            "is_primary",
            "is_active",
            "created_at",
            "updated_at",
        ]
        self._copy(Contact, columns, contacts(), 2 * plan.organisations)

        membership_first = next_id(StaffMembership)

        def memberships():
            for index, user_id in enumerate(self.staff_ids):
                org_id = self.organisation_ids[
                    (index * ORGANISATIONS_PER_STAFF) % plan.organisations
                ]
                yield (membership_first + index, user_id, org_id, "Partnerships officer", created)

        self._copy(
            StaffMembership,
            ["id", "user_id", "organisation_id", "job_title", "created_at"],
            memberships(),
            len(self.staff_ids),
        )

    # collaborations and participations
    def seed_collaborations(self) -> None:
        plan, rng = self.plan, self.rng
        first = next_id(Collaboration)
        # Participants per collaboration around the plan's mean, at least 3.
        mean = plan.participations / plan.collaborations
        self.sizes = [
            max(3, min(plan.organisations, round(rng.gauss(mean, mean / 3))))
            for _ in range(plan.collaborations)
        ]
        # Nudge random collaborations by one until the total is the plan's.
        while (gap := plan.participations - sum(self.sizes)) != 0:
            index = rng.randrange(plan.collaborations)
            step = 1 if gap > 0 else -1
            if 3 <= self.sizes[index] + step <= plan.organisations:
                self.sizes[index] += step
        created = self.now - dt.timedelta(days=500)
        self._structures: dict[int, tuple[str, int]] = {}

        def rows():
            for index in range(plan.collaborations):
                collab_id = first + index
                structure = _pick(rng, STRUCTURE_WEIGHTS)
                status = _pick(rng, STATUS_WEIGHTS)
                start = self.today - dt.timedelta(days=rng.randint(200, 720))
                end = start + dt.timedelta(days=rng.choice([730, 1095, 1460]))
                topic = rng.choice(TOPICS)
                lead = rng.choice(self.organisation_ids)
                commissioner = self.commissioner_ids[index // PORTFOLIO_SIZE]
                self.collabs.append(Collab(collab_id, status, start))
                self._structures[collab_id] = (structure, lead)
                yield (
                    collab_id,
                    f"{topic} {collab_id}",
                    f"{topic.lower().replace(' ', '-')}-{collab_id}",
                    f"{topic} among partners of the {rng.choice(REGIONS)} area.",
                    f"Residents get dependable {topic.lower()} wherever they live.",
                    structure,
                    status,
                    lead,
                    commissioner,
                    start,
                    end,
                    created,
                    created,
                )

        columns = [
            "id",
            "title",
            "slug",
            "summary",
            "shared_vision",
            "structure",
            "status",
            "lead_organisation_id",
            "commissioner_id",
            "start_date",
            "planned_end_date",
            "created_at",
            "updated_at",
        ]
        self._copy(Collaboration, columns, rows(), plan.collaborations)

    def seed_participations(self) -> None:
        rng = self.rng
        first = next_id(Participation)
        scanned = {Collaboration.Status.ACTIVE}
        created = self.now - dt.timedelta(days=400)

        def rows():
            part_id = first
            for collab, size in zip(self.collabs, self.sizes, strict=True):
                structure, lead = self._structures[collab.id]
                members = {lead}
                while len(members) < size:
                    members.add(rng.choice(self.organisation_ids))
                ordered = [lead, *sorted(members - {lead})]
                for position, (org_id, role) in enumerate(
                    zip(ordered, _roles(structure, size, rng), strict=True)
                ):
                    # The roles the structure needs stay active; a few others withdrew or
                    # joined late.
                    status = Participation.Status.ACTIVE
                    joined = collab.start
                    left = None
                    if position >= 2 and rng.random() < 0.04:
                        status = Participation.Status.WITHDRAWN
                        left = self.today - dt.timedelta(days=rng.randint(10, 150))
                        left = max(left, joined)
                    elif position >= 2 and rng.random() < 0.1:
                        joined = self.today - dt.timedelta(days=rng.randint(30, 180))
                        joined = max(joined, collab.start)
                    profile = _pick(rng, PROFILE_WEIGHTS)
                    active = status == Participation.Status.ACTIVE and collab.status in scanned
                    part = Part(part_id, collab.id, org_id, profile, joined, active)
                    if status == Participation.Status.ACTIVE:
                        collab.parts.append(part)
                    yield (
                        part_id,
                        collab.id,
                        org_id,
                        role,
                        status,
                        self.primary_contact.get(org_id),
                        joined,
                        left,
                        created,
                    )
                    part_id += 1

        columns = [
            "id",
            "collaboration_id",
            "organisation_id",
            "role",
            "status",
            "contact_id",
            "joined_on",
            "left_on",
            "created_at",
        ]
        self._copy(Participation, columns, rows(), sum(self.sizes))
        del self._structures

    # goals and their reports
    def seed_goals_and_reports(self) -> None:
        rng = self.rng
        goal_first = next_id(SharedGoal)
        cadences = {
            SharedGoal.Cadence.MONTHLY: 0.2,
            SharedGoal.Cadence.QUARTERLY: 0.6,
            SharedGoal.Cadence.YEARLY: 0.2,
        }
        created = self.now - dt.timedelta(days=400)

        def goals():
            goal_id = goal_first
            for collab in self.collabs:
                for _ in range(rng.choice([1, 2])):
                    title, indicator, unit = rng.choice(GOALS)
                    cadence = _pick(rng, cadences)
                    collab.goals.append((goal_id, cadence))
                    baseline = rng.randint(0, 200)
                    yield (
                        goal_id,
                        collab.id,
                        title,
                        indicator,
                        unit,
                        baseline,
                        baseline + rng.randint(50, 1000),
                        self.today + dt.timedelta(days=rng.randint(90, 900)),
                        cadence,
                        created,
                    )
                    goal_id += 1

        columns = [
            "id",
            "collaboration_id",
            "title",
            "indicator",
            "unit",
            "baseline",
            "target",
            "target_date",
            "cadence",
            "created_at",
        ]
        self._copy(SharedGoal, columns, goals(), int(1.5 * len(self.collabs)))

        period_days = {
            SharedGoal.Cadence.MONTHLY: 30,
            SharedGoal.Cadence.QUARTERLY: 91,
            SharedGoal.Cadence.YEARLY: 365,
        }
        first = next_id(Measurement)

        def reports():
            measurement_id = first
            for collab in self.collabs:
                for goal_id, cadence in collab.goals:
                    period = period_days[cadence]
                    # Each participant reports each period of the last 200 days it was in.
                    ends = [self.today - dt.timedelta(days=k * period + 5) for k in range(4)]
                    ends = [end for end in ends if (self.today - end).days <= 200]
                    for part in collab.parts:
                        for end in ends:
                            if end < part.joined_on or rng.random() > REPORT_ODDS[part.profile]:
                                continue
                            reported = self._at(end + dt.timedelta(days=rng.randint(1, 4)), 14)
                            yield (
                                measurement_id,
                                goal_id,
                                rng.randint(0, 1200),
                                end,
                                part.organisation,
                                None,
                                None,
                                "",
                                reported,
                                "",
                                "",
                            )
                            measurement_id += 1

        columns = [
            "id",
            "goal_id",
            "value",
            "period_end",
            "reported_by_organisation_id",
            "reported_by_user_id",
            "reported_by_token_id",
            "evidence",
            "reported_at",
            "correction_reason",
            "withdrawn_reason",
        ]
        self._copy(Measurement, columns, reports(), int(2.5 * self.plan.participations))

    # agreements and signatures
    def seed_agreements(self) -> None:
        rng = self.rng
        agreement_first = next_id(Agreement)
        signatory_first = next_id(Signatory)
        kinds = [
            Agreement.Kind.MOU,
            Agreement.Kind.SERVICE,
            Agreement.Kind.CONTRIBUTION,
            Agreement.Kind.DATA_SHARING,
            Agreement.Kind.TERMS_OF_REFERENCE,
        ]
        signatures: list[tuple] = []
        created = self.now - dt.timedelta(days=400)

        def agreements():
            agreement_id, signatory_id = agreement_first, signatory_first
            for collab in self.collabs:
                specs = [Agreement.Status.IN_FORCE]
                if collab.status == Collaboration.Status.ACTIVE and rng.random() < 0.2:
                    specs.append(Agreement.Status.CIRCULATING)
                if collab.status in (Collaboration.Status.PROPOSED, Collaboration.Status.FORMING):
                    specs = [Agreement.Status.DRAFT]
                for status in specs:
                    effective = expiry = circulated = None
                    if status == Agreement.Status.IN_FORCE:
                        effective = collab.start
                        # Some reach their renewal notice period in the coming months.
                        expiry = self.today + dt.timedelta(days=rng.randint(20, 900))
                        circulated = collab.start - dt.timedelta(days=30)
                    elif status == Agreement.Status.CIRCULATING:
                        circulated = self.today - dt.timedelta(days=rng.randint(5, 70))
                    collab.agreements.append(agreement_id)
                    yield (
                        agreement_id,
                        collab.id,
                        f"{rng.choice(kinds).label} {agreement_id}",
                        rng.choice(kinds),
                        1,
                        status,
                        circulated,
                        effective,
                        expiry,
                        90,
                        "",
                        created,
                    )
                    if status != Agreement.Status.DRAFT:
                        for part in collab.parts:
                            signed_at = None
                            if status == Agreement.Status.IN_FORCE:
                                signed_at = self._at(
                                    collab.start - dt.timedelta(days=rng.randint(1, 25))
                                )
                            elif part.profile == ENGAGED and rng.random() < 0.8:
                                signed_at = self._at(
                                    circulated + dt.timedelta(days=rng.randint(0, 4))
                                )
                                signed_at = min(signed_at, self.now)
                            name = f"{rng.choice(GIVEN)} {rng.choice(FAMILY)}" if signed_at else ""
                            signatures.append(
                                (
                                    signatory_id,
                                    agreement_id,
                                    part.organisation,
                                    name,
                                    "",
                                    None,
                                    None,
                                    signed_at,
                                )
                            )
                            signatory_id += 1
                    agreement_id += 1

        columns = [
            "id",
            "collaboration_id",
            "title",
            "kind",
            "version",
            "status",
            "circulated_on",
            "effective_date",
            "expiry_date",
            "renewal_notice_days",
            "document",
            "created_at",
        ]
        self._copy(Agreement, columns, agreements(), int(1.2 * len(self.collabs)))
        columns = [
            "id",
            "agreement_id",
            "organisation_id",
            "signed_by_name",
            "signed_by_title",
            "signed_by_user_id",
            "signed_by_token_id",
            "signed_at",
        ]
        self._copy(Signatory, columns, signatures, len(signatures))

    def seed_obligations(self) -> None:
        rng = self.rng
        first = next_id(Obligation)
        owing = sum(len(collab.parts) for collab in self.collabs) or 1
        ratio = self.plan.obligations / owing
        kinds = list(Obligation.Kind)
        units = {
            Obligation.Kind.FUNDING: Obligation.Unit.DOLLARS,
            Obligation.Kind.STAFF_TIME: Obligation.Unit.HOURS,
            Obligation.Kind.DELIVERABLE: Obligation.Unit.ITEMS,
            Obligation.Kind.REPORT: Obligation.Unit.ITEMS,
            Obligation.Kind.DATA: Obligation.Unit.ITEMS,
        }
        created = self.now - dt.timedelta(days=400)

        def rows():
            obligation_id = first
            for collab in self.collabs:
                agreement = collab.agreements[0] if collab.agreements else None
                for part in collab.parts:
                    count = int(ratio) + (1 if rng.random() < ratio - int(ratio) else 0)
                    for _ in range(count):
                        kind = rng.choice(kinds)
                        due = self.today + dt.timedelta(days=rng.randint(-300, 120))
                        status, met_at, evidence = Obligation.Status.PENDING, None, ""
                        if due < self.today:
                            roll = rng.random()
                            if roll < 0.02:
                                status = Obligation.Status.WAIVED
                            elif roll < MET_ODDS[part.profile]:
                                status = Obligation.Status.MET
                                met_day = due + dt.timedelta(days=rng.randint(-10, 5))
                                met_at = min(self._at(met_day, 15), self.now)
                                evidence = "Confirmed by the finance office."
                        quantity = (
                            rng.choice([5000, 12000, 25000])
                            if kind == "funding"
                            else rng.randint(1, 400)
                        )
                        yield (
                            obligation_id,
                            collab.id,
                            part.organisation,
                            agreement,
                            kind,
                            f"{kind.label} for {self.today.year}",
                            quantity,
                            units[kind],
                            due,
                            status,
                            met_at,
                            evidence,
                            "",
                            "",
                            created,
                        )
                        obligation_id += 1

        columns = [
            "id",
            "collaboration_id",
            "organisation_id",
            "agreement_id",
            "kind",
            "description",
            "quantity",
            "unit",
            "due_date",
            "status",
            "met_at",
            "evidence",
            "evidence_url",
            "evidence_file",
            "created_at",
        ]
        self._copy(Obligation, columns, rows(), self.plan.obligations)

    # meetings, attendance, activity
    def seed_meetings_and_attendance(self) -> None:
        rng = self.rng
        meeting_first = next_id(Meeting)
        attendance_first = next_id(Attendance)
        meeting = {Collaboration.Status.PROPOSED, Collaboration.Status.FORMING}
        attending = sum(len(c.parts) for c in self.collabs if c.status not in meeting) or 1
        # Meetings a year so that attendance comes to the plan's size (a few partners joined
        # late and miss the early ones).
        per_year_exact = self.plan.attendance / attending * 1.1
        per_year = max(1, int(per_year_exact))
        attendance: list[tuple] = []
        self.attended: dict[int, list[dt.datetime]] = {}
        created = self.now - dt.timedelta(days=400)

        def meetings():
            meeting_id, attendance_id = meeting_first, attendance_first
            for collab in self.collabs:
                if collab.status in meeting:
                    continue
                count = per_year + (1 if rng.random() < per_year_exact - per_year else 0)
                spacing = 365 // count
                offset = rng.randint(1, spacing)
                days = [offset + k * spacing for k in range(count)]
                # ... and the next one, already planned.
                days.append(-rng.randint(3, 30))
                for days_ago in days:
                    held = self._at(
                        self.today - dt.timedelta(days=days_ago), rng.choice([9, 10, 13, 14])
                    )
                    yield (
                        meeting_id,
                        collab.id,
                        f"Partners' meeting {held:%B %Y}",
                        held,
                        "Council chambers" if rng.random() < 0.5 else "Video call",
                        "",
                        created,
                    )
                    if days_ago > 0:
                        for part in collab.parts:
                            if held.date() < part.joined_on:
                                continue
                            present, apologies = ATTENDANCE_ODDS[part.profile]
                            roll = rng.random()
                            status = (
                                Attendance.Status.PRESENT
                                if roll < present
                                else Attendance.Status.APOLOGIES
                                if roll < present + apologies
                                else Attendance.Status.ABSENT
                            )
                            attendance.append(
                                (
                                    attendance_id,
                                    meeting_id,
                                    part.id,
                                    status,
                                    rng.random() < 0.6,
                                    held,
                                    "",
                                )
                            )
                            attendance_id += 1
                            if status == Attendance.Status.PRESENT:
                                self.attended.setdefault(part.id, []).append(held)
                    meeting_id += 1

        columns = ["id", "collaboration_id", "title", "held_at", "location", "notes", "created_at"]
        self._copy(Meeting, columns, meetings(), (per_year + 1) * len(self.collabs))
        columns = [
            "id",
            "meeting_id",
            "participation_id",
            "status",
            "confirmed_by_partner",
            "recorded_at",
            "previous_status",
        ]
        self._copy(Attendance, columns, attendance, len(attendance))

    def seed_activities(self) -> None:
        rng = self.rng
        first = next_id(Activity)
        parts = [part for collab in self.collabs for part in collab.parts]
        # Scale each profile's count so the total comes to the plan's size.
        expected = sum(ACTIVITY_COUNTS[p.profile] for p in parts) or 1
        scale = self.plan.activities / expected
        kinds = [
            Activity.Kind.MEASUREMENT_REPORTED,
            Activity.Kind.OBLIGATION_MET,
            Activity.Kind.CHECK_IN,
            Activity.Kind.API_CALL,
            Activity.Kind.API_CALL,
        ]

        def rows():
            activity_id = first
            for part in parts:
                for held in self.attended.get(part.id, ()):
                    yield (
                        activity_id,
                        part.id,
                        Activity.Kind.MEETING_ATTENDED,
                        held,
                        held,
                        "",
                        None,
                    )
                    activity_id += 1
                count = max(1, round(ACTIVITY_COUNTS[part.profile] * scale))
                count -= len(self.attended.get(part.id, ()))
                quiet_low, quiet_high = QUIET_DAYS[part.profile]
                latest = rng.randint(quiet_low, quiet_high)
                span = max(1, min(365, (self.today - part.joined_on).days) - latest)
                for index in range(max(0, count)):
                    days_ago = latest if index == 0 else latest + rng.randint(0, span)
                    at = self._at(
                        self.today - dt.timedelta(days=days_ago),
                        rng.randint(8, 17),
                        rng.randint(0, 59),
                    )
                    at = min(at, self.now)
                    yield (activity_id, part.id, rng.choice(kinds), at, at, "", None)
                    activity_id += 1

        columns = [
            "id",
            "participation_id",
            "kind",
            "occurred_at",
            "recorded_at",
            "description",
            "recorded_by_id",
        ]
        self._copy(Activity, columns, rows(), self.plan.activities)
        del self.attended

    def seed_history(self) -> None:
        """HISTORY_WEEKS weekly snapshots of every scanned participation before today, and the
        open flags the latest of them would have left (already sent in earlier digests)."""
        rng = self.rng
        snapshot_first = next_id(EngagementSnapshot)
        flag_first = next_id(Flag)
        flags: list[tuple] = []
        parts = [part for collab in self.collabs for part in collab.parts if part.active]

        def band(score: int) -> str:
            return Band.ENGAGED if score >= 70 else Band.AT_RISK if score >= 40 else Band.DISENGAGED

        def rows():
            snapshot_id, flag_id = snapshot_first, flag_first
            for part in parts:
                low, high = SCORE_RANGES[part.profile]
                entered = None
                score = 0
                for week in range(HISTORY_WEEKS, 0, -1):
                    day = self.today - week * WEEK
                    if day < part.joined_on:
                        continue
                    score = rng.randint(low, high)
                    reasons = [] if score >= 70 else [MISSED_TWO]
                    entered = None if score >= 70 else entered or day
                    yield (
                        snapshot_id,
                        part.id,
                        day,
                        score,
                        band(score),
                        2,
                        1,
                        0,
                        "0.5000",
                        0,
                        1,
                        0,
                        0,
                        2,
                        0,
                        rng.randint(0, 90),
                        0,
                        0,
                        0,  # meetings_unrecorded
                        {},
                        band(score),  # state
                        0 if score >= 70 else 1,  # warning_streak
                        1 if score >= 75 else 0,  # clear_streak
                        0,  # drift_evidence
                        {},  # trend
                        reasons,
                        self._at(day, 5),
                    )
                    snapshot_id += 1
                if entered is not None:
                    flags.append(
                        (
                            flag_id,
                            part.id,
                            band(score),
                            band(score),
                            score,
                            [MISSED_TWO],
                            Flag.Status.OPEN,
                            entered,
                            self._at(entered, 6),
                            "",
                            self._at(entered, 5),
                            0,
                        )
                    )
                    flag_id += 1

        # The rows above give the snapshot's figures in SNAPSHOT_FIELDS' order.
        snapshot_columns = [EngagementSnapshot._meta.get_field(f).column for f in SNAPSHOT_FIELDS]
        columns = ["id", "participation_id", "scan_date", *snapshot_columns, "computed_at"]
        self._copy(EngagementSnapshot, columns, rows(), HISTORY_WEEKS * len(parts))
        columns = [
            "id",
            "participation_id",
            "band",
            "state",
            "score",
            "reasons",  # the column of Flag.reason_codes
            "status",
            "raised_on",
            "notified_at",
            "resolution_note",
            "created_at",
            "reopened_count",
        ]
        self._copy(Flag, columns, flags, len(flags))
