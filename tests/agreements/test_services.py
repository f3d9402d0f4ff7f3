"""The agreements services as the pages and the API use them: who may act, every refused status
move and structure rule, the signature flow, uploads, obligations, activity and history."""

import datetime as dt
import io
import zipfile
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from agreements import services
from agreements.models import (
    Agreement,
    Collaboration,
    Measurement,
    Obligation,
    Participation,
    Role,
    SharedGoal,
    Structure,
)
from agreements.selectors import with_overdue
from commissioner.models import Activity, Flag
from core.actors import PartnerPrincipal
from core.errors import CONFLICT, DomainError
from tests import factories
from tests.agreements.conftest import VALID_ROLES, build_collaboration, participation_of

pytestmark = pytest.mark.django_db

S = Collaboration.Status


def principal(organisation, *, write=True) -> PartnerPrincipal:
    token, _raw = factories.api_token(organisation, write=write)
    return PartnerPrincipal(token=token)


def refused(call, *, field=None, contains=""):
    with pytest.raises(DomainError) as caught:
        call()
    if field is not None:
        assert caught.value.field == field, caught.value.message
    assert contains in caught.value.message, caught.value.message
    return caught.value.message


def pdf(name="agreement.pdf", size=None) -> SimpleUploadedFile:
    body = b"%PDF-1.7\n1 0 obj << >> endobj\n%%EOF\n"
    if size:
        body = body + b"0" * (size - len(body))
    return SimpleUploadedFile(name, body, content_type="application/pdf")


def zipped(name: str, members: dict[str, bytes]) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for member, content in members.items():
            archive.writestr(member, content)
    return SimpleUploadedFile(name, buffer.getvalue())


WORD_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
WORD_MACRO_MAIN = "application/vnd.ms-word.document.macroEnabled.main+xml"


def content_types(main: str = WORD_MAIN, extra: str = "") -> bytes:
    """[Content_Types].xml as Word writes it, declaring /word/document.xml as `main`."""
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" '
        'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/word/document.xml" ContentType="{main}"/>{extra}</Types>'
    ).encode()


def docx(name="agreement.docx"):
    return zipped(name, {"[Content_Types].xml": content_types(), "word/document.xml": b"<w/>"})


def odt(name="agreement.odt"):
    return zipped(
        name,
        {"mimetype": b"application/vnd.oasis.opendocument.text", "content.xml": b"<office/>"},
    )


# Collaborations --------------------------------------------------------------------------------


def test_a_staff_users_collaboration_is_led_by_their_organisation(lead, lead_staff):
    collaboration = services.collaboration_create(
        actor=lead_staff, title="Shared Assessment Services", structure=Structure.MUTUAL
    )
    assert collaboration.lead_organisation == lead
    assert collaboration.status == S.PROPOSED
    assert collaboration.slug == "shared-assessment-services"
    participation = collaboration.participations.get()
    assert (participation.organisation, participation.role) == (lead, Role.MEMBER)
    assert collaboration.history.get().history_user == lead_staff


def test_staff_cannot_set_up_a_collaboration_led_by_another_organisation(lead_staff, partner):
    refused(
        lambda: services.collaboration_create(
            actor=lead_staff,
            title="Not mine",
            structure=Structure.CONSORTIUM,
            lead_organisation=partner,
        ),
        field="lead_organisation",
        contains="their own organisation",
    )


def test_a_commissioner_commissions_what_they_set_up(commissioner_user, partner):
    collaboration = services.collaboration_create(
        actor=commissioner_user,
        title="Regional Records Quality Network",
        structure=Structure.QUALITY_NETWORK,
        lead_organisation=partner,
    )
    assert collaboration.commissioner == commissioner_user
    assert collaboration.participations.get().role == Role.COORDINATOR


def test_partner_tokens_cannot_set_up_collaborations(partner):
    with pytest.raises(PermissionDenied):
        services.collaboration_create(
            actor=principal(partner), title="x", structure=Structure.CONSORTIUM
        )


def test_slugs_are_unique_and_reserved_words_refused(lead_staff, collaboration):
    refused(
        lambda: services.collaboration_create(
            actor=lead_staff, title="X", structure=Structure.MUTUAL, slug="new"
        ),
        field="slug",
        contains="reserved",
    )
    refused(
        lambda: services.collaboration_create(
            actor=lead_staff, title="X", structure=Structure.MUTUAL, slug=collaboration.slug
        ),
        field="slug",
    )
    second = services.collaboration_create(
        actor=lead_staff, title=collaboration.title, structure=Structure.MUTUAL
    )
    assert second.slug == "northern-valley-transit-consortium"


def test_only_managers_edit_a_collaboration(collaboration, partner_staff, lead_staff):
    with pytest.raises(PermissionDenied):
        services.collaboration_update(
            actor=partner_staff, collaboration=collaboration, title="Taken over"
        )
    services.collaboration_update(actor=lead_staff, collaboration=collaboration, title="Renamed")
    assert Collaboration.objects.get(pk=collaboration.pk).title == "Renamed"


def test_the_new_lead_must_take_part(collaboration, lead_staff, outsider, partner):
    refused(
        lambda: services.collaboration_update(
            actor=lead_staff, collaboration=collaboration, lead_organisation=outsider
        ),
        field="lead_organisation",
        contains="does not take part",
    )


