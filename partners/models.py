"""Organisations, their contacts, the people who log in, and partner API tokens."""

from django.contrib.auth.models import AbstractUser
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from core.history import history_user
from core.scope import Scope

# The languages a person may prefer (settings.LANGUAGES, whose names the switcher shows each in
# itself; here they read in the reader's language).
LANGUAGE_CHOICES = [("en", _("English")), ("fr", _("French"))]


class User(AbstractUser):
    """A person who signs in to the browser interface."""

    class Role(models.TextChoices):
        ADMINISTRATOR = "administrator", _("Administrator")
        COMMISSIONER = "commissioner", _("Collaboration Commissioner")
        STAFF = "staff", _("Staff")

    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.STAFF)
    # Empty: no choice made yet (pages follow the browser; e-mails the deployment's language).
    preferred_language = models.CharField(
        _("preferred language"), max_length=8, choices=LANGUAGE_CHOICES, blank=True, default=""
    )

    @property
    def is_administrator(self) -> bool:
        return self.is_superuser or self.role == self.Role.ADMINISTRATOR

    @property
    def is_commissioner(self) -> bool:
        return self.role == self.Role.COMMISSIONER

    @property
    def organisation_id_or_none(self) -> int | None:
        membership = getattr(self, "staff_membership", None)
        return membership.organisation_id if membership else None


