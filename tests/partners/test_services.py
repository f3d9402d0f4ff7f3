"""Writes of the partners app: what each service accepts, what it refuses and why."""

import pytest
from django.core.exceptions import PermissionDenied

from core.errors import DomainError
from partners import services
from partners.models import Contact, Organisation, StaffMembership, User
from tests import factories

pytestmark = pytest.mark.django_db


def create(actor, **overrides):
    values = {"name": "Town of Brookfield", "kind": Organisation.Kind.MUNICIPALITY}
    values.update(overrides)
    return services.organisation_create(actor=actor, **values)


# Organisations: creating ---------------------------------------------------------------------


def test_staff_user_registers_an_organisation_with_a_slug_from_its_short_name(staff):
    organisation = create(staff, short_name="Brookfield", jurisdiction="  Coastal  ")
    assert organisation.slug == "brookfield"
    assert organisation.jurisdiction == "Coastal"
    assert organisation.is_active
    assert organisation.history.first().history_user == staff


def test_generated_slugs_never_collide(staff):
    first = create(staff, name="Brookfield Water Board", short_name="Brookfield")
    second = create(staff, name="Brookfield Library Board", short_name="Brookfield")
    assert (first.slug, second.slug) == ("brookfield", "brookfield-2")


def test_generated_slug_avoids_page_paths(staff):
    organisation = create(staff, name="People")
    assert organisation.slug == "people-2"


def test_duplicate_name_is_refused_whatever_its_case(staff):
    create(staff)
    with pytest.raises(DomainError) as error:
        create(staff, name="TOWN OF BROOKFIELD", slug="other")
    assert error.value.field == "name"
    assert "already exists" in error.value.message


def test_duplicate_slug_is_refused(staff, organisation):
    with pytest.raises(DomainError) as error:
        create(staff, slug=organisation.slug)
    assert error.value.field == "slug"
    assert organisation.slug in error.value.message


@pytest.mark.parametrize("slug", ["new", "people", "export"])
def test_reserved_slugs_are_refused(staff, slug):
    with pytest.raises(DomainError) as error:
        create(staff, slug=slug)
    assert error.value.field == "slug"


def test_malformed_slug_is_refused(staff):
    with pytest.raises(DomainError) as error:
        create(staff, slug="not a slug!")
    assert error.value.field == "slug"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"name": "   "}, "name"),
        ({"name": "x" * 201}, "name"),
        ({"kind": "planet"}, "kind"),
        ({"website": "not a website"}, "website"),
        ({"website": "ftp://files.example.org"}, "website"),
        ({"short_name": "s" * 51}, "short_name"),
    ],
)
def test_bad_values_are_refused_naming_the_field(staff, overrides, field):
    with pytest.raises(DomainError) as error:
        create(staff, **overrides)
    assert error.value.field == field
    assert not Organisation.objects.filter(name="Town of Brookfield").exists()


def test_commissioner_cannot_register_organisations(commissioner):
    with pytest.raises(PermissionDenied):
        create(commissioner)


def test_administrator_registers_organisations(administrator):
    assert create(administrator).pk


# Organisations: editing ----------------------------------------------------------------------


def test_staff_edit_their_own_organisation(staff, organisation):
    services.organisation_update(actor=staff, organisation=organisation, jurisdiction="Treaty 9")
    organisation.refresh_from_db()
    assert organisation.jurisdiction == "Treaty 9"
    assert organisation.history.first().history_user == staff


def test_staff_of_another_organisation_cannot_edit(other_staff, organisation):
    with pytest.raises(PermissionDenied):
        services.organisation_update(actor=other_staff, organisation=organisation, name="Mine")
    organisation.refresh_from_db()
    assert organisation.name != "Mine"


def test_commissioner_cannot_edit(commissioner, organisation):
    with pytest.raises(PermissionDenied):
        services.organisation_update(actor=commissioner, organisation=organisation, name="X")


def test_renaming_keeps_the_slug(administrator, organisation):
    slug = organisation.slug
    services.organisation_update(actor=administrator, organisation=organisation, name="Renamed")
    organisation.refresh_from_db()
    assert (organisation.name, organisation.slug) == ("Renamed", slug)


def test_an_organisation_keeps_its_own_name_on_save(administrator, organisation):
    services.organisation_update(
        actor=administrator, organisation=organisation, name=organisation.name.upper()
    )
    organisation.refresh_from_db()
    assert organisation.name.isupper()


def test_an_organisation_cannot_be_its_own_parent(administrator, organisation):
    with pytest.raises(DomainError) as error:
        services.organisation_update(
            actor=administrator, organisation=organisation, parent=organisation
        )
    assert error.value.field == "parent"