def test_the_new_lead_must_hold_the_lead_role(collaboration, lead, lead_staff, partner):
    """Lakeside is a member of Riverton's consortium: naming it the lead organisation while
    Riverton keeps the lead role would leave the collaboration with two leads in effect."""
    message = refused(
        lambda: services.collaboration_update(
            actor=lead_staff, collaboration=collaboration, lead_organisation=partner
        ),
        field="lead_organisation",
    )
    assert message == (
        "Town of Lakeside takes part as member, but a consortium's lead organisation holds the "
        "lead role. Give Town of Lakeside that role first, then make it the lead organisation. "
        "The lead role is held by City of Riverton now."
    )
    assert Collaboration.objects.get(pk=collaboration.pk).lead_organisation == lead

    # Swapping the roles (the collaboration paused meanwhile) makes Lakeside a valid lead.
    services.collaboration_transition(
        actor=lead_staff, collaboration=collaboration, to_status=S.PAUSED
    )
    services.participation_update(
        actor=lead_staff, participation=participation_of(collaboration, partner), role=Role.LEAD
    )
    services.participation_update(
        actor=lead_staff, participation=participation_of(collaboration, lead), role=Role.MEMBER
    )
    services.collaboration_update(
        actor=lead_staff, collaboration=collaboration, lead_organisation=partner
    )
    assert Collaboration.objects.get(pk=collaboration.pk).lead_organisation == partner


def test_changing_the_structure_requires_roles_that_fit(collaboration, lead_staff):
    message = refused(
        lambda: services.collaboration_update(
            actor=lead_staff, collaboration=collaboration, structure=Structure.MUTUAL
        ),
        field="structure",
    )
    assert "City of Riverton has the role “Lead”" in message


def test_planned_end_cannot_precede_start(collaboration, lead_staff):
    refused(
        lambda: services.collaboration_update(
            actor=lead_staff,
            collaboration=collaboration,
            start_date=dt.date(2025, 5, 1),
            planned_end_date=dt.date(2025, 4, 1),
        ),
        field="planned_end_date",
    )


# Status transitions ----------------------------------------------------------------------------

VALID = {
    (S.PROPOSED, S.FORMING),
    (S.PROPOSED, S.DISSOLVED),
    (S.FORMING, S.ACTIVE),
    (S.FORMING, S.DISSOLVED),
    (S.ACTIVE, S.PAUSED),
    (S.ACTIVE, S.CONCLUDED),
    (S.ACTIVE, S.DISSOLVED),
    (S.PAUSED, S.ACTIVE),
    (S.PAUSED, S.CONCLUDED),
    (S.PAUSED, S.DISSOLVED),
}
INVALID = [
    (current, target)
    for current in S.values
    for target in S.values
    if current != target and (current, target) not in VALID
]


@pytest.mark.parametrize(("current", "target"), sorted(VALID))
def test_valid_transitions(current, target, administrator):
    collaboration = build_collaboration(
        Structure.CONSORTIUM, VALID_ROLES[Structure.CONSORTIUM], status=current
    )
    services.collaboration_transition(
        collaboration=collaboration, to_status=target, actor=administrator
    )
    collaboration.refresh_from_db()
    assert collaboration.status == target
    assert collaboration.history.latest().history_change_reason == f"status: {current} → {target}"


@pytest.mark.parametrize(("current", "target"), INVALID)
def test_every_other_transition_is_refused_with_a_reason(current, target, administrator):
    collaboration = build_collaboration(
        Structure.CONSORTIUM, VALID_ROLES[Structure.CONSORTIUM], status=current
    )
    message = refused(
        lambda: services.collaboration_transition(
            collaboration=collaboration, to_status=target, actor=administrator
        ),
        field="status",
    )
    if current in (S.CONCLUDED, S.DISSOLVED):
        assert "which is final" in message
    else:
        assert message.startswith(
            f"A collaboration cannot go from {S(current).label} to {S(target).label}; "
            f"from {S(current).label} it can go to "
        )
    collaboration.refresh_from_db()
    assert collaboration.status == current


def test_same_status_and_unknown_status_are_refused(collaboration, administrator):
    refused(
        lambda: services.collaboration_transition(
            collaboration=collaboration, to_status=S.ACTIVE, actor=administrator
        ),
        field="status",
        contains="already active",
    )
    refused(
        lambda: services.collaboration_transition(
            collaboration=collaboration, to_status="finished", actor=administrator
        ),
        field="status",
        contains="not a collaboration status",
    )


@pytest.mark.parametrize("current", [S.FORMING, S.PAUSED])
def test_activation_is_refused_while_the_rules_are_broken(current, administrator):
    collaboration = build_collaboration(
        Structure.PRIME_CONTRACTOR, [Role.COMMISSIONING_BODY, Role.SUBCONTRACTOR], status=current
    )
    message = refused(
        lambda: services.collaboration_transition(
            collaboration=collaboration, to_status=S.ACTIVE, actor=administrator
        ),
        field="status",
    )
    assert "A prime-contractor collaboration needs exactly one prime contractor; it has none." in (
        message
    )
    factories.ParticipationFactory(collaboration=collaboration, role=Role.PRIME_CONTRACTOR)
    services.collaboration_transition(
        collaboration=collaboration, to_status=S.ACTIVE, actor=administrator
    )
    assert Collaboration.objects.get(pk=collaboration.pk).status == S.ACTIVE


def test_activation_sets_the_start_date_if_missing(administrator):
    collaboration = build_collaboration(
        Structure.MUTUAL, [Role.MEMBER, Role.MEMBER], start_date=None
    )
    services.collaboration_transition(
        collaboration=collaboration, to_status=S.ACTIVE, actor=administrator
    )
    assert collaboration.start_date == timezone.localdate()