class Organisation(models.Model):
    scope = Scope(members=("pk", "participations__collaboration__participations__organisation"))

    class Kind(models.TextChoices):
        MUNICIPALITY = "municipality", _("Municipality")
        REGIONAL_GOVERNMENT = "regional_government", _("Regional government")
        FIRST_NATION = "first_nation", _("First Nation or Indigenous government")
        PROVINCE = "province", _("Province or territory")
        FEDERAL = "federal", _("Federal department or agency")
        PUBLIC_BODY = "public_body", _("Public body or crown corporation")
        NON_PROFIT = "non_profit", _("Non-profit or charity")
        PRIVATE_FIRM = "private_firm", _("Private firm")
        ACADEMIC = "academic", _("Academic institution")
        OTHER = "other", _("Other")

    name = models.CharField(_("name"), max_length=200)
    short_name = models.CharField(_("short name"), max_length=50, blank=True)
    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    kind = models.CharField(_("kind"), max_length=30, choices=Kind.choices)
    jurisdiction = models.CharField(_("jurisdiction or region"), max_length=120, blank=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent organisation"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    website = models.URLField(_("website"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    # The governments whose elections bear on the organisation (partners/elections.py); the free
    # text `jurisdiction` above stays as the region people search by.
    municipal_jurisdiction = models.ForeignKey(
        "Jurisdiction",
        verbose_name=_("municipal jurisdiction"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"kind": "municipal"},
    )
    provincial_jurisdiction = models.ForeignKey(
        "Jurisdiction",
        verbose_name=_("provincial or territorial jurisdiction"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"kind": "provincial"},
    )
    federal_jurisdiction = models.ForeignKey(
        "Jurisdiction",
        verbose_name=_("federal jurisdiction"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"kind": "federal"},
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    history = HistoricalRecords(get_user=history_user)

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(Lower("name"), name="organisation_name_unique_ci"),
            models.CheckConstraint(
                condition=~models.Q(parent=models.F("pk")), name="organisation_not_own_parent"
            ),
        ]
        indexes = [
            models.Index(fields=["kind", "is_active"]),
            models.Index(fields=["jurisdiction"]),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("partners:organisation_detail", kwargs={"slug": self.slug})


class Contact(models.Model):
    scope = Scope(via="organisation")

    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        on_delete=models.CASCADE,
        related_name="contacts",
    )
    name = models.CharField(_("name"), max_length=150)
    title = models.CharField(_("title"), max_length=150, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    # The language of the e-mails sent to this person (survey invitations, reminders).
    preferred_language = models.CharField(
        _("preferred language"), max_length=8, choices=LANGUAGE_CHOICES, blank=True, default=""
    )
    is_primary = models.BooleanField(_("primary contact"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    history = HistoricalRecords(get_user=history_user)

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["-is_primary", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation"],
                condition=models.Q(is_primary=True, is_active=True),
                name="contact_one_primary_per_organisation",
            )
        ]

    def __str__(self) -> str:
        return self.name


class StaffMembership(models.Model):
    """Links a login user to the organisation they work for."""

    user = models.OneToOneField(
        User, verbose_name=_("user"), on_delete=models.CASCADE, related_name="staff_membership"
    )
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        related_name="staff_memberships",
    )
    job_title = models.CharField(_("job title"), max_length=150, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("staff membership")
        verbose_name_plural = _("staff memberships")
        ordering = ["user__last_name", "user__first_name"]

    def __str__(self) -> str:
        return f"{self.user} @ {self.organisation}"


class ApiToken(models.Model):
    """A partner organisation's API credential. Only an HMAC digest of the secret is stored."""

    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        on_delete=models.CASCADE,
        related_name="api_tokens",
    )
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(_("prefix"), max_length=16, unique=True, editable=False)
    digest = models.CharField(_("digest"), max_length=64, unique=True, editable=False)
    write_enabled = models.BooleanField(_("read-write"), default=False)
    created_by = models.ForeignKey(
        User,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= timezone.now()

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    @property
    def is_usable(self) -> bool:
        return not self.is_expired and not self.is_revoked


class Jurisdiction(models.Model):
    """A government whose elections can stall a collaboration: a municipality's council (or the
    municipal councils of a province, which vote on one day), a province or territory, the
    federal government. Administrators keep its election dates (ElectionDate)."""

    class Kind(models.TextChoices):
        MUNICIPAL = "municipal", _("Municipal")
        PROVINCIAL = "provincial", _("Provincial or territorial")
        FEDERAL = "federal", _("Federal")

    name = models.CharField(_("name"), max_length=150)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    cycle_years = models.PositiveSmallIntegerField(
        _("electoral cycle (years)"),
        default=4,
        validators=[MinValueValidator(1), MaxValueValidator(10)],
        help_text=_("The usual time between general elections."),
    )

    class Meta:
        verbose_name = _("jurisdiction")
        verbose_name_plural = _("jurisdictions")
        ordering = ["kind", "name"]
        constraints = [
            models.UniqueConstraint("kind", Lower("name"), name="jurisdiction_name_unique_ci"),
            models.CheckConstraint(
                condition=models.Q(cycle_years__gte=1, cycle_years__lte=10),
                name="jurisdiction_cycle_years_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_kind_display().lower()})"


class ElectionDate(models.Model):
    """A general election (or a by-election) of a jurisdiction, on polling day."""

    jurisdiction = models.ForeignKey(
        Jurisdiction, on_delete=models.CASCADE, related_name="elections"
    )
    # (core.bounds imports the error handling, which imports this module: the range is a
    # database constraint here.)
    date = models.DateField(_("polling day"))
    description = models.CharField(
        _("description"), max_length=150, blank=True, help_text=_("e.g. “General election”.")
    )

    class Meta:
        verbose_name = _("election date")
        verbose_name_plural = _("election dates")
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(
                fields=["jurisdiction", "date"], name="election_date_unique_per_jurisdiction"
            ),
            models.CheckConstraint(
                condition=models.Q(date__gte="1900-01-01", date__lte="2200-12-31"),
                name="election_date_range",
            ),
        ]
        indexes = [models.Index(fields=["date"])]

    def __str__(self) -> str:
        return f"{self.jurisdiction.name}: {self.date:%Y-%m-%d}"


class ImportRun(models.Model):
    """One CSV import of organisations or contacts (partners/imports.py): the rows read from the
    uploaded file, each row's errors (line and field), and what became of it. Rows are imported
    all or nothing, and only from a run whose preview had no error."""

    class Kind(models.TextChoices):
        ORGANISATIONS = "organisations", _("Organisations")
        CONTACTS = "contacts", _("Contacts")

    class Status(models.TextChoices):
        VALIDATING = "validating", _("Checking the rows")
        READY = "ready", _("Ready to import")
        INVALID = "invalid", _("Has errors")
        IMPORTING = "importing", _("Importing")
        DONE = "done", _("Imported")
        FAILED = "failed", _("Failed: nothing imported")

    kind = models.CharField(_("what it imports"), max_length=20, choices=Kind.choices)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.VALIDATING
    )
    filename = models.CharField(_("file name"), max_length=255, blank=True)
    created_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    row_count = models.PositiveIntegerField(default=0)
    # [[line, {column: value}], ...] as read from the file (bounded by IMPORT_MAX_ROWS).
    rows = models.JSONField(default=list, blank=True)
    # [{"line": n, "field": "kind", "message": "..."}, ...], at most MAX_STORED_ERRORS of them.
    errors = models.JSONField(default=list, blank=True)
    error_count = models.PositiveIntegerField(default=0)
    imported_count = models.PositiveIntegerField(default=0)
    message = models.TextField(_("message"), blank=True)

    class Meta:
        verbose_name = _("CSV import")
        verbose_name_plural = _("CSV imports")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status="done") | models.Q(imported_count=0),
                name="import_run_counts_only_when_done",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} import #{self.pk}"

    def get_absolute_url(self) -> str:
        return reverse("partners:import_detail", kwargs={"pk": self.pk})

    @property
    def in_progress(self) -> bool:
        return self.status in {self.Status.VALIDATING, self.Status.IMPORTING}
