"""Fixtures of the agreements tests: a consortium led by one organisation with a partner, the
people who act on it, and helpers to build valid collaborations of every structure."""

import datetime as dt

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from agreements.models import Agreement, Collaboration, Participation, Role, Structure
from tests import factories
from tests.conftest import token_client

# A valid set of active participants for each structure: (role, ...) per organisation.
VALID_ROLES = {
    Structure.CONSORTIUM: [Role.LEAD, Role.MEMBER],
    Structure.COLLABORATIVE_PARTNERSHIP: [Role.PARTNER, Role.PARTNER, Role.CONVENOR],
    Structure.MUTUAL: [Role.MEMBER, Role.MEMBER],
    Structure.QUALITY_NETWORK: [Role.COORDINATOR, Role.MEMBER],
    Structure.PRIME_CONTRACTOR: [
        Role.COMMISSIONING_BODY,
        Role.PRIME_CONTRACTOR,
        Role.SUBCONTRACTOR,
    ],
    Structure.CROWDSOURCING: [Role.HOST, Role.CONTRIBUTOR, Role.CONTRIBUTOR],
}


def build_collaboration(structure, roles, *, status=Collaboration.Status.FORMING, **kwargs):
    """A collaboration of `structure` whose active participants hold `roles` (the first one is
    the lead organisation)."""
    organisations = [factories.OrganisationFactory() for _ in roles]
    collaboration = factories.CollaborationFactory(
        structure=structure,
        status=status,
        lead_organisation=organisations[0] if organisations else factories.OrganisationFactory(),
        **kwargs,
    )
    for organisation, role in zip(organisations, roles, strict=True):
        factories.ParticipationFactory(
            collaboration=collaboration, organisation=organisation, role=role
        )
    return collaboration


def session(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


@pytest.fixture
def lead(db):
    return factories.OrganisationFactory(name="City of Riverton", slug="riverton")


@pytest.fixture
def partner(db):
    return factories.OrganisationFactory(name="Town of Lakeside", slug="lakeside")


@pytest.fixture
def outsider(db):
    return factories.OrganisationFactory(name="Village of Elsewhere", slug="elsewhere")


@pytest.fixture
def commissioner_user(db):
    return factories.CommissionerFactory(username="cora", first_name="Cora", last_name="Blake")


@pytest.fixture
def collaboration(db, lead, partner, commissioner_user):
    """An active consortium: Riverton leads, Lakeside is a member."""
    collaboration = factories.CollaborationFactory(
        title="Northern Valley Transit Consortium",
        slug="nv-transit",
        lead_organisation=lead,
        commissioner=commissioner_user,
        structure=Structure.CONSORTIUM,
        status=Collaboration.Status.ACTIVE,
    )
    factories.ParticipationFactory(collaboration=collaboration, organisation=lead, role=Role.LEAD)
    factories.ParticipationFactory(
        collaboration=collaboration, organisation=partner, role=Role.MEMBER
    )
    return collaboration


@pytest.fixture
def lead_staff(db, lead):
    return factories.staff_user(lead, username="riverton-staff")


@pytest.fixture
def partner_staff(db, partner):
    return factories.staff_user(partner, username="lakeside-staff")


@pytest.fixture
def outsider_staff(db, outsider):
    return factories.staff_user(outsider, username="elsewhere-staff")


@pytest.fixture
def goal(collaboration):
    return factories.SharedGoalFactory(
        collaboration=collaboration,
        title="Riders per month",
        indicator="Monthly riders",
        unit="riders",
        baseline=100,
        target=500,
    )


@pytest.fixture
def circulating(collaboration, lead, partner):
    """An MOU circulating for signature by Riverton and Lakeside."""
    agreement = factories.AgreementFactory(
        collaboration=collaboration,
        title="Transit MOU",
        status=Agreement.Status.CIRCULATING,
        circulated_on=timezone.localdate() - dt.timedelta(days=3),
    )
    factories.SignatoryFactory(agreement=agreement, organisation=lead)
    factories.SignatoryFactory(agreement=agreement, organisation=partner)
    return agreement


@pytest.fixture
def partner_obligation(collaboration, partner):
    return factories.ObligationFactory(
        collaboration=collaboration,
        organisation=partner,
        description="Lakeside's annual contribution",
    )


@pytest.fixture
def partner_token(partner):
    return token_client(partner)


@pytest.fixture
def lead_token(lead):
    return token_client(lead)


@pytest.fixture
def outsider_token(outsider):
    return token_client(outsider)


def participation_of(collaboration, organisation) -> Participation:
    return collaboration.participations.get(organisation=organisation)
