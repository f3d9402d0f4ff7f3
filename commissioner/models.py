"""Watching the partnership: meetings and attendance, partners' activity, the engagement policy,
daily engagement snapshots, flags raised on drifting partners and the interventions taken."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from agreements.models import Agreement, Collaboration, Obligation, Participation
from core.scope import COMMISSION, OWN, ActionRule, Scope

from .reasons import render_all


class Meeting(models.Model):
    scope = Scope(
        via="collaboration",
        # Attendance is confirmed for one's own organisation, taking an active part.
        actions={
            "confirm": ActionRule(
                lambda org: Q(
                    collaboration__participations__organisation_id=org,
                    collaboration__participations__status="active",
                ),
                partners_only=False,
            )
        },
    )

    collaboration = models.ForeignKey(
        Collaboration,
        verbose_name=_("collaboration"),
        on_delete=models.CASCADE,
        related_name="meetings",
    )
    title = models.CharField(_("title"), max_length=200)
    held_at = models.DateTimeField(_("held at"))
    location = models.CharField(_("location"), max_length=200, blank=True)
    notes = models.TextField(_("notes"), max_length=5000, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("meeting")
        verbose_name_plural = _("meetings")
        ordering = ["-held_at"]
        indexes = [models.Index(fields=["collaboration", "held_at"])]

    def __str__(self) -> str:
        return f"{self.title} ({self.held_at:%Y-%m-%d})"


class Attendance(models.Model):
    scope = Scope(via="meeting__collaboration")

    class Status(models.TextChoices):
        PRESENT = "present", _("Present")
        APOLOGIES = "apologies", _("Apologies")
        ABSENT = "absent", _("Absent")

    meeting = models.ForeignKey(
        Meeting, verbose_name=_("meeting"), on_delete=models.CASCADE, related_name="attendances"
    )
    participation = models.ForeignKey(
        Participation,
        verbose_name=_("participation"),
        on_delete=models.CASCADE,
        related_name="attendances",
    )
    status = models.CharField(_("attendance"), max_length=20, choices=Status.choices)
    confirmed_by_partner = models.BooleanField(_("confirmed by partner"), default=False)
    # When it was first recorded; a correction keeps the status it replaced and when, so a scan
    # for a day before the correction reads what was recorded then (as-of truth).
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)
    changed_at = models.DateTimeField(_("changed at"), null=True, blank=True)
    previous_status = models.CharField(
        _("previous status"), max_length=20, choices=Status.choices, blank=True
    )

    class Meta:
        verbose_name = _("attendance")
        verbose_name_plural = _("attendances")
        constraints = [
            models.UniqueConstraint(
                fields=["meeting", "participation"], name="attendance_once_per_meeting"
            )
        ]
        indexes = [models.Index(fields=["participation", "meeting"])]

    def __str__(self) -> str:
        return f"{self.participation.organisation}: {self.get_status_display()}"


class Activity(models.Model):
    """A sign of life from a partner in a collaboration, recorded by the service that did it."""

    class Kind(models.TextChoices):
        MEETING_ATTENDED = "meeting_attended", _("Meeting attended")
        MEASUREMENT_REPORTED = "measurement_reported", _("Measurement reported")
        OBLIGATION_MET = "obligation_met", _("Obligation met")
        AGREEMENT_SIGNED = "agreement_signed", _("Agreement signed")
        CHECK_IN = "check_in", _("Check-in logged")
        API_CALL = "api_call", _("API use")

    participation = models.ForeignKey(
        Participation,
        verbose_name=_("participation"),
        on_delete=models.CASCADE,
        related_name="activities",
    )
    kind = models.CharField(_("kind"), max_length=30, choices=Kind.choices)
    occurred_at = models.DateTimeField(_("occurred at"), default=timezone.now)
    # When CollabHub learnt of it: a scan for a past date counts only what was known by then
    # (a check-in logged today for last week does not change last week's scores).
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)
    # Taken back (attendance corrected to absent): no longer counted from this moment, still
    # counted by a scan for an earlier day.
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)
    description = models.CharField(_("description"), max_length=300, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        ordering = ["-occurred_at"]
        verbose_name_plural = _("activities")
        indexes = [models.Index(fields=["participation", "-occurred_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} at {self.occurred_at:%Y-%m-%d}"


class EngagementPolicy(models.Model):
    """Scoring thresholds. The row with no collaboration is the system default; a collaboration
    may have its own row that overrides it."""

    collaboration = models.OneToOneField(
        Collaboration,
        verbose_name=_("collaboration"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="engagement_policy",
    )
    window_days = models.PositiveIntegerField(_("window (days)"), default=90)
    weight_attendance = models.PositiveIntegerField(_("weight: attendance"), default=30)
    weight_obligations = models.PositiveIntegerField(_("weight: obligations"), default=25)
    weight_reporting = models.PositiveIntegerField(_("weight: goal reporting"), default=15)
    weight_recency = models.PositiveIntegerField(_("weight: recent activity"), default=20)
    weight_signatures = models.PositiveIntegerField(_("weight: signatures"), default=10)
    engaged_min = models.PositiveIntegerField(_("engaged from score"), default=70)
    at_risk_min = models.PositiveIntegerField(_("at risk from score"), default=40)
    inactivity_days = models.PositiveIntegerField(
        _("days without activity counted as fully inactive"), default=60
    )
    overdue_grace_days = models.PositiveIntegerField(
        _("days overdue counted as fully late"), default=60
    )
    # Early warning (docs/engagement.md, "Trends and the watch state").
    trend_days = models.PositiveIntegerField(
        _("recent period compared with the partner's own earlier record (days)"), default=42
    )
    attendance_grace_days = models.PositiveIntegerField(
        _("days after a meeting before unrecorded attendance counts as absence"), default=14
    )
    drift_points = models.PositiveIntegerField(
        _("trend points in one day at which an engaged partner is drifting"), default=40
    )
    # In hundredths of a power of ten: 200 is "a hundred times likelier drifting away than
    # the partner's usual self" (commissioner/trends.py, the drift evidence).
    drift_evidence = models.PositiveIntegerField(
        _("drift evidence at which an engaged partner is drifting (200: 100 times likelier)"),
        default=200,
    )
    # In the same unit: a partner whose named contact left in the last 90 days, no one named in
    # its place, is drifting from that much less evidence (50: taken to be three times likelier
    # to drift).
    drift_contact_left = models.PositiveIntegerField(
        _(
            "drift evidence counted while the named contact left, no one named in its place "
            "(90 days)"
        ),
        default=50,
    )
    flag_after_scans = models.PositiveIntegerField(
        _("consecutive scans a state must hold before a flag is raised or closed"), default=2
    )
    sharp_drop = models.PositiveIntegerField(
        _("score drop since the previous scan that raises a flag at once"), default=20
    )
    release_margin = models.PositiveIntegerField(
        _("points above 'engaged' a partner must reach for its flag to close"), default=5
    )
    reopen_days = models.PositiveIntegerField(
        _("days after closing within which a flag reopens instead of a new one"), default=30
    )
    new_partner_days = models.PositiveIntegerField(
        _("days after joining before a partner can be banded"), default=45
    )
    new_partner_meetings = models.PositiveIntegerField(
        _("meetings after joining before a partner can be banded"), default=2
    )
    points_contact_left = models.PositiveIntegerField(
        _("points off: the named contact left or changed (90 days)"), default=0
    )
    points_single_contact = models.PositiveIntegerField(
        _("points off: only one active contact"), default=3
    )
    points_partner_withdrew = models.PositiveIntegerField(
        _("points off: another partner withdrew (90 days)"), default=5
    )
    points_survey_unanswered = models.PositiveIntegerField(
        _("points off: the latest health survey round not answered"), default=5
    )
    points_survey_trust = models.PositiveIntegerField(
        _("points off: trust or commitment rated low or apart from the others"), default=10
    )
    points_survey_divergent = models.PositiveIntegerField(
        _("points off: another principle rated apart from the others"), default=5
    )

    class Meta:
        verbose_name = _("engagement policy")
        verbose_name_plural = _("engagement policies")
        verbose_name_plural = _("engagement policies")
        constraints = [
            # At most one system default (the row with no collaboration): NULL becomes 0.
            models.UniqueConstraint(
                Coalesce("collaboration", 0), name="engagement_policy_one_default"
            ),
            models.CheckConstraint(
                condition=models.Q(engaged_min__gt=models.F("at_risk_min")),
                name="engagement_policy_bands_ordered",
            ),
            models.CheckConstraint(
                condition=models.Q(engaged_min__lte=100), name="engagement_policy_engaged_max_100"
            ),
            models.CheckConstraint(
                condition=models.Q(window_days__gte=1), name="engagement_policy_window_positive"
            ),
        ]

    def __str__(self) -> str:
        if self.collaboration_id is None:
            return str(_("Default policy (all collaborations)"))
        return _("Policy for %(collaboration)s") % {"collaboration": self.collaboration}


class Band(models.TextChoices):
    ENGAGED = "engaged", _("Engaged")
    AT_RISK = "at_risk", _("At risk")
    DISENGAGED = "disengaged", _("Disengaged")


# The worst band first: the portfolio's order of flags and collaborations.
BAND_RANK = {Band.ENGAGED: 1, Band.AT_RISK: 2, Band.DISENGAGED: 3}


def band_rank(path: str = "band") -> models.Case:
    """The band's rank as an expression (0 when there is none), for ordering and for index
    `flag_open_worst_first`, which must be this very expression to serve the order."""
    return models.Case(
        *[models.When(**{path: band}, then=models.Value(rank)) for band, rank in BAND_RANK.items()],
        default=models.Value(0),
        output_field=models.IntegerField(),
    )


class State(models.TextChoices):
    """What the commissioner is told of a partner: its band, or the watch state *drifting* (still
    engaged, but falling against its own record), or too early to tell (a new partner)."""

    TOO_EARLY = "too_early", _("Too early to tell")
    ENGAGED = "engaged", _("Engaged")
    DRIFTING = "drifting", _("Drifting")
    AT_RISK = "at_risk", _("At risk")
    DISENGAGED = "disengaged", _("Disengaged")


WARNING_STATES = (State.DRIFTING, State.AT_RISK, State.DISENGAGED)


class EngagementSnapshot(models.Model):
    """One row per participation per scan day, with every figure that went into the score."""

    scope = Scope(readers=OWN, own="participation__organisation_id")

    participation = models.ForeignKey(
        Participation,
        verbose_name=_("participation"),
        on_delete=models.CASCADE,
        related_name="snapshots",
    )
    scan_date = models.DateField(_("scan date"))
    score = models.PositiveSmallIntegerField(_("score"))
    band = models.CharField(_("band"), max_length=20, choices=Band.choices)
    meetings_held = models.PositiveIntegerField(_("meetings held"), default=0)
    # Present; apologies are counted apart (they weigh half in the attendance component).
    meetings_attended = models.PositiveIntegerField(_("meetings attended"), default=0)
    meetings_apologies = models.PositiveIntegerField(_("meetings apologies"), default=0)
    attendance_rate = models.DecimalField(
        _("attendance rate"), max_digits=5, decimal_places=4, null=True, blank=True
    )
    consecutive_absences = models.PositiveIntegerField(_("consecutive absences"), default=0)
    # Obligations due in the window or still outstanding: the denominator of the component.
    obligations_due = models.PositiveIntegerField(_("obligations due"), default=0)
    obligations_overdue = models.PositiveIntegerField(_("obligations overdue"), default=0)
    max_days_overdue = models.PositiveIntegerField(_("longest overdue (days)"), default=0)
    reports_expected = models.PositiveIntegerField(_("reports expected"), default=0)
    reports_missing = models.PositiveIntegerField(_("reports missing"), default=0)
    days_since_activity = models.PositiveIntegerField(
        _("days since activity"), null=True, blank=True
    )
    signatures_pending = models.PositiveIntegerField(_("signatures pending"), default=0)
    max_days_awaiting_signature = models.PositiveIntegerField(
        _("longest wait for a signature (days)"), default=0
    )
    state = models.CharField(
        _("state"), max_length=20, choices=State.choices, default=State.ENGAGED
    )
    # Consecutive scans (this one included) in a warning state, and clear of it (scoring at
    # least engaged_min + release_margin and not drifting): the flags' hysteresis.
    warning_streak = models.PositiveIntegerField(_("warning streak"), default=0)
    clear_streak = models.PositiveIntegerField(_("clear streak"), default=0)
    # The trend evidence accumulated over the scans (commissioner/trends.py, watch).
    drift_evidence = models.PositiveIntegerField(_("drift evidence"), default=0)
    # Held meetings whose attendance is not recorded yet, within the grace period: a data gap,
    # not an absence.
    meetings_unrecorded = models.PositiveIntegerField(_("meetings unrecorded"), default=0)
    # The trend, rhythm, lateness and relationship figures, each with the points it cost
    # (docs/engagement.md): {"attendance_recent": 0.33, ..., "points": {"attendance": 12}}.
    trend = models.JSONField(_("trend"), default=dict, blank=True)
    # {"attendance": {"value": 0.75, "weight": 30}, ...}: each component in [0, 1] and its weight.
    components = models.JSONField(_("components"), default=dict, blank=True)
    # Why it lost points, as codes and figures (commissioner/reasons.py); `reasons` renders them.
    reason_codes = models.JSONField(_("reasons"), default=list, blank=True, db_column="reasons")
    computed_at = models.DateTimeField(_("computed at"), default=timezone.now)

    class Meta:
        verbose_name = _("engagement snapshot")
        verbose_name_plural = _("engagement snapshots")
        ordering = ["-scan_date"]
        constraints = [
            models.UniqueConstraint(
                fields=["participation", "scan_date"], name="snapshot_once_per_day"
            ),
            models.CheckConstraint(condition=models.Q(score__lte=100), name="snapshot_score_max"),
        ]
        indexes = [
            # A scan day's snapshots of a range of participations: the scan's batches and the
            # dashboard's "latest scan" read through it whatever the planner's statistics say
            # about today's rows (docs/performance.md, "snapshot_day_participation").
            models.Index(fields=["scan_date", "participation"], name="snapshot_day_participation")
        ]

    def __str__(self) -> str:
        return f"{self.participation} {self.scan_date}: {self.score}"

    @property
    def reasons(self) -> list[str]:
        """The reasons in the active language, as of the scan date."""
        return render_all(self.reason_codes, self.scan_date)

    @reasons.setter
    def reasons(self, value) -> None:
        self.reason_codes = list(value)


class Flag(models.Model):
    """Raised when a participation enters at risk or disengaged; at most one open per
    participation."""

    scope = Scope(readers=COMMISSION)

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        ACKNOWLEDGED = "acknowledged", _("Acknowledged")
        RESOLVED = "resolved", _("Resolved")
        AUTO_CLOSED = "auto_closed", _("Closed: partner recovered")
        # The partner withdrew, or its collaboration is no longer active: nobody scans it now.
        NOT_SCANNED = "not_scanned", _("Closed: partner withdrew or collaboration not active")

    OPEN_STATUSES = (Status.OPEN, Status.ACKNOWLEDGED)

    participation = models.ForeignKey(
        Participation,
        verbose_name=_("participation"),
        on_delete=models.CASCADE,
        related_name="flags",
    )
    band = models.CharField(_("band"), max_length=20, choices=Band.choices)
    state = models.CharField(
        _("state"), max_length=20, choices=State.choices, default=State.AT_RISK
    )
    # Raised again within the policy's reopen_days of closing: the same flag, reopened.
    reopened_count = models.PositiveIntegerField(_("reopened count"), default=0)
    reopened_on = models.DateField(_("reopened on"), null=True, blank=True)
    # The scan date it closed on: the scan that closed it, or the latest scan of the partner when
    # a person resolved it (the flags' rules compare scan dates, not clock times).
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    score = models.PositiveSmallIntegerField(_("score"))
    # As the snapshot's: codes and figures, a growing day count stored as the date it counts
    # from, so an unchanged partner's open flag is not rewritten every day.
    reason_codes = models.JSONField(_("reasons"), default=list, blank=True, db_column="reasons")
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.OPEN
    )
    raised_on = models.DateField(_("raised on"))
    notified_at = models.DateTimeField(_("notified at"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("acknowledged by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("resolved by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    resolution_note = models.TextField(_("resolution note"), max_length=5000, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("flag")
        verbose_name_plural = _("flags")
        ordering = ["-raised_on", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["participation"],
                condition=models.Q(status__in=["open", "acknowledged"]),
                name="flag_one_open_per_participation",
            )
        ]
        indexes = [
            models.Index(fields=["status", "band"]),
            # The flag lists' order (newest first, then by id, as the API pages them): a page
            # off the index.
            models.Index(fields=["-raised_on", "id"], name="flag_raised_order"),
            # The inbox (open and acknowledged flags, newest first, keyset pages): only open
            # flags in it, so the closed ones that pile up year after year stay out of its path.
            models.Index(
                fields=["-raised_on", "id"],
                condition=models.Q(status__in=["open", "acknowledged"]),
                name="flag_open_inbox_order",
            ),
            # The portfolio's worst open flags (commissioner.selectors.portfolio_flags): the
            # first ten off the index, not a sort of every open flag.
            models.Index(
                band_rank().desc(),
                models.F("score"),
                models.F("raised_on").desc(),
                models.F("id").desc(),
                condition=models.Q(status__in=["open", "acknowledged"]),
                name="flag_open_worst_first",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.participation}: {self.get_band_display()}"

    def get_absolute_url(self) -> str:
        return reverse("commissioner:flag_detail", kwargs={"pk": self.pk})

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES

    def reasons_as_of(self, day) -> list[str]:
        """The reasons in the active language, day counts as of `day`."""
        return render_all(self.reason_codes, day)

    @property
    def reasons(self) -> list[str]:
        """The reasons in the active language: an open flag's day counts as of today (the scan
        left it unchanged because its partner's figures were), a closed one's as of its close."""
        if self.closed_on is not None:
            return self.reasons_as_of(self.closed_on)
        if self.closed_at is not None:
            return self.reasons_as_of(timezone.localdate(self.closed_at))
        return self.reasons_as_of(timezone.localdate())

    @reasons.setter
    def reasons(self, value) -> None:
        self.reason_codes = list(value)


class Intervention(models.Model):
    scope = Scope(readers=COMMISSION)

    class Kind(models.TextChoices):
        CALL = "call", _("Call")
        MEETING = "meeting", _("Meeting")
        LETTER = "letter", _("Letter")
        ESCALATION = "escalation", _("Escalation")

    flag = models.ForeignKey(
        Flag, verbose_name=_("flag"), on_delete=models.CASCADE, related_name="interventions"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    description = models.TextField(_("what was done or planned"), max_length=5000)
    due_date = models.DateField(_("due date"), null=True, blank=True)
    outcome = models.TextField(_("outcome"), max_length=5000, blank=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("intervention")
        verbose_name_plural = _("interventions")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {self.flag}"


class Reminder(models.Model):
    """A reminder that was sent; the unique constraints make each one go out once."""

    class Kind(models.TextChoices):
        OBLIGATION_DUE_SOON = "obligation_due_soon", _("Obligation due soon")
        OBLIGATION_OVERDUE = "obligation_overdue", _("Obligation overdue")
        AGREEMENT_RENEWAL = "agreement_renewal", _("Agreement renewal notice")

    kind = models.CharField(_("kind"), max_length=30, choices=Kind.choices)
    obligation = models.ForeignKey(
        Obligation,
        verbose_name=_("obligation"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="reminders",
    )
    agreement = models.ForeignKey(
        Agreement,
        verbose_name=_("agreement"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="reminders",
    )
    recipient = models.EmailField(_("recipient"))
    sent_at = models.DateTimeField(_("sent at"), default=timezone.now)

    class Meta:
        verbose_name = _("reminder")
        verbose_name_plural = _("reminders")
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "obligation"],
                condition=models.Q(obligation__isnull=False),
                name="reminder_once_per_obligation",
            ),
            models.UniqueConstraint(
                fields=["kind", "agreement"],
                condition=models.Q(agreement__isnull=False),
                name="reminder_once_per_agreement",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} to {self.recipient}"


# Partnership health survey (docs/engagement.md, "Partnership health survey") ------------------


# The health survey's models live with the survey (commissioner/survey/models.py).
from .survey.models import (  # noqa: E402, F401
    SurveyAnswer,
    SurveyInstrument,
    SurveyPrinciple,
    SurveyRespondent,
    SurveyResponse,
    SurveyRound,
    SurveySchedule,
    SurveyStatement,
)


class ScanRun(models.Model):
    """One day's engagement scan: planned once into batches of participations (ScanBatch), which
    Celery workers share; finished once (flags of partners no longer scanned closed, the
    portfolio summary written, digests sent). A finished day is not scanned again by the task,
    and "Scan now" queues at most one scan a day."""

    scan_date = models.DateField(unique=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    started_at = models.DateTimeField(default=timezone.now)
    # Set when the batches are planned (None: queued, not planned yet).
    planned_at = models.DateTimeField(null=True, blank=True)
    batch_size = models.PositiveIntegerField(default=5000)
    finished_at = models.DateTimeField(null=True, blank=True)
    # The whole scan's counts (ScanResult), summed from the batches when it finishes.
    figures = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-scan_date"]

    def __str__(self) -> str:
        return f"Engagement scan {self.scan_date}"


class ScanBatch(models.Model):
    """One batch of a day's scan: the scanned participations with ids from `first_id` to
    `last_id` (the last batch open-ended). Its snapshots, its flags and `finished_at` commit
    together, so a batch killed part-way left nothing and is redone, and a finished one is not."""

    run = models.ForeignKey(ScanRun, on_delete=models.CASCADE, related_name="batches")
    number = models.PositiveIntegerField()
    first_id = models.BigIntegerField()
    last_id = models.BigIntegerField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    figures = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["run", "number"]
        constraints = [
            models.UniqueConstraint(fields=["run", "number"], name="scan_batch_once_per_run")
        ]

    def __str__(self) -> str:
        return f"{self.run} batch {self.number}"


class CollaborationSummary(models.Model):
    """What the portfolio shows of a collaboration, written by each scan as it finishes: its
    partners' worst band and lowest score on that scan, its open flags, its next deadline and its
    partners by state. The portfolio pages read and order these rows instead of computing them
    for every collaboration on every request (docs/performance.md)."""

    collaboration = models.OneToOneField(
        Collaboration, on_delete=models.CASCADE, primary_key=True, related_name="portfolio_summary"
    )
    scan_date = models.DateField()
    # The collaboration's title when summarised: the portfolio's last sort key, on the index.
    title = models.CharField(max_length=200)
    # 0 none scored, 1 engaged, 2 at risk, 3 disengaged (selectors.BAND_RANK).
    worst_rank = models.PositiveSmallIntegerField(default=0)
    lowest_score = models.PositiveSmallIntegerField(null=True, blank=True)
    open_flags = models.PositiveIntegerField(default=0)
    next_deadline = models.DateField(null=True, blank=True)
    partner_count = models.PositiveIntegerField(default=0)
    # The active partners by state on the scan (the dashboard's cards).
    too_early = models.PositiveIntegerField(default=0)
    engaged = models.PositiveIntegerField(default=0)
    drifting = models.PositiveIntegerField(default=0)
    at_risk = models.PositiveIntegerField(default=0)
    disengaged = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [
            # The portfolio's order, worst first: a page is read off the index.
            models.Index(
                models.F("worst_rank").desc(),
                models.F("open_flags").desc(),
                # Ascending puts NULLs last on PostgreSQL, as the portfolio orders them
                # (SQLite refuses NULLS LAST in an index).
                "lowest_score",
                "title",
                "collaboration",
                name="summary_portfolio_order",
            )
        ]

    def __str__(self) -> str:
        return f"{self.title} on {self.scan_date}"