def test_only_managers_change_the_status(
    collaboration, partner_staff, commissioner_user, lead_staff
):
    with pytest.raises(PermissionDenied):
        services.collaboration_transition(
            collaboration=collaboration, to_status=S.PAUSED, actor=partner_staff
        )
    with pytest.raises(PermissionDenied):
        services.collaboration_transition(
            collaboration=collaboration, to_status=S.PAUSED, actor=factories.CommissionerFactory()
        )
    services.collaboration_transition(
        collaboration=collaboration, to_status=S.PAUSED, actor=commissioner_user
    )
    services.collaboration_transition(
        collaboration=collaboration, to_status=S.ACTIVE, actor=lead_staff
    )


def test_a_final_collaboration_can_no_longer_change(collaboration, lead_staff, outsider):
    services.collaboration_transition(
        collaboration=collaboration, to_status=S.CONCLUDED, actor=lead_staff
    )
    refused(
        lambda: services.collaboration_update(
            actor=lead_staff, collaboration=collaboration, title="Again"
        ),
        contains="concluded",
    )
    refused(
        lambda: services.participation_add(
            actor=lead_staff, collaboration=collaboration, organisation=outsider, role=Role.MEMBER
        ),
        contains="can no longer change",
    )


# Participations --------------------------------------------------------------------------------


def test_add_a_participant_with_its_primary_contact(collaboration, lead_staff, outsider):
    contact = factories.ContactFactory(organisation=outsider, is_primary=True)
    participation = services.participation_add(
        actor=lead_staff, collaboration=collaboration, organisation=outsider, role=Role.MEMBER
    )
    assert participation.contact == contact
    assert participation.joined_on == timezone.localdate()
    assert participation.history.get().history_user == lead_staff


def test_a_role_the_structure_does_not_have_is_refused_naming_the_allowed_roles(
    collaboration, lead_staff, outsider
):
    refused(
        lambda: services.participation_add(
            actor=lead_staff, collaboration=collaboration, organisation=outsider, role=Role.HOST
        ),
        field="role",
        contains="A consortium has the roles Lead and Member; “Host” is not one of them.",
    )


def test_an_organisation_takes_part_once(collaboration, lead_staff, partner):
    refused(
        lambda: services.participation_add(
            actor=lead_staff, collaboration=collaboration, organisation=partner, role=Role.MEMBER
        ),
        field="organisation",
        contains="already takes part",
    )


def test_the_contact_must_work_for_the_organisation(collaboration, lead_staff, outsider, partner):
    someone_else = factories.ContactFactory(organisation=partner)
    refused(
        lambda: services.participation_add(
            actor=lead_staff,
            collaboration=collaboration,
            organisation=outsider,
            role=Role.MEMBER,
            contact=someone_else,
        ),
        field="contact",
        contains="works for another organisation",
    )


def test_an_inactive_organisation_cannot_join(collaboration, lead_staff):
    gone = factories.OrganisationFactory(is_active=False)
    refused(
        lambda: services.participation_add(
            actor=lead_staff, collaboration=collaboration, organisation=gone, role=Role.MEMBER
        ),
        field="organisation",
        contains="inactive",
    )


def test_an_active_collaboration_keeps_its_rules(collaboration, lead_staff, outsider, partner):
    message = refused(
        lambda: services.participation_add(
            actor=lead_staff, collaboration=collaboration, organisation=outsider, role=Role.LEAD
        ),
        field="role",
    )
    assert "needs exactly one lead; it has 2" in message
    assert "Pause the collaboration first" in message
    refused(
        lambda: services.participation_withdraw(
            actor=lead_staff, participation=participation_of(collaboration, partner)
        ),
        contains="at least 2 active participants",
    )
    # Inviting is fine: invited participants do not count yet.
    services.participation_add(
        actor=lead_staff,
        collaboration=collaboration,
        organisation=outsider,
        role=Role.LEAD,
        status=Participation.Status.INVITED,
    )


def test_withdraw_and_rejoin(collaboration, lead_staff, partner, outsider):
    services.participation_add(
        actor=lead_staff, collaboration=collaboration, organisation=outsider, role=Role.MEMBER
    )
    participation = participation_of(collaboration, partner)
    services.participation_withdraw(actor=lead_staff, participation=participation)
    participation.refresh_from_db()
    assert participation.status == Participation.Status.WITHDRAWN
    assert participation.left_on == timezone.localdate()
    refused(
        lambda: services.participation_withdraw(actor=lead_staff, participation=participation),
        contains="already withdrawn",
    )
    refused(
        lambda: services.participation_add(
            actor=lead_staff, collaboration=collaboration, organisation=partner, role=Role.MEMBER
        ),
        contains="withdrew",
    )
    services.participation_update(
        actor=lead_staff, participation=participation, status=Participation.Status.ACTIVE
    )
    participation.refresh_from_db()
    assert (participation.status, participation.left_on) == (Participation.Status.ACTIVE, None)


def test_a_partner_that_withdraws_has_its_open_flag_closed(
    collaboration, lead_staff, partner, outsider
):
    """Nobody scans a partner that left: its flag closes with the withdrawal, never counted or
    announced again. Other partners' flags are left alone."""
    services.participation_add(
        actor=lead_staff, collaboration=collaboration, organisation=outsider, role=Role.MEMBER
    )
    leaving = participation_of(collaboration, partner)
    flag = factories.FlagFactory(participation=leaving, status=Flag.Status.ACKNOWLEDGED)
    other = factories.FlagFactory(participation=participation_of(collaboration, outsider))
    services.participation_withdraw(actor=lead_staff, participation=leaving)
    flag.refresh_from_db()
    assert (flag.status, flag.notified_at) == (Flag.Status.NOT_SCANNED, None)
    assert flag.closed_at is not None
    assert Flag.objects.get(pk=other.pk).status == Flag.Status.OPEN
    # Back to invited is no longer taking an active part either.
    factories.ParticipationFactory(collaboration=collaboration)
    services.participation_update(
        actor=lead_staff,
        participation=participation_of(collaboration, outsider),
        status=Participation.Status.INVITED,
    )
    assert Flag.objects.get(pk=other.pk).status == Flag.Status.NOT_SCANNED


