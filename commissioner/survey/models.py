"""The health survey's models: a versioned questionnaire (instrument, principles, statements),
its rounds in a collaboration, who was invited, the responses and their answers, and each
collaboration's schedule. Registered as the commissioner app's (re-exported by
commissioner/models.py)."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from agreements.models import Collaboration
from core.scope import MEMBERS, Scope


class SurveyInstrument(models.Model):
    """A questionnaire, versioned: a new wording is a new version, and a round keeps the version
    it was opened with, so past answers always read against the statements that were asked."""

    code = models.SlugField(_("code"), max_length=50)
    version = models.PositiveIntegerField(_("version"), default=1)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("survey instrument")
        verbose_name_plural = _("survey instruments")
        ordering = ["code", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["code", "version"], name="survey_instrument_version"),
            models.CheckConstraint(
                condition=models.Q(version__gte=1), name="survey_instrument_version_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} (v{self.version})"


class SurveyPrinciple(models.Model):
    """One principle of an instrument (trust, commitment...), scored as the mean of its
    statements. `code` is stable across versions, so trends compare like with like."""

    instrument = models.ForeignKey(
        SurveyInstrument,
        verbose_name=_("instrument"),
        on_delete=models.CASCADE,
        related_name="principles",
    )
    code = models.SlugField(_("code"), max_length=50)
    position = models.PositiveSmallIntegerField(_("position"))
    title = models.CharField(_("title"), max_length=200)

    class Meta:
        verbose_name = _("survey principle")
        verbose_name_plural = _("survey principles")
        ordering = ["instrument", "position"]
        constraints = [
            models.UniqueConstraint(fields=["instrument", "code"], name="survey_principle_code"),
            models.UniqueConstraint(
                fields=["instrument", "position"], name="survey_principle_position"
            ),
        ]

    def __str__(self) -> str:
        return self.title


class SurveyStatement(models.Model):
    """A statement a respondent agrees or disagrees with, on the 1-5 scale or "don't know"."""

    principle = models.ForeignKey(
        SurveyPrinciple,
        verbose_name=_("principle"),
        on_delete=models.CASCADE,
        related_name="statements",
    )
    position = models.PositiveSmallIntegerField(_("position"))
    text = models.CharField(_("statement"), max_length=300)

    class Meta:
        verbose_name = _("survey statement")
        verbose_name_plural = _("survey statements")
        ordering = ["principle__position", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["principle", "position"], name="survey_statement_position"
            )
        ]

    def __str__(self) -> str:
        return self.text


class SurveyRound(models.Model):
    """One run of an instrument in a collaboration, open until the end of `closes_on`."""

    scope = Scope(via="collaboration", readers=MEMBERS)

    collaboration = models.ForeignKey(
        Collaboration,
        verbose_name=_("collaboration"),
        on_delete=models.CASCADE,
        related_name="survey_rounds",
    )
    instrument = models.ForeignKey(
        SurveyInstrument,
        verbose_name=_("instrument"),
        on_delete=models.PROTECT,
        related_name="rounds",
    )
    opened_on = models.DateField(_("opened on"), default=timezone.localdate)
    closes_on = models.DateField(_("closing date"))
    # Opt-in: partners see each other's individual answers, not only the aggregate.
    share_answers = models.BooleanField(
        _("partners see each other's answers"),
        default=False,
        help_text=_("Otherwise a partner sees its own answers and the collaboration's aggregate."),
    )
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("opened by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reminded_at = models.DateTimeField(_("reminded at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("survey round")
        verbose_name_plural = _("survey rounds")
        ordering = ["-closes_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(closes_on__gt=models.F("opened_on")),
                name="survey_round_closes_after_opening",
            )
        ]
        indexes = [models.Index(fields=["collaboration", "closes_on"])]

    def __str__(self) -> str:
        return f"{self.collaboration}: {self.opened_on:%B %Y}"

    def is_open_on(self, day) -> bool:
        return self.opened_on <= day <= self.closes_on


class SurveyRespondent(models.Model):
    """Someone invited to answer a round for an organisation: a named contact (answering
    through a signed personal link), or the organisation itself through the API (no contact).
    `link_nonce` is part of the link: changing it revokes every link sent before."""

    round = models.ForeignKey(
        SurveyRound, verbose_name=_("round"), on_delete=models.CASCADE, related_name="respondents"
    )
    organisation = models.ForeignKey(
        "partners.Organisation",
        verbose_name=_("organisation"),
        on_delete=models.CASCADE,
        related_name="survey_respondents",
    )
    contact = models.ForeignKey(
        "partners.Contact",
        verbose_name=_("contact"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="survey_invitations",
    )
    email = models.EmailField(_("e-mail"), blank=True)
    link_nonce = models.CharField(_("link nonce"), max_length=32, blank=True)
    invited_at = models.DateTimeField(_("invited at"), null=True, blank=True)
    reminded_at = models.DateTimeField(_("reminded at"), null=True, blank=True)

    class Meta:
        verbose_name = _("survey respondent")
        verbose_name_plural = _("survey respondents")
        constraints = [
            models.UniqueConstraint(
                fields=["round", "contact"],
                condition=models.Q(contact__isnull=False),
                name="survey_respondent_once_per_contact",
            ),
            models.UniqueConstraint(
                fields=["round", "organisation"],
                condition=models.Q(contact__isnull=True),
                name="survey_respondent_one_api_per_organisation",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.contact or self.organisation} in {self.round}"


class SurveyResponse(models.Model):
    """A respondent's answers to a round; a draft until submitted (save and return)."""

    round = models.ForeignKey(
        SurveyRound, verbose_name=_("round"), on_delete=models.CASCADE, related_name="responses"
    )
    organisation = models.ForeignKey(
        "partners.Organisation",
        verbose_name=_("organisation"),
        on_delete=models.CASCADE,
        related_name="survey_responses",
    )
    respondent = models.ForeignKey(
        SurveyRespondent,
        verbose_name=_("respondent"),
        on_delete=models.CASCADE,
        related_name="responses",
    )
    # {"trust": "comment", ...}: the optional comment on each principle, by principle code.
    comments = models.JSONField(_("comments"), default=dict, blank=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    class Meta:
        verbose_name = _("survey response")
        verbose_name_plural = _("survey responses")
        constraints = [
            models.UniqueConstraint(
                fields=["round", "organisation", "respondent"],
                name="survey_response_once_per_respondent",
            ),
            models.UniqueConstraint(fields=["respondent"], name="survey_response_one_each"),
        ]
        indexes = [models.Index(fields=["round", "submitted_at"])]

    def __str__(self) -> str:
        return f"{self.organisation} in {self.round}"

    @property
    def is_submitted(self) -> bool:
        return self.submitted_at is not None


class SurveyAnswer(models.Model):
    """One statement answered: 1 (strongly disagree) to 5 (strongly agree), or don't know."""

    response = models.ForeignKey(
        SurveyResponse, verbose_name=_("response"), on_delete=models.CASCADE, related_name="answers"
    )
    statement = models.ForeignKey(
        SurveyStatement, verbose_name=_("statement"), on_delete=models.PROTECT, related_name="+"
    )
    value = models.PositiveSmallIntegerField(_("answer"), null=True, blank=True)
    dont_know = models.BooleanField(_("don't know"), default=False)

    class Meta:
        verbose_name = _("survey answer")
        verbose_name_plural = _("survey answers")
        constraints = [
            models.UniqueConstraint(
                fields=["response", "statement"], name="survey_answer_once_per_statement"
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(value__gte=1, value__lte=5, dont_know=False)
                    | models.Q(value__isnull=True, dont_know=True)
                ),
                name="survey_answer_on_scale_or_dont_know",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.statement_id}: {'?' if self.dont_know else self.value}"


class SurveySchedule(models.Model):
    """A collaboration's survey cadence: a round opens every `every_months` months from
    `next_opens_on`, open for `open_days` days (the daily task opens it)."""

    collaboration = models.OneToOneField(
        Collaboration,
        verbose_name=_("collaboration"),
        on_delete=models.CASCADE,
        related_name="survey_schedule",
    )
    every_months = models.PositiveSmallIntegerField(_("a round every (months)"), default=6)
    open_days = models.PositiveSmallIntegerField(_("each round open for (days)"), default=28)
    share_answers = models.BooleanField(_("partners see each other's answers"), default=False)
    next_opens_on = models.DateField(_("next round opens on"))
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("set by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("survey cadence")
        verbose_name_plural = _("survey cadences")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(every_months__gte=1, every_months__lte=24),
                name="survey_schedule_every_months_range",
            ),
            models.CheckConstraint(
                condition=models.Q(open_days__gte=1, open_days__lte=366),
                name="survey_schedule_open_days_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.collaboration}: every {self.every_months} months"
