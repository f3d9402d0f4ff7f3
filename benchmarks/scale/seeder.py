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
from collections.abc import Callable
from typing import Any

from django.contrib.auth.hashers import make_password
from django.db import connection
from django.utils import timezone

from agreements.models import (
    Agreement,
    Collaboration,
    Measurement,
    Obligation,
    Participation,
    SharedGoal,
    Signatory,
)
from commissioner.models import (
    Activity,
    Attendance,
    EngagementSnapshot,
    Flag,
    Meeting,
)
from partners.models import Contact, Organisation, StaffMembership, User

from .copy import (
    copy_rows,
    next_id,
    sync_sequences,
)
from .data import (
    FAMILY,
    GIVEN,
    KIND_WEIGHTS,
    NAME_PATTERNS,
    ORGANISATIONS_PER_STAFF,
    PLACE_ENDS,
    PLACE_STARTS,
    PORTFOLIO_SIZE,
    PROFILE_WEIGHTS,
    REGIONS,
    SCALE_PASSWORD,
    STATUS_WEIGHTS,
    STRUCTURE_WEIGHTS,
    TOPICS,
    Collab,
    Part,
    Plan,
    _pick,
    _roles,
)
from .records import (
    ScaleRecords,
)


class ScaleSeeder(ScaleRecords):
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
                    "",  # preferred_language: none chosen
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
                    "",  # preferred_language: none chosen
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
            "preferred_language",
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
                        "",  # preferred_language: none stated
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
            "preferred_language",
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
            # Written in English (agreements/translation.py): title, summary, vision as _en.
            "title_en",
            "title_fr",
            "summary_en",
            "summary_fr",
            "shared_vision_en",
            "shared_vision_fr",
        ]
        english = ((*row, row[1], "", row[3], "", row[4], "") for row in rows())
        self._copy(Collaboration, columns, english, plan.collaborations)

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