@pytest.mark.parametrize("to_status", [S.PAUSED, S.CONCLUDED, S.DISSOLVED])
def test_a_collaboration_no_longer_active_has_its_open_flags_closed(
    collaboration, lead_staff, partner, lead, to_status
):
    flags = [
        factories.FlagFactory(participation=participation_of(collaboration, organisation))
        for organisation in (lead, partner)
    ]
    elsewhere = factories.FlagFactory()
    services.collaboration_transition(
        actor=lead_staff, collaboration=collaboration, to_status=to_status
    )
    assert {f.status for f in Flag.objects.filter(pk__in=[f.pk for f in flags])} == {
        Flag.Status.NOT_SCANNED
    }
    assert Flag.objects.get(pk=elsewhere.pk).status == Flag.Status.OPEN


def test_the_lead_organisation_cannot_withdraw(collaboration, lead_staff, lead):
    refused(
        lambda: services.participation_withdraw(
            actor=lead_staff, participation=participation_of(collaboration, lead)
        ),
        contains="leads this collaboration",
    )


def test_left_on_cannot_precede_joined_on(collaboration, lead_staff, partner, outsider):
    services.participation_add(
        actor=lead_staff, collaboration=collaboration, organisation=outsider, role=Role.MEMBER
    )
    participation = participation_of(collaboration, partner)
    refused(
        lambda: services.participation_withdraw(
            actor=lead_staff,
            participation=participation,
            left_on=participation.joined_on - dt.timedelta(days=1),
        ),
        field="left_on",
    )


def test_partners_staff_cannot_manage_participations(collaboration, partner_staff, outsider):
    with pytest.raises(PermissionDenied):
        services.participation_add(
            actor=partner_staff,
            collaboration=collaboration,
            organisation=outsider,
            role=Role.MEMBER,
        )


# Goals and measurements ------------------------------------------------------------------------


def test_a_goal_needs_a_target_other_than_its_baseline(collaboration, lead_staff):
    refused(
        lambda: services.goal_create(
            actor=lead_staff,
            collaboration=collaboration,
            title="Flat",
            indicator="x",
            unit="y",
            baseline=10,
            target=10,
        ),
        field="target",
        contains="must differ from the baseline",
    )
    goal = services.goal_create(
        actor=lead_staff,
        collaboration=collaboration,
        title="Fewer emissions",
        indicator="Fleet emissions",
        unit="tCO2e",
        baseline=900,
        target=600,
    )
    assert goal.target == Decimal("600.00")


def test_a_partner_token_reports_for_its_own_organisation(goal, partner):
    actor = principal(partner)
    measurement = services.measurement_report(
        actor=actor, goal=goal, value="240.5", period_end=timezone.localdate()
    )
    assert measurement.reported_by_organisation == partner
    assert measurement.reported_by_token == actor.token
    assert measurement.reported_by_user is None
    record = measurement.history.get()
    assert record.history_change_reason == f"via API token {actor.token.prefix}"
    activity = Activity.objects.get(kind=Activity.Kind.MEASUREMENT_REPORTED)
    assert activity.participation.organisation == partner
    assert "240.50 riders" in activity.description


def test_nobody_but_a_manager_reports_for_another_organisation(goal, partner, lead, partner_staff):
    refused(
        lambda: services.measurement_report(
            actor=principal(partner),
            goal=goal,
            value=1,
            period_end=timezone.localdate(),
            organisation=lead,
        ),
        field="reported_by_organisation",
        contains="own organisation only",
    )
    refused(
        lambda: services.measurement_report(
            actor=partner_staff,
            goal=goal,
            value=1,
            period_end=timezone.localdate(),
            organisation=lead,
        ),
        field="reported_by_organisation",
    )
    assert not Measurement.objects.exists()


def test_a_manager_reports_for_a_participant(goal, partner, lead_staff, commissioner_user, lead):
    assert (
        services.measurement_report(
            actor=lead_staff, goal=goal, value=1, period_end=timezone.localdate()
        ).reported_by_organisation
        == lead
    )
    measurement = services.measurement_report(
        actor=commissioner_user,
        goal=goal,
        value=2,
        period_end=timezone.localdate(),
        organisation=partner,
    )
    assert measurement.reported_by_organisation == partner
    assert Activity.objects.filter(recorded_by=commissioner_user).count() == 1


def test_outsiders_and_read_only_tokens_cannot_report(goal, outsider, outsider_staff, partner):
    with pytest.raises(PermissionDenied):
        services.measurement_report(
            actor=principal(outsider), goal=goal, value=1, period_end=timezone.localdate()
        )
    with pytest.raises(PermissionDenied):
        services.measurement_report(
            actor=outsider_staff, goal=goal, value=1, period_end=timezone.localdate()
        )
    with pytest.raises(PermissionDenied):
        services.measurement_report(
            actor=principal(partner, write=False),
            goal=goal,
            value=1,
            period_end=timezone.localdate(),
        )


