"""factory_boy factories for every model; tests build exactly the data they need from these."""

import datetime as dt
from decimal import Decimal

import factory
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
from commissioner.models import (
    Activity,
    Attendance,
    EngagementPolicy,
    EngagementSnapshot,
    Flag,
    Intervention,
    Meeting,
)
from partners.models import ApiToken, Contact, Organisation, StaffMembership, User
from partners.services import api_token_create

PASSWORD = "correct-horse-battery"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    role = User.Role.STAFF
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class AdministratorFactory(UserFactory):
    role = User.Role.ADMINISTRATOR
    is_staff = True


class CommissionerFactory(UserFactory):
    role = User.Role.COMMISSIONER


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"Municipality {n:04d}")
    short_name = factory.Sequence(lambda n: f"M{n:04d}")
    slug = factory.Sequence(lambda n: f"org-{n:04d}")
    kind = Organisation.Kind.MUNICIPALITY
    jurisdiction = "Northern Valley"


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact

    organisation = factory.SubFactory(OrganisationFactory)
    name = factory.Faker("name")
    title = "Program Manager"
    email = factory.Sequence(lambda n: f"contact{n}@example.org")
    is_primary = False


class StaffMembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StaffMembership

    user = factory.SubFactory(UserFactory)
    organisation = factory.SubFactory(OrganisationFactory)


def staff_user(organisation=None, **kwargs) -> User:
    """A staff user who works for `organisation` (a new one if not given)."""
    membership = StaffMembershipFactory(
        organisation=organisation or OrganisationFactory(), user=UserFactory(**kwargs)
    )
    return membership.user


def api_token(organisation=None, *, write=True, **kwargs) -> tuple[ApiToken, str]:
    """(token, raw secret) for `organisation`."""
    return api_token_create(
        organisation=organisation or OrganisationFactory(),
        name=kwargs.pop("name", "test token"),
        write_enabled=write,
        **kwargs,
    )


class CollaborationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Collaboration

    title = factory.Sequence(lambda n: f"Shared service {n:04d}")
    slug = factory.Sequence(lambda n: f"collab-{n:04d}")
    summary = "A shared service between neighbouring municipalities."
    shared_vision = "Residents get the same good service wherever they live."
    structure = Structure.CONSORTIUM
    status = Collaboration.Status.ACTIVE
    lead_organisation = factory.SubFactory(OrganisationFactory)
    start_date = factory.LazyFunction(lambda: timezone.localdate() - dt.timedelta(days=365))


class ParticipationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Participation

    collaboration = factory.SubFactory(CollaborationFactory)
    organisation = factory.SubFactory(OrganisationFactory)
    role = Role.MEMBER
    status = Participation.Status.ACTIVE
    joined_on = factory.LazyFunction(lambda: timezone.localdate() - dt.timedelta(days=365))


class SharedGoalFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SharedGoal

    collaboration = factory.SubFactory(CollaborationFactory)
    title = factory.Sequence(lambda n: f"Goal {n}")
    indicator = "Households served"
    unit = "households"
    baseline = Decimal("100")
    target = Decimal("500")
    target_date = factory.LazyFunction(lambda: timezone.localdate() + dt.timedelta(days=365))
    cadence = SharedGoal.Cadence.QUARTERLY


class MeasurementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Measurement

    goal = factory.SubFactory(SharedGoalFactory)
    value = Decimal("200")
    period_end = factory.LazyFunction(timezone.localdate)
    reported_by_organisation = factory.LazyAttribute(
        lambda m: m.goal.collaboration.lead_organisation
    )


class AgreementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Agreement

    collaboration = factory.SubFactory(CollaborationFactory)
    title = factory.Sequence(lambda n: f"Agreement {n}")
    kind = Agreement.Kind.MOU
    status = Agreement.Status.DRAFT


class SignatoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Signatory

    agreement = factory.SubFactory(AgreementFactory)
    organisation = factory.SubFactory(OrganisationFactory)


class ObligationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Obligation

    collaboration = factory.SubFactory(CollaborationFactory)
    organisation = factory.SubFactory(OrganisationFactory)
    kind = Obligation.Kind.FUNDING
    description = factory.Sequence(lambda n: f"Annual contribution {n}")
    quantity = Decimal("25000")
    unit = Obligation.Unit.DOLLARS
    due_date = factory.LazyFunction(lambda: timezone.localdate() + dt.timedelta(days=30))

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        # Known long before it falls due (created_at is auto_now_add): a scan for a past date
        # counts only what was known then.
        obligation = super()._create(model_class, *args, **kwargs)
        known = timezone.make_aware(
            dt.datetime.combine(obligation.due_date - dt.timedelta(days=365), dt.time.min)
        )
        model_class.objects.filter(pk=obligation.pk).update(created_at=known)
        obligation.created_at = known
        return obligation


class MeetingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Meeting

    collaboration = factory.SubFactory(CollaborationFactory)
    title = factory.Sequence(lambda n: f"Steering committee {n}")
    held_at = factory.LazyFunction(lambda: timezone.now() - dt.timedelta(days=7))

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        # Recorded when it was held (or now, for a meeting planned ahead): see ObligationFactory.
        meeting = super()._create(model_class, *args, **kwargs)
        known = min(meeting.held_at, timezone.now())
        model_class.objects.filter(pk=meeting.pk).update(created_at=known)
        meeting.created_at = known
        return meeting


class AttendanceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Attendance

    meeting = factory.SubFactory(MeetingFactory)
    participation = factory.SubFactory(
        ParticipationFactory, collaboration=factory.SelfAttribute("..meeting.collaboration")
    )
    status = Attendance.Status.PRESENT
    recorded_at = factory.LazyAttribute(lambda a: min(a.meeting.held_at, timezone.now()))


class ActivityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Activity

    participation = factory.SubFactory(ParticipationFactory)
    kind = Activity.Kind.CHECK_IN
    occurred_at = factory.LazyFunction(timezone.now)
    recorded_at = factory.LazyAttribute(lambda a: a.occurred_at)


class EngagementPolicyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EngagementPolicy


class EngagementSnapshotFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EngagementSnapshot

    participation = factory.SubFactory(ParticipationFactory)
    scan_date = factory.LazyFunction(timezone.localdate)
    score = 50
    band = "at_risk"
    # A snapshot's and a flag's state is its band unless a test says drifting or too early.
    state = factory.LazyAttribute(lambda o: o.band)


class FlagFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Flag

    participation = factory.SubFactory(ParticipationFactory)
    band = "at_risk"
    state = factory.LazyAttribute(lambda o: o.band)
    score = 50
    reasons = factory.LazyFunction(lambda: ["no activity in 63 days"])
    raised_on = factory.LazyFunction(timezone.localdate)


class InterventionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Intervention

    flag = factory.SubFactory(FlagFactory)
    kind = Intervention.Kind.CALL
    description = "Called the partner's CAO."
