"""Collaborations, who takes part in what role, shared goals and their measurements, agreements
with their signatories, and the obligations each organisation owes."""

from django.conf import settings
from django.core.validators import URLValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from core.bounds import validate_date_range
from core.history import history_user
from core.scope import ActionRule, Scope
from core.translated import StoredInDefaultLanguage, display_expression
from partners.models import ApiToken, Contact, Organisation


class Structure(models.TextChoices):
    CONSORTIUM = "consortium", _("Consortium")
    COLLABORATIVE_PARTNERSHIP = "collaborative_partnership", _("Collaborative partnership")
    MUTUAL = "mutual", _("Mutual structure for social benefit")
    QUALITY_NETWORK = "quality_network", _("Quality network")
    PRIME_CONTRACTOR = "prime_contractor", _("Prime contractor")
    CROWDSOURCING = "crowdsourcing", _("Crowdsourcing")


class Role(models.TextChoices):
    """Every role of every structure; which ones a structure allows is in structures.py."""

    LEAD = "lead", _("Lead")
    MEMBER = "member", _("Member")
    PARTNER = "partner", _("Partner")
    CONVENOR = "convenor", _("Convenor")
    COORDINATOR = "coordinator", _("Coordinator")
    COMMISSIONING_BODY = "commissioning_body", _("Commissioning body")
    PRIME_CONTRACTOR = "prime_contractor", _("Prime contractor")
    SUBCONTRACTOR = "subcontractor", _("Subcontractor")
    HOST = "host", _("Host")
    CONTRIBUTOR = "contributor", _("Contributor")