def test_future_periods_and_duplicates_are_refused(goal, partner_staff):
    refused(
        lambda: services.measurement_report(
            actor=partner_staff,
            goal=goal,
            value=1,
            period_end=timezone.localdate() + dt.timedelta(days=1),
        ),
        field="period_end",
        contains="cannot be in the future",
    )
    period_end = timezone.localdate() - dt.timedelta(days=60)
    services.measurement_report(actor=partner_staff, goal=goal, value=150, period_end=period_end)
    refused(
        lambda: services.measurement_report(
            actor=partner_staff, goal=goal, value=1, period_end=period_end
        ),
        field="period_end",
        contains=f"Town of Lakeside already reported 150.00 for the period ending "
        f"{period_end.isoformat()}.",
    )


def test_a_period_end_before_the_goal_could_be_reported_is_refused(collaboration, partner_staff):
    """Reporting began when the collaboration started (a year ago here), before the goal was
    set (today): a monthly goal's period may end at most 30 days before that."""
    start = timezone.localdate() - dt.timedelta(days=365)
    collaboration.start_date = start
    collaboration.save()
    monthly = factories.SharedGoalFactory(
        collaboration=collaboration, cadence=SharedGoal.Cadence.MONTHLY
    )
    earliest = start - dt.timedelta(days=30)
    assert services.earliest_period_end(monthly) == earliest
    # (Year 1 is now refused by the range every date keeps to: 1900 is inside it.)
    for too_early in (dt.date(1900, 1, 1), earliest - dt.timedelta(days=1)):
        refused(
            lambda day=too_early: services.measurement_report(
                actor=partner_staff, goal=monthly, value=1, period_end=day
            ),
            field="period_end",
            contains=f"The period end cannot be before {earliest.isoformat()}: reporting on this "
            f"goal began on {start.isoformat()}",
        )
    refused(
        lambda: services.measurement_report(
            actor=partner_staff, goal=monthly, value=1, period_end=dt.date(1, 1, 1)
        ),
        field="period_end",
        contains="between 1900-01-01 and 2200-12-31",
    )
    assert not Measurement.objects.exists()
    services.measurement_report(actor=partner_staff, goal=monthly, value=1, period_end=earliest)

    # Without a start date, reporting begins the day the goal is set: a quarterly goal set
    # today accepts periods ending up to 91 days back.
    collaboration.start_date = None
    collaboration.save()
    quarterly = factories.SharedGoalFactory(collaboration=collaboration)
    earliest = timezone.localdate() - dt.timedelta(days=91)
    assert services.earliest_period_end(quarterly) == earliest
    refused(
        lambda: services.measurement_report(
            actor=partner_staff,
            goal=quarterly,
            value=1,
            period_end=earliest - dt.timedelta(days=1),
        ),
        field="period_end",
    )


def test_a_withdrawn_organisation_no_longer_reports(
    collaboration, goal, partner, outsider, lead_staff
):
    services.participation_add(
        actor=lead_staff, collaboration=collaboration, organisation=outsider, role=Role.MEMBER
    )
    services.participation_withdraw(
        actor=lead_staff, participation=participation_of(collaboration, partner)
    )
    refused(
        lambda: services.measurement_report(
            actor=lead_staff,
            goal=goal,
            value=1,
            period_end=timezone.localdate(),
            organisation=partner,
        ),
        field="reported_by_organisation",
        # The one rule for final states (agreements/rules.py) says why.
        contains="withdrew from",
    )


# Agreements and signatures ---------------------------------------------------------------------


def test_draft_circulate_sign_and_come_into_force(collaboration, lead_staff, lead, partner):
    agreement = services.agreement_create(
        actor=lead_staff,
        collaboration=collaboration,
        title="Transit Service Agreement",
        kind=Agreement.Kind.SERVICE,
        signatory_organisations=[lead, partner],
    )
    assert agreement.status == Agreement.Status.DRAFT
    refused(
        lambda: services.agreement_sign(agreement=agreement, organisation=lead, actor=lead_staff),
        field="status",
        contains="still a draft",
    )
    services.agreement_transition(
        actor=lead_staff, agreement=agreement, to_status=Agreement.Status.CIRCULATING
    )
    agreement.refresh_from_db()
    assert agreement.circulated_on == timezone.localdate()

    partner_actor = principal(partner)
    signatory = services.agreement_sign(
        agreement=agreement, organisation=partner, actor=partner_actor, signed_by_name="Lee Park"
    )
    assert signatory.signed_by_token == partner_actor.token
    assert signatory.signed_by_name == "Lee Park"
    agreement.refresh_from_db()
    assert agreement.status == Agreement.Status.CIRCULATING
    refused(
        lambda: services.agreement_sign(
            agreement=agreement, organisation=partner, actor=partner_actor
        ),
        field="organisation",
        contains="Town of Lakeside already signed this agreement on",
    )

    services.agreement_sign(agreement=agreement, organisation=lead, actor=lead_staff)
    agreement.refresh_from_db()
    assert agreement.status == Agreement.Status.IN_FORCE
    assert agreement.effective_date == timezone.localdate()
    assert agreement.signatories.get(organisation=lead).signed_by_name == (
        lead_staff.get_full_name()
    )
    assert Activity.objects.filter(kind=Activity.Kind.AGREEMENT_SIGNED).count() == 2
    assert agreement.history.latest().history_change_reason == "in force: every signatory signed"
    refused(
        lambda: services.agreement_sign(agreement=agreement, organisation=lead, actor=lead_staff),
        contains="already signed",
    )


