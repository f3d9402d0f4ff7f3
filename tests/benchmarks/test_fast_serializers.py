"""FastRepresentation renders exactly what DRF's ModelSerializer renders, for every read
serializer of the API and for rows with and without their optional values."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone
from rest_framework import serializers
from rest_framework.test import APIRequestFactory

from agreements import selectors as agreements_read
from agreements.api import serializers as agreements_api
from agreements.models import Obligation
from commissioner import selectors as commissioner_read
from commissioner.api import serializers as commissioner_api
from core.serializer_fields import FastRepresentation, ModelInput
from partners.api import serializers as partners_api
from partners.selectors import organisation_api_list_for
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    parent = factories.OrganisationFactory(website="")
    lead = factories.OrganisationFactory(parent=parent, short_name="", website="https://a.ca")
    factories.ContactFactory(organisation=lead, phone="", title="")
    collaboration = factories.CollaborationFactory(lead_organisation=lead, commissioner=None)
    participation = factories.ParticipationFactory(collaboration=collaboration, contact=None)
    factories.ParticipationFactory(collaboration=collaboration, organisation=lead)
    goal = factories.SharedGoalFactory(collaboration=collaboration, target_date=None)
    factories.MeasurementFactory(goal=goal, reported_by_organisation=lead)
    agreement = factories.AgreementFactory(collaboration=collaboration, expiry_date=None)
    factories.SignatoryFactory(agreement=agreement, organisation=lead, signed_at=timezone.now())
    factories.SignatoryFactory(agreement=agreement, organisation=participation.organisation)
    factories.ObligationFactory(
        collaboration=collaboration, organisation=lead, quantity=None, unit="", agreement=None
    )
    factories.ObligationFactory(
        collaboration=collaboration,
        organisation=lead,
        agreement=agreement,
        quantity=Decimal("12.50"),
        status=Obligation.Status.MET,
        met_at=timezone.now(),
        due_date=timezone.localdate() - dt.timedelta(days=3),
    )
    meeting = factories.MeetingFactory(collaboration=collaboration)
    factories.AttendanceFactory(meeting=meeting, participation=participation)
    factories.EngagementSnapshotFactory(participation=participation, attendance_rate=None)
    flag = factories.FlagFactory(participation=participation)
    factories.InterventionFactory(flag=flag, due_date=None)
    return factories.AdministratorFactory()


def cases(administrator):
    a = administrator
    return [
        (partners_api.OrganisationSerializer, organisation_api_list_for(actor=a)),
        (partners_api.ContactSerializer, factories.Contact.objects.all()),
        (
            agreements_api.CollaborationSerializer,
            agreements_read.collaboration_api_list_for(actor=a),
        ),
        (agreements_api.ParticipationSerializer, agreements_read.participation_list_for(actor=a)),
        (agreements_api.GoalSerializer, agreements_read.goal_list_for(actor=a)),
        (agreements_api.MeasurementSerializer, agreements_read.measurement_list_for(actor=a)),
        (agreements_api.AgreementSerializer, agreements_read.agreement_list_for(actor=a)),
        (agreements_api.SignatorySerializer, factories.Signatory.objects.all()),
        (agreements_api.ObligationSerializer, agreements_read.obligation_list_for(actor=a)),
        (commissioner_api.MeetingSerializer, commissioner_read.meeting_api_list_for(actor=a)),
        (commissioner_api.AttendanceSerializer, factories.Attendance.objects.all()),
        (commissioner_api.SnapshotSerializer, commissioner_read.snapshot_list_for(actor=a)),
        (commissioner_api.FlagSerializer, commissioner_read.flag_api_list_for(actor=a)),
        (commissioner_api.InterventionSerializer, commissioner_read.intervention_list_for(actor=a)),
    ]


def test_every_read_serializer_of_the_api_is_fast():
    """A new read serializer should get the fast path too (or say here why not). A request
    body (ModelInput) is a ModelSerializer too, but never renders a row."""
    read = [
        cls
        for module in (partners_api, agreements_api, commissioner_api)
        for cls in vars(module).values()
        if isinstance(cls, type)
        and issubclass(cls, serializers.ModelSerializer)
        and not issubclass(cls, ModelInput)
    ]
    assert read and all(issubclass(cls, FastRepresentation) for cls in read)


def test_the_fast_rows_are_drfs_rows(world):
    request = APIRequestFactory().get("/api/v1/")
    request.user = world
    checked = 0
    for serializer_class, queryset in cases(world):
        rows = list(queryset)
        assert rows, serializer_class.__name__
        serializer = serializer_class(context={"request": request})
        for row in rows:
            fast = serializer.to_representation(row)
            drf = serializers.ModelSerializer.to_representation(serializer, row)
            assert fast == drf, serializer_class.__name__
            # The same keys in the same order: clients see no difference at all.
            assert list(fast) == list(drf)
            checked += 1
    assert checked > len(cases(world))


def test_a_collaborations_web_url_is_its_page(world):
    """The list builds the link from one reverse() per page; it must be the page's own."""
    collaborations = list(agreements_read.collaboration_api_list_for(actor=world))
    rows = agreements_api.CollaborationSerializer(collaborations, many=True).data
    assert [row["web_url"] for row in rows] == [c.get_absolute_url() for c in collaborations]


def test_each_serializer_translates_choice_labels_afresh():
    # Declared fields are copied for every serializer; the copy shares the (unchanging) labels
    # but not the previous response's translations, which belong to its language.
    first = partners_api.OrganisationSerializer().fields["kind_display"]
    assert first.to_representation("municipality") == "Municipality"
    first.translated["municipality"] = "Municipalité"
    second = partners_api.OrganisationSerializer().fields["kind_display"]
    assert second.to_representation("municipality") == "Municipality"
    assert second.labels is first.labels