def test_a_parent_inside_the_organisation_would_make_a_cycle(administrator):
    province = factories.OrganisationFactory(name="Province")
    ministry = factories.OrganisationFactory(name="Ministry", parent=province)
    branch = factories.OrganisationFactory(name="Branch", parent=ministry)
    with pytest.raises(DomainError) as error:
        services.organisation_update(actor=administrator, organisation=province, parent=branch)
    assert error.value.field == "parent"
    assert "cycle" in error.value.message
    province.refresh_from_db()
    assert province.parent is None


def test_a_parent_outside_the_organisation_is_accepted(administrator):
    province = factories.OrganisationFactory(name="Province")
    ministry = factories.OrganisationFactory(name="Ministry")
    services.organisation_update(actor=administrator, organisation=ministry, parent=province)
    ministry.refresh_from_db()
    assert ministry.parent == province


def test_unknown_fields_are_a_programming_error(administrator, organisation):
    with pytest.raises(TypeError):
        services.organisation_update(actor=administrator, organisation=organisation, pk=9)


# Organisations: deactivating and deleting ----------------------------------------------------


def test_an_unreferenced_organisation_is_deleted(administrator):
    lonely = factories.OrganisationFactory()
    factories.ContactFactory(organisation=lonely)
    deleted, references = services.organisation_remove(actor=administrator, organisation=lonely)
    assert deleted and references == {}
    assert not Organisation.objects.filter(pk=lonely.pk).exists()


@pytest.mark.parametrize(
    "make_reference",
    [
        lambda org: factories.ParticipationFactory(organisation=org),
        lambda org: factories.CollaborationFactory(lead_organisation=org),
        lambda org: factories.ObligationFactory(organisation=org),
        lambda org: factories.SignatoryFactory(organisation=org),
        lambda org: factories.MeasurementFactory(reported_by_organisation=org),
        lambda org: factories.staff_user(org),
        lambda org: factories.OrganisationFactory(parent=org),
        lambda org: factories.api_token(org),
    ],
    ids=[
        "participation",
        "lead",
        "obligation",
        "signature",
        "measurement",
        "staff",
        "child",
        "token",
    ],
)
def test_a_referenced_organisation_is_deactivated_not_deleted(administrator, make_reference):
    organisation = factories.OrganisationFactory()
    make_reference(organisation)
    deleted, references = services.organisation_remove(
        actor=administrator, organisation=organisation
    )
    assert not deleted
    assert references and all(count > 0 for count in references.values())
    organisation.refresh_from_db()
    assert not organisation.is_active


def test_staff_of_another_organisation_cannot_remove_it(other_staff, organisation):
    with pytest.raises(PermissionDenied):
        services.organisation_remove(actor=other_staff, organisation=organisation)
    assert Organisation.objects.get(pk=organisation.pk).is_active


def test_deactivating_stops_the_organisations_tokens(staff, organisation):
    _, raw = factories.api_token(organisation)
    services.organisation_deactivate(actor=staff, organisation=organisation)
    token, problem = services.api_token_authenticate(raw_token=raw)
    assert token is None
    assert "inactive" in problem


# Contacts ------------------------------------------------------------------------------------


def add_contact(actor, organisation, **overrides):
    values = {"name": "Amara Okafor", "email": "amara@example.org"}
    values.update(overrides)
    return services.contact_create(actor=actor, organisation=organisation, **values)


def test_staff_add_a_contact_to_their_organisation(staff, organisation):
    contact = add_contact(staff, organisation, title="CAO")
    assert contact.organisation == organisation
    assert contact.history.first().history_user == staff


@pytest.mark.parametrize("email", ["not-an-email", "a@b", "two@@example.org"])
def test_a_bad_email_is_refused(staff, organisation, email):
    with pytest.raises(DomainError) as error:
        add_contact(staff, organisation, email=email)
    assert error.value.field == "email"
    assert not Contact.objects.exists()


def test_the_same_email_twice_at_one_organisation_is_refused(staff, organisation):
    add_contact(staff, organisation)
    with pytest.raises(DomainError) as error:
        add_contact(staff, organisation, name="Someone Else", email="AMARA@example.org")
    assert error.value.field == "email"


def test_a_contact_needs_a_name(staff, organisation):
    with pytest.raises(DomainError) as error:
        add_contact(staff, organisation, name=" ")
    assert error.value.field == "name"


def test_a_new_primary_contact_replaces_the_previous_one(staff, organisation):
    first = add_contact(staff, organisation, is_primary=True)
    second = add_contact(staff, organisation, name="B", email="b@example.org", is_primary=True)
    first.refresh_from_db()
    assert second.is_primary and not first.is_primary


def test_an_inactive_contact_cannot_be_primary(staff, organisation):
    contact = add_contact(staff, organisation)
    with pytest.raises(DomainError) as error:
        services.contact_update(actor=staff, contact=contact, is_primary=True, is_active=False)
    assert error.value.field == "is_primary"