def test_a_preset_effective_date_is_kept(circulating, lead, partner, lead_staff):
    circulating.effective_date = dt.date(2030, 1, 1)
    circulating.save()
    services.agreement_sign(agreement=circulating, organisation=lead, actor=lead_staff)
    services.agreement_sign(agreement=circulating, organisation=partner, actor=lead_staff)
    circulating.refresh_from_db()
    assert (circulating.status, circulating.effective_date) == (
        Agreement.Status.IN_FORCE,
        dt.date(2030, 1, 1),
    )


def test_who_may_sign(circulating, lead, partner, partner_staff, outsider_staff, outsider):
    with pytest.raises(PermissionDenied):
        services.agreement_sign(agreement=circulating, organisation=lead, actor=partner_staff)
    with pytest.raises(PermissionDenied):
        services.agreement_sign(agreement=circulating, organisation=lead, actor=outsider_staff)
    with pytest.raises(PermissionDenied):
        services.agreement_sign(
            agreement=circulating, organisation=partner, actor=principal(partner, write=False)
        )
    refused(
        lambda: services.agreement_sign(
            agreement=circulating, organisation=outsider, actor=outsider_staff
        ),
        field="organisation",
        contains="not a signatory",
    )
    services.agreement_sign(agreement=circulating, organisation=partner, actor=partner_staff)


def test_a_manager_records_a_wet_signature(circulating, partner, commissioner_user):
    signatory = services.agreement_sign(
        agreement=circulating,
        organisation=partner,
        actor=commissioner_user,
        signed_by_name="Mayor J. Doe (signed on paper)",
    )
    assert signatory.signed_by_user == commissioner_user
    activity = Activity.objects.get()
    assert (activity.participation.organisation, activity.recorded_by) == (
        partner,
        commissioner_user,
    )


def test_circulating_needs_a_signatory(collaboration, lead_staff):
    agreement = factories.AgreementFactory(collaboration=collaboration)
    refused(
        lambda: services.agreement_transition(
            actor=lead_staff, agreement=agreement, to_status=Agreement.Status.CIRCULATING
        ),
        field="status",
        contains="at least one signatory",
    )


def test_back_to_draft_only_before_anyone_signed(circulating, lead, lead_staff):
    services.agreement_sign(agreement=circulating, organisation=lead, actor=lead_staff)
    refused(
        lambda: services.agreement_transition(
            actor=lead_staff, agreement=circulating, to_status=Agreement.Status.DRAFT
        ),
        field="status",
        contains="City of Riverton already signed",
    )


@pytest.mark.parametrize(
    ("current", "target", "contains"),
    [
        (Agreement.Status.DRAFT, Agreement.Status.IN_FORCE, "comes into force by itself"),
        (Agreement.Status.DRAFT, Agreement.Status.EXPIRED, "cannot go from Draft to Expired"),
        (Agreement.Status.IN_FORCE, Agreement.Status.DRAFT, "cannot go from In force to Draft"),
        (Agreement.Status.EXPIRED, Agreement.Status.IN_FORCE, "comes into force by itself"),
        (Agreement.Status.TERMINATED, Agreement.Status.DRAFT, "which is final"),
        (Agreement.Status.EXPIRED, Agreement.Status.TERMINATED, "which is final"),
    ],
)
def test_refused_agreement_transitions(collaboration, lead_staff, current, target, contains):
    agreement = factories.AgreementFactory(collaboration=collaboration, status=current)
    refused(
        lambda: services.agreement_transition(
            actor=lead_staff, agreement=agreement, to_status=target
        ),
        field="status",
        contains=contains,
    )


def test_a_circulating_agreement_keeps_its_text(circulating, lead_staff, outsider):
    refused(
        lambda: services.agreement_update(
            actor=lead_staff, agreement=circulating, title="Quietly changed"
        ),
        field="title",
        contains="Only a draft agreement's text",
    )
    services.agreement_update(
        actor=lead_staff, agreement=circulating, expiry_date=dt.date(2031, 12, 31)
    )
    assert Agreement.objects.get(pk=circulating.pk).expiry_date == dt.date(2031, 12, 31)


def test_signatories_must_take_part(collaboration, lead_staff, outsider):
    refused(
        lambda: services.agreement_create(
            actor=lead_staff,
            collaboration=collaboration,
            title="X",
            kind=Agreement.Kind.MOU,
            signatory_organisations=[outsider],
        ),
        field="signatory_organisations",
        contains="does not take part",
    )


def test_changing_a_drafts_signatories(collaboration, lead_staff, lead, partner):
    agreement = services.agreement_create(
        actor=lead_staff,
        collaboration=collaboration,
        title="X",
        kind=Agreement.Kind.MOU,
        signatory_organisations=[lead],
    )
    services.agreement_update(
        actor=lead_staff, agreement=agreement, signatory_organisations=[partner]
    )
    assert list(agreement.signatories.values_list("organisation", flat=True)) == [partner.pk]


def test_expiry_cannot_precede_the_effective_date(collaboration, lead_staff):
    refused(
        lambda: services.agreement_create(
            actor=lead_staff,
            collaboration=collaboration,
            title="X",
            kind=Agreement.Kind.MOU,
            effective_date=dt.date(2026, 1, 1),
            expiry_date=dt.date(2025, 1, 1),
        ),
        field="expiry_date",
    )


# Uploads ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("upload", "stored"),
    [
        (lambda: pdf("Final MOU (signed).pdf"), "Final_MOU_signed.pdf"),
        (lambda: docx(), "agreement.docx"),
        (lambda: odt(), "agreement.odt"),
        # Judged by content: a PDF with the wrong extension is stored as what it is.
        (lambda: pdf("scan.exe"), "scan.pdf"),
    ],
)
def test_pdf_docx_and_odt_documents_are_accepted(collaboration, lead_staff, upload, stored):
    agreement = services.agreement_create(
        actor=lead_staff,
        collaboration=collaboration,
        title="With a document",
        kind=Agreement.Kind.MOU,
        document=upload(),
    )
    assert agreement.document.name == f"agreements/{collaboration.pk}/{stored}"