class Collaboration(StoredInDefaultLanguage, models.Model):
    """Title, summary and shared vision are written in English, French or both: one column per
    language (agreements/translation.py), read through core/translated.py."""

    scope = Scope(members=("participations__organisation",), is_collaboration=True)

    class Status(models.TextChoices):
        PROPOSED = "proposed", _("Proposed")
        FORMING = "forming", _("Forming")
        ACTIVE = "active", _("Active")
        PAUSED = "paused", _("Paused")
        CONCLUDED = "concluded", _("Concluded")
        DISSOLVED = "dissolved", _("Dissolved")

    # Whose partners the engagement scan scores (and whose obligations get reminders), and the
    # statuses a collaboration ends in.
    SCANNED_STATUSES = (Status.ACTIVE,)
    CLOSED_STATUSES = (Status.CONCLUDED, Status.DISSOLVED)

    title = models.CharField(_("title"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    summary = models.TextField(_("summary"), blank=True)
    shared_vision = models.TextField(_("shared vision"), blank=True)
    structure = models.CharField(_("structure"), max_length=30, choices=Structure.choices)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.PROPOSED
    )
    lead_organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("lead organisation"),
        on_delete=models.PROTECT,
        related_name="led_collaborations",
    )
    commissioner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("commissioner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="commissioned_collaborations",
    )
    start_date = models.DateField(
        _("start date"), validators=[validate_date_range], null=True, blank=True
    )
    planned_end_date = models.DateField(
        _("planned end date"), validators=[validate_date_range], null=True, blank=True
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    history = HistoricalRecords(get_user=history_user)

    class Meta:
        verbose_name = _("collaboration")
        verbose_name_plural = _("collaborations")
        ordering = ["title"]
        indexes = [
            models.Index(fields=["status", "structure"]),
            models.Index(fields=["commissioner", "status"]),
            # Lists are ordered by title as each reader sees it (their language's version, else
            # the other's): a page is read off the index, not sorted from all.
            models.Index(
                display_expression("title", "en"), "id", name="collaboration_title_en_order"
            ),
            models.Index(
                display_expression("title", "fr"), "id", name="collaboration_title_fr_order"
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(planned_end_date__isnull=True)
                | models.Q(start_date__isnull=True)
                | models.Q(planned_end_date__gte=models.F("start_date")),
                name="collaboration_end_after_start",
            )
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("agreements:collaboration_detail", kwargs={"slug": self.slug})


class Participation(models.Model):
    """An organisation's place in a collaboration."""

    scope = Scope(via="collaboration")

    class Status(models.TextChoices):
        INVITED = "invited", _("Invited")
        ACTIVE = "active", _("Active")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    collaboration = models.ForeignKey(
        Collaboration,
        verbose_name=_("collaboration"),
        on_delete=models.CASCADE,
        related_name="participations",
    )
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        related_name="participations",
    )
    role = models.CharField(_("role"), max_length=30, choices=Role.choices)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.ACTIVE
    )
    contact = models.ForeignKey(
        Contact,
        verbose_name=_("named contact"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    joined_on = models.DateField(
        _("joined on"), validators=[validate_date_range], default=timezone.localdate
    )
    left_on = models.DateField(
        _("left on"), validators=[validate_date_range], null=True, blank=True
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    history = HistoricalRecords(get_user=history_user)

    class Meta:
        verbose_name = _("participation")
        verbose_name_plural = _("participations")
        ordering = ["collaboration", "organisation__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["collaboration", "organisation"],
                name="participation_one_per_organisation",
            ),
            models.CheckConstraint(
                condition=models.Q(left_on__isnull=True)
                | models.Q(left_on__gte=models.F("joined_on")),
                name="participation_left_after_joined",
            ),
        ]
        indexes = [
            models.Index(fields=["organisation", "status"]),
            models.Index(fields=["status", "collaboration"]),
        ]

    def __str__(self) -> str:
        return f"{self.organisation} in {self.collaboration} ({self.get_role_display()})"


class SharedGoal(StoredInDefaultLanguage, models.Model):
    """Title and indicator in English, French or both (agreements/translation.py)."""

    scope = Scope(via="collaboration")

    class Cadence(models.TextChoices):
        MONTHLY = "monthly", _("Monthly")
        QUARTERLY = "quarterly", _("Quarterly")
        YEARLY = "yearly", _("Yearly")

    # Days of one reporting period of each cadence (a cadence not listed counts as quarterly).
    CADENCE_DAYS = {Cadence.MONTHLY: 30, Cadence.QUARTERLY: 91, Cadence.YEARLY: 365}

    collaboration = models.ForeignKey(
        Collaboration,
        verbose_name=_("collaboration"),
        on_delete=models.CASCADE,
        related_name="goals",
    )
    title = models.CharField(_("title"), max_length=200)
    indicator = models.CharField(_("indicator"), max_length=200)
    unit = models.CharField(_("unit"), max_length=50)
    baseline = models.DecimalField(_("baseline"), max_digits=14, decimal_places=2, default=0)
    target = models.DecimalField(_("target"), max_digits=14, decimal_places=2)
    target_date = models.DateField(
        _("target date"), validators=[validate_date_range], null=True, blank=True
    )
    cadence = models.CharField(
        _("reporting cadence"), max_length=20, choices=Cadence.choices, default=Cadence.QUARTERLY
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    history = HistoricalRecords(get_user=history_user)

    class Meta:
        verbose_name = _("shared goal")
        verbose_name_plural = _("shared goals")
        ordering = ["collaboration", "title"]

    def __str__(self) -> str:
        return self.title

    @property
    def cadence_days(self) -> int:
        return self.CADENCE_DAYS.get(self.cadence, 91)


class CurrentMeasurementManager(models.Manager):
    """Measurements that stand: a withdrawn one (reported in error) counts nowhere — not in
    progress, charts, lists, exports or signs of life — but stays in the table and its history."""

    def get_queryset(self):
        return super().get_queryset().filter(withdrawn_at__isnull=True)


class Measurement(models.Model):
    """A reported value of a goal's indicator for a period. Progress is derived, never stored.

    A correction changes `value` or `period_end` in place (the history keeps what was reported
    and `correction_reason` says why); a withdrawal sets `withdrawn_at`, after which the
    default manager no longer returns the row and the period may be reported again."""

    scope = Scope(via="goal__collaboration")
    # Set by measurement_report on the row it answers with: True when the report repeated one
    # already stored (not a field: never saved).
    is_repeat = False

    goal = models.ForeignKey(
        SharedGoal, verbose_name=_("goal"), on_delete=models.CASCADE, related_name="measurements"
    )
    value = models.DecimalField(_("value"), max_digits=14, decimal_places=2)
    period_end = models.DateField(_("period ending"), validators=[validate_date_range])
    reported_by_organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("reporting organisation"),
        on_delete=models.PROTECT,
        related_name="measurements",
    )
    reported_by_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reported by (user)"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reported_by_token = models.ForeignKey(
        ApiToken,
        verbose_name=_("reported by (API token)"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    evidence = models.TextField(_("evidence note"), blank=True)
    reported_at = models.DateTimeField(_("reported at"), default=timezone.now)
    corrected_at = models.DateTimeField(_("corrected at"), null=True, blank=True)
    correction_reason = models.TextField(_("reason for the correction"), blank=True)
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)
    withdrawn_reason = models.TextField(_("reason for the withdrawal"), blank=True)

    history = HistoricalRecords(get_user=history_user)

    objects = CurrentMeasurementManager()
    all_objects = models.Manager()  # noqa: DJ012 (ruff takes a second manager for a field)

    class Meta:
        verbose_name = _("measurement")
        verbose_name_plural = _("measurements")
        ordering = ["goal", "period_end"]
        # Related lookups (measurement.goal's reverse, prefetches) go through `objects`, so a
        # withdrawn measurement is left out everywhere; the base manager still sees every row.
        default_manager_name = "objects"
        base_manager_name = "all_objects"
        indexes = [models.Index(fields=["goal", "period_end"])]
        constraints = [
            # One standing report per organisation, goal and period: twenty identical reports
            # at once leave one row (agreements.services.measurement_report answers the rest
            # with it). A withdrawn report does not count, so the period may be reported again.
            models.UniqueConstraint(
                fields=["goal", "reported_by_organisation", "period_end"],
                condition=models.Q(withdrawn_at__isnull=True),
                name="measurement_once_per_period",
            )
        ]

    def __str__(self) -> str:
        return f"{self.goal}: {self.value} ({self.period_end})"


def agreement_document_path(instance: "Agreement", filename: str) -> str:
    return f"agreements/{instance.collaboration_id}/{filename}"


# Links people follow from the obligation: web pages only (no ftp:, no javascript:).
WEB_ADDRESS = URLValidator(schemes=["http", "https"])


def obligation_evidence_path(instance: "Obligation", filename: str) -> str:
    return f"obligations/{instance.collaboration_id}/{instance.pk}/{filename}"


class Agreement(models.Model):
    scope = Scope(
        via="collaboration",
        # A partner signs only what its organisation is a signatory of.
        actions={"sign": ActionRule(lambda org: Q(signatories__organisation_id=org))},
    )

    class Kind(models.TextChoices):
        MOU = "mou", _("Memorandum of understanding")
        SERVICE = "service", _("Inter-municipal service agreement")
        CONTRIBUTION = "contribution", _("Contribution agreement")
        PRIME_CONTRACT = "prime_contract", _("Prime contract")
        SUBCONTRACT = "subcontract", _("Subcontract")
        DATA_SHARING = "data_sharing", _("Data-sharing agreement")
        TERMS_OF_REFERENCE = "terms_of_reference", _("Terms of reference")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        CIRCULATING = "circulating", _("Circulating for signature")
        IN_FORCE = "in_force", _("In force")
        EXPIRED = "expired", _("Expired")
        TERMINATED = "terminated", _("Terminated")

    collaboration = models.ForeignKey(
        Collaboration,
        verbose_name=_("collaboration"),
        on_delete=models.CASCADE,
        related_name="agreements",
    )
    title = models.CharField(_("title"), max_length=200)
    kind = models.CharField(_("kind"), max_length=30, choices=Kind.choices)
    version = models.PositiveIntegerField(_("version"), default=1)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.DRAFT
    )
    circulated_on = models.DateField(
        _("circulated on"), validators=[validate_date_range], null=True, blank=True
    )
    effective_date = models.DateField(
        _("effective date"), validators=[validate_date_range], null=True, blank=True
    )
    expiry_date = models.DateField(
        _("expiry date"), validators=[validate_date_range], null=True, blank=True
    )
    renewal_notice_days = models.PositiveIntegerField(_("renewal notice period (days)"), default=90)
    document = models.FileField(_("document"), upload_to=agreement_document_path, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    history = HistoricalRecords(get_user=history_user)

    class Meta:
        verbose_name = _("agreement")
        verbose_name_plural = _("agreements")
        ordering = ["collaboration", "title", "-version"]
        indexes = [models.Index(fields=["status", "expiry_date"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(expiry_date__isnull=True)
                | models.Q(effective_date__isnull=True)
                | models.Q(expiry_date__gte=models.F("effective_date")),
                name="agreement_expiry_after_effective",
            )
        ]

    def __str__(self) -> str:
        return f"{self.title} v{self.version}"


class Signatory(models.Model):
    """An organisation that must sign an agreement, and when and by whom it did."""

    scope = Scope(via="agreement__collaboration")

    agreement = models.ForeignKey(
        Agreement, verbose_name=_("agreement"), on_delete=models.CASCADE, related_name="signatories"
    )
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        related_name="signatures",
    )
    signed_by_name = models.CharField(_("signed by"), max_length=150, blank=True)
    signed_by_title = models.CharField(_("signer's title"), max_length=150, blank=True)
    signed_by_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("signed by (user)"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    signed_by_token = models.ForeignKey(
        ApiToken,
        verbose_name=_("signed by (API token)"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    signed_at = models.DateTimeField(_("signed at"), null=True, blank=True)

    history = HistoricalRecords(get_user=history_user)

    class Meta:
        verbose_name = _("signatory")
        verbose_name_plural = _("signatories")
        ordering = ["agreement", "organisation__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["agreement", "organisation"], name="signatory_once_per_agreement"
            )
        ]
        verbose_name_plural = _("signatories")

    def __str__(self) -> str:
        return f"{self.organisation} on {self.agreement}"


class Obligation(models.Model):
    """What one organisation owes a collaboration. Overdue is derived from due_date and status."""

    scope = Scope(
        via="collaboration",
        # A partner marks met only what its own organisation owes.
        actions={"mark_met": ActionRule(lambda org: Q(organisation_id=org))},
    )

    class Kind(models.TextChoices):
        FUNDING = "funding", _("Funding contribution")
        STAFF_TIME = "staff_time", _("Staff time")
        DELIVERABLE = "deliverable", _("Deliverable")
        REPORT = "report", _("Report")
        DATA = "data", _("Data")

    class Unit(models.TextChoices):
        DOLLARS = "dollars", _("Dollars")
        HOURS = "hours", _("Hours")
        FTE = "fte", _("FTE")
        ITEMS = "items", _("Items")

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        MET = "met", _("Met")
        WAIVED = "waived", _("Waived")

    collaboration = models.ForeignKey(
        Collaboration,
        verbose_name=_("collaboration"),
        on_delete=models.CASCADE,
        related_name="obligations",
    )
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        related_name="obligations",
    )
    agreement = models.ForeignKey(
        Agreement,
        verbose_name=_("agreement"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="obligations",
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    description = models.CharField(_("description"), max_length=300)
    quantity = models.DecimalField(
        _("quantity"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    unit = models.CharField(_("unit"), max_length=20, choices=Unit.choices, blank=True)
    due_date = models.DateField(_("due date"), validators=[validate_date_range])
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.PENDING
    )
    met_at = models.DateTimeField(_("met at"), null=True, blank=True)
    evidence = models.TextField(_("evidence"), blank=True)
    evidence_url = models.URLField(
        _("evidence link"),
        max_length=500,
        blank=True,
        validators=[WEB_ADDRESS],
        help_text=_("An http or https address."),
    )
    # PDF, DOCX or ODT, checked as agreement documents are (agreements.documents).
    evidence_file = models.FileField(
        _("evidence file"), upload_to=obligation_evidence_path, blank=True, max_length=300
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    history = HistoricalRecords(get_user=history_user)

    class Meta:
        verbose_name = _("obligation")
        verbose_name_plural = _("obligations")
        ordering = ["due_date", "pk"]
        indexes = [
            models.Index(fields=["organisation", "status", "due_date"]),
            models.Index(fields=["collaboration", "status", "due_date"]),
            # The obligation lists' order (due date, then id): a page off the index.
            models.Index(fields=["due_date", "id"], name="obligation_due_order"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(quantity__isnull=True) | models.Q(quantity__gte=0),
                name="obligation_quantity_not_negative",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="met") | models.Q(met_at__isnull=False),
                name="obligation_met_has_met_at",
            ),
        ]

    def __str__(self) -> str:
        return self.description

    @property
    def is_overdue(self) -> bool:
        return self.status == self.Status.PENDING and self.due_date < timezone.localdate()

    @property
    def days_overdue(self) -> int:
        """Days past the due date of a pending obligation; 0 when it is not overdue."""
        if self.status != self.Status.PENDING:
            return 0
        return max(0, (timezone.localdate() - self.due_date).days)