def test_staff_of_another_organisation_cannot_touch_its_contacts(other_staff, organisation):
    contact = factories.ContactFactory(organisation=organisation)
    with pytest.raises(PermissionDenied):
        add_contact(other_staff, organisation)
    with pytest.raises(PermissionDenied):
        services.contact_update(actor=other_staff, contact=contact, name="Changed")


# People --------------------------------------------------------------------------------------


def new_person(actor, **overrides):
    values = {
        "username": "jdoe",
        "password": "a-long-unusual-passphrase-7",
        "role": User.Role.STAFF,
        "first_name": "Jane",
        "last_name": "Doe",
    }
    values.update(overrides)
    return services.user_create(actor=actor, **values)


def test_administrator_creates_a_staff_user_for_an_organisation(administrator, organisation):
    person = new_person(administrator, organisation=organisation, job_title="Planner")
    assert person.check_password("a-long-unusual-passphrase-7")
    assert person.staff_membership.organisation == organisation
    assert person.staff_membership.job_title == "Planner"
    assert not person.is_staff


def test_staff_user_needs_an_organisation(administrator):
    with pytest.raises(DomainError) as error:
        new_person(administrator)
    assert error.value.field == "organisation"


def test_an_administrator_gets_the_django_admin(administrator):
    person = new_person(administrator, role=User.Role.ADMINISTRATOR)
    assert person.is_staff and person.is_administrator


def test_usernames_are_unique_whatever_their_case(administrator, organisation):
    new_person(administrator, organisation=organisation)
    with pytest.raises(DomainError) as error:
        new_person(administrator, organisation=organisation, username="JDoe")
    assert error.value.field == "username"


def test_weak_passwords_are_refused(administrator, organisation):
    with pytest.raises(DomainError) as error:
        new_person(administrator, organisation=organisation, password="password")
    assert error.value.field == "password"
    assert not User.objects.filter(username="jdoe").exists()


def test_only_administrators_manage_people(staff, organisation):
    with pytest.raises(PermissionDenied):
        new_person(staff, organisation=organisation)


def test_administrator_moves_a_person_and_changes_their_role(
    administrator, staff, other_organisation
):
    services.user_update(
        actor=administrator,
        user=staff,
        role=User.Role.COMMISSIONER,
        organisation=other_organisation,
        first_name="Sam",
    )
    staff.refresh_from_db()
    assert staff.role == User.Role.COMMISSIONER
    assert staff.staff_membership.organisation == other_organisation


def test_a_person_without_an_organisation_loses_the_membership(administrator, staff):
    services.user_update(
        actor=administrator, user=staff, role=User.Role.COMMISSIONER, organisation=None
    )
    assert not StaffMembership.objects.filter(user=staff).exists()


def test_administrators_cannot_lock_themselves_out(administrator):
    with pytest.raises(DomainError) as error:
        services.user_update(
            actor=administrator, user=administrator, role=User.Role.STAFF, organisation=None
        )
    assert error.value.field == "role"
    with pytest.raises(DomainError) as error:
        services.user_update(
            actor=administrator,
            user=administrator,
            role=User.Role.ADMINISTRATOR,
            organisation=None,
            is_active=False,
        )
    assert error.value.field == "is_active"


# API tokens ----------------------------------------------------------------------------------


def test_staff_issue_a_token_for_their_organisation(staff, organisation):
    token, raw = services.api_token_issue(
        actor=staff, organisation=organisation, name="Reporting", expires_in_days=30
    )
    assert token.created_by == staff
    assert not token.write_enabled
    assert 29 <= (token.expires_at - token.created_at).days <= 30
    assert raw.startswith(f"chb_{token.prefix}_")


def test_staff_of_another_organisation_cannot_issue_or_revoke(other_staff, organisation):
    with pytest.raises(PermissionDenied):
        services.api_token_issue(actor=other_staff, organisation=organisation, name="Mine")
    token, _ = factories.api_token(organisation)
    with pytest.raises(PermissionDenied):
        services.api_token_revoke(token=token, actor=other_staff)
    token.refresh_from_db()
    assert token.revoked_at is None


@pytest.mark.parametrize(
    ("overrides", "field"),
    [({"name": "  "}, "name"), ({"expires_in_days": 0}, "expires_in_days")],
)
def test_bad_token_requests_are_refused(staff, organisation, overrides, field):
    values = {"name": "Reporting", **overrides}
    with pytest.raises(DomainError) as error:
        services.api_token_issue(actor=staff, organisation=organisation, **values)
    assert error.value.field == field


def test_no_tokens_for_an_inactive_organisation(administrator):
    inactive = factories.OrganisationFactory(is_active=False)
    with pytest.raises(DomainError):
        services.api_token_issue(actor=administrator, organisation=inactive, name="x")