@pytest.mark.parametrize(
    "upload",
    [
        lambda: SimpleUploadedFile("agreement.pdf", b"<html><script>alert(1)</script></html>"),
        lambda: SimpleUploadedFile("agreement.pdf", b"MZ\x90\x00 an executable"),
        lambda: zipped("agreement.docx", {"word/document.xml": b"<w/>"}),
        lambda: zipped(
            "agreement.odt", {"mimetype": b"application/vnd.oasis.opendocument.spreadsheet"}
        ),
        lambda: SimpleUploadedFile("agreement.docx", b"PK\x03\x04 not really a zip"),
        lambda: SimpleUploadedFile("empty.pdf", b""),
    ],
)
def test_anything_else_is_refused(collaboration, lead_staff, upload):
    refused(
        lambda: services.agreement_create(
            actor=lead_staff,
            collaboration=collaboration,
            title="Bad",
            kind=Agreement.Kind.MOU,
            document=upload(),
        ),
        field="document",
        contains="PDF, DOCX or ODT",
    )
    assert not Agreement.objects.exists()


def word_file(main: str = WORD_MAIN, *, extra_types: str = "", members=None):
    files = {"[Content_Types].xml": content_types(main, extra_types), "word/document.xml": b"<w/>"}
    files.update(members or {})
    return zipped("agreement.docx", files)


VBA_TYPE = (
    '<Override PartName="/word/vbaProject.bin" ContentType="application/vnd.ms-office.vbaProject"/>'
)


@pytest.mark.parametrize(
    "upload",
    [
        # A .docm as Word saves it, renamed .docx: the macro-enabled main part and its macros.
        lambda: word_file(
            WORD_MACRO_MAIN, extra_types=VBA_TYPE, members={"word/vbaProject.bin": b"\xd0\xcf"}
        ),
        # The main part declared plain, but a VBA project inside all the same.
        lambda: word_file(members={"word/vbaProject.bin": b"\xd0\xcf"}),
        # The macro-enabled content type without the VBA part.
        lambda: word_file(WORD_MACRO_MAIN),
        # A template (.dotx) is not a document either.
        lambda: word_file(
            "application/vnd.openxmlformats-officedocument.wordprocessingml.template.main+xml"
        ),
        # No declaration of the main part at all.
        lambda: zipped(
            "agreement.docx",
            {"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w/>"},
        ),
    ],
)
def test_a_word_file_with_macros_is_refused(collaboration, lead_staff, upload):
    message = refused(
        lambda: services.agreement_create(
            actor=lead_staff,
            collaboration=collaboration,
            title="Macro MOU",
            kind=Agreement.Kind.MOU,
            document=upload(),
        ),
        field="document",
        contains="save it as a Word document (.docx) without macros",
    )
    assert "PDF, DOCX or ODT" in message
    assert not Agreement.objects.exists()


def test_a_plain_docx_declared_by_its_xml_default_is_accepted(collaboration, lead_staff):
    """Some writers declare the main part through the default for .xml parts, not an
    override."""
    types = (
        b'<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
        b'content-types"><Default Extension="xml" ContentType="' + WORD_MAIN.encode() + b'"/>'
        b"</Types>"
    )
    document = zipped("plain.docx", {"[Content_Types].xml": types, "word/document.xml": b"<w/>"})
    agreement = services.agreement_create(
        actor=lead_staff,
        collaboration=collaboration,
        title="Plain",
        kind=Agreement.Kind.MOU,
        document=document,
    )
    assert agreement.document.name.endswith("/plain.docx")


def test_the_default_limit_is_20_mb(collaboration, lead_staff, settings):
    """Nothing overrides the limit in the test settings: what is tested is what runs."""
    from collabhub.settings import base

    assert base.MAX_UPLOAD_BYTES == 20 * 1024 * 1024
    assert settings.MAX_UPLOAD_BYTES == 20 * 1024 * 1024
    refused(
        lambda: services.agreement_create(
            actor=lead_staff,
            collaboration=collaboration,
            title="Big",
            kind=Agreement.Kind.MOU,
            document=pdf(size=20 * 1024 * 1024 + 1),
        ),
        field="document",
        contains="too large: at most 20 MB",
    )
    assert not Agreement.objects.exists()
    at_the_limit = services.agreement_create(
        actor=lead_staff,
        collaboration=collaboration,
        title="Just fits",
        kind=Agreement.Kind.MOU,
        document=pdf(size=20 * 1024 * 1024),
    )
    assert at_the_limit.document.size == 20 * 1024 * 1024


def test_documents_over_the_limit_are_refused(collaboration, lead_staff, settings):
    settings.MAX_UPLOAD_BYTES = 1024 * 1024
    refused(
        lambda: services.agreement_create(
            actor=lead_staff,
            collaboration=collaboration,
            title="Big",
            kind=Agreement.Kind.MOU,
            document=pdf(size=1024 * 1024 + 1),
        ),
        field="document",
        contains="too large: at most 1 MB",
    )


# Obligations -----------------------------------------------------------------------------------


