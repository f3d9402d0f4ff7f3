"""The second half of the seeder: goals and reports, agreements and signatures, obligations,
meetings and attendance, activity, and a month of engagement history with its open flags."""

from __future__ import annotations

import datetime as dt

from agreements.models import (
    Agreement,
    Collaboration,
    Measurement,
    Obligation,
    SharedGoal,
    Signatory,
)
from commissioner.models import (
    Activity,
    Attendance,
    Band,
    EngagementSnapshot,
    Flag,
    Meeting,
)
from commissioner.services import SNAPSHOT_FIELDS

from .copy import (
    next_id,
)
from .data import (
    ACTIVITY_COUNTS,
    ATTENDANCE_ODDS,
    ENGAGED,
    FAMILY,
    GIVEN,
    GOALS,
    HISTORY_WEEKS,
    MET_ODDS,
    QUIET_DAYS,
    REPORT_ODDS,
    SCORE_RANGES,
    WEEK,
    _pick,
)

# The reason the seeded history gives partners below engaged (commissioner/reasons.py).
MISSED_TWO = {
    "code": "attendance",
    "figures": {"missed": 2, "held": 3, "apologies": 0, "in_a_row": 0},
}


class ScaleRecords:
    """Mixed into ScaleSeeder (seeder.py): the rows that hang off participations."""

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
            # Written in English (agreements/translation.py): title and indicator as _en.
            "title_en",
            "title_fr",
            "indicator_en",
            "indicator_fr",
        ]
        english = ((*row, row[2], "", row[3], "") for row in goals())
        self._copy(SharedGoal, columns, english, int(1.5 * len(self.collabs)))

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
