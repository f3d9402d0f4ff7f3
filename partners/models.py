"""Organisations, their contacts, the people who log in, and partner API tokens."""

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from core.history import history_user
from core.scope import Scope


class User(AbstractUser):
    """A person who signs in to the browser interface."""

    class Role(models.TextChoices):
        ADMINISTRATOR = "administrator", _("Administrator")
        COMMISSIONER = "commissioner", _("Collaboration Commissioner")
        STAFF = "staff", _("Staff")

    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.STAFF)

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
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords(get_user=history_user)

    class Meta:
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
        Organisation, on_delete=models.CASCADE, related_name="contacts"
    )
    name = models.CharField(_("name"), max_length=150)
    title = models.CharField(_("title"), max_length=150, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    is_primary = models.BooleanField(_("primary contact"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords(get_user=history_user)

    class Meta:
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

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="staff_membership")
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="staff_memberships"
    )
    job_title = models.CharField(_("job title"), max_length=150, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["user__last_name", "user__first_name"]

    def __str__(self) -> str:
        return f"{self.user} @ {self.organisation}"


class ApiToken(models.Model):
    """A partner organisation's API credential. Only an HMAC digest of the secret is stored."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(_("prefix"), max_length=16, unique=True, editable=False)
    digest = models.CharField(max_length=64, unique=True, editable=False)
    write_enabled = models.BooleanField(_("read-write"), default=False)
    created_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)

    class Meta:
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