def test_the_obligated_organisation_marks_it_met_with_evidence(partner_obligation, partner):
    actor = principal(partner)
    refused(
        lambda: services.obligation_mark_met(
            obligation=partner_obligation, actor=actor, evidence=" "
        ),
        field="evidence",
    )
    services.obligation_mark_met(
        obligation=partner_obligation, actor=actor, evidence="EFT 2025-0441"
    )
    partner_obligation.refresh_from_db()
    assert partner_obligation.status == Obligation.Status.MET
    assert partner_obligation.met_at is not None
    assert partner_obligation.evidence == "EFT 2025-0441"
    assert Activity.objects.get().kind == Activity.Kind.OBLIGATION_MET
    refused(
        lambda: services.obligation_mark_met(
            obligation=partner_obligation, actor=actor, evidence="again"
        ),
        contains="already met",
    )


def test_who_may_mark_an_obligation_met(partner_obligation, lead, outsider_staff, lead_staff):
    with pytest.raises(PermissionDenied):
        services.obligation_mark_met(
            obligation=partner_obligation, actor=principal(lead), evidence="not ours"
        )
    with pytest.raises(PermissionDenied):
        services.obligation_mark_met(
            obligation=partner_obligation, actor=outsider_staff, evidence="x"
        )
    services.obligation_mark_met(obligation=partner_obligation, actor=lead_staff, evidence="seen")


def test_managers_waive_obligations(partner_obligation, partner_staff, lead_staff):
    with pytest.raises(PermissionDenied):
        services.obligation_waive(obligation=partner_obligation, actor=partner_staff, reason="no")
    refused(
        lambda: services.obligation_waive(
            obligation=partner_obligation, actor=lead_staff, reason=""
        ),
        field="reason",
    )
    services.obligation_waive(
        obligation=partner_obligation, actor=lead_staff, reason="Covered by the province"
    )
    partner_obligation.refresh_from_db()
    assert partner_obligation.status == Obligation.Status.WAIVED
    refused(
        lambda: services.obligation_mark_met(
            obligation=partner_obligation, actor=partner_staff, evidence="x"
        ),
        contains="waived",
    )


def test_obligation_rules(collaboration, lead_staff, outsider, partner):
    base = {
        "actor": lead_staff,
        "collaboration": collaboration,
        "kind": Obligation.Kind.FUNDING,
        "description": "Contribution",
        "due_date": timezone.localdate(),
    }
    refused(
        lambda: services.obligation_create(**base, organisation=outsider),
        field="organisation",
        contains="does not take part",
    )
    refused(
        lambda: services.obligation_create(**base, organisation=partner, quantity=10),
        field="unit",
        contains="Give the unit",
    )
    refused(
        lambda: services.obligation_create(**base, organisation=partner, quantity=-1, unit="hours"),
        field="quantity",
    )
    other_agreement = factories.AgreementFactory()
    refused(
        lambda: services.obligation_create(**base, organisation=partner, agreement=other_agreement),
        field="agreement",
    )
    obligation = services.obligation_create(
        **base, organisation=partner, quantity=Decimal("1.5"), unit=Obligation.Unit.FTE
    )
    assert obligation.status == Obligation.Status.PENDING


def test_overdue_is_derived_from_the_due_date(collaboration, partner):
    today = timezone.localdate()
    late = factories.ObligationFactory(
        collaboration=collaboration, organisation=partner, due_date=today - dt.timedelta(days=9)
    )
    factories.ObligationFactory(collaboration=collaboration, organisation=partner, due_date=today)
    factories.ObligationFactory(
        collaboration=collaboration,
        organisation=partner,
        due_date=today - dt.timedelta(days=30),
        status=Obligation.Status.MET,
        met_at=timezone.now(),
    )
    overdue = with_overdue(Obligation.objects.all()).filter(overdue=True)
    assert list(overdue) == [late]
    assert overdue.get().days_overdue == 9


# Obligation evidence files (issue 16) ----------------------------------------------------------


def test_evidence_files_attach_to_met_obligations_only(
    partner_obligation, lead_staff, outsider_staff
):
    with pytest.raises(DomainError) as pending:
        services.obligation_evidence_attach(
            obligation=partner_obligation, actor=lead_staff, evidence_file=pdf()
        )
    assert (pending.value.field, pending.value.code) == ("evidence_file", CONFLICT)
    services.obligation_mark_met(
        obligation=partner_obligation,
        actor=lead_staff,
        evidence="Cheque 118",
        evidence_url="http://example.org/cheque-118",
    )
    with pytest.raises(PermissionDenied):
        services.obligation_evidence_attach(
            obligation=partner_obligation, actor=outsider_staff, evidence_file=pdf()
        )
    with pytest.raises(DomainError) as macro:
        services.obligation_evidence_attach(
            obligation=partner_obligation,
            actor=lead_staff,
            evidence_file=SimpleUploadedFile("x.pdf", b"MZ\x90\x00 not a document"),
        )
    assert macro.value.field == "evidence_file"
    obligation = services.obligation_evidence_attach(
        obligation=partner_obligation, actor=lead_staff, evidence_file=pdf("cheque 118.pdf")
    )
    assert obligation.evidence_file.name.endswith("cheque_118.pdf")
    assert obligation.evidence_url == "http://example.org/cheque-118"
    assert obligation.history.first().history_change_reason == "evidence file attached"


def test_an_evidence_link_is_a_web_address(partner_obligation, lead_staff):
    for link in ("javascript:alert(1)", "ftp://example.org/x", "not a link"):
        with pytest.raises(DomainError) as refused:
            services.obligation_mark_met(
                obligation=partner_obligation, actor=lead_staff, evidence="x", evidence_url=link
            )
        assert refused.value.field == "evidence_url"
