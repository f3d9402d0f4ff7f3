"""The partners pages as municipal staff and administrators use them: the directory, its CSV
export, organisation and contact forms with their errors, deactivation, API tokens, people, and
who gets a 403 page."""

import csv
import io
import re

import pytest
from django.test import Client
from django.urls import reverse

from partners import services
from partners.models import ApiToken, Contact, Organisation, User
from tests import factories
from tests.querycount import query_budget

pytestmark = pytest.mark.django_db

LIST = "/organisations/"
EXPORT = "/organisations/export.csv"


def html(response) -> str:
    return response.content.decode()


def csv_body(response) -> str:
    """A CSV export's text, written at once or streamed (a large one)."""
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return content.decode("utf-8-sig")


def export_rows(client, params=None) -> list[list[str]]:
    response = client.get(EXPORT, params or {})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    body = csv_body(response)
    return list(csv.reader(io.StringIO(body)))


@pytest.fixture
def directory(db):
    parent = factories.OrganisationFactory(
        name="Province of Westmark", short_name="Westmark", kind=Organisation.Kind.PROVINCE
    )
    wolf = factories.OrganisationFactory(
        name="Wolf Lake First Nation",
        short_name="WLFN",
        kind=Organisation.Kind.FIRST_NATION,
        jurisdiction="Treaty 9",
    )
    factories.ContactFactory(
        organisation=wolf, name="Daniel Whitehorse", email="dw@wolflake.example", is_primary=True
    )
    factories.OrganisationFactory(
        name="Westmark Ministry of Municipal Affairs",
        short_name="WMMA",
        kind=Organisation.Kind.PROVINCE,
        parent=parent,
        jurisdiction="Westmark",
    )
    factories.OrganisationFactory(
        name="Old Board", short_name="OB", kind=Organisation.Kind.OTHER, is_active=False
    )
    return {"parent": parent, "wolf": wolf}


# Directory -----------------------------------------------------------------------------------


def test_the_directory_lists_organisations_with_their_parent(staff_client, directory):
    response = staff_client.get(LIST)
    page = html(response)
    assert response.status_code == 200
    assert page.count("<h1") == 1
    assert "Wolf Lake First Nation" in page
    assert f'href="{directory["parent"].get_absolute_url()}"' in page
    assert "<caption" in page and 'scope="col"' in page


@pytest.mark.parametrize(
    ("params", "shown", "hidden"),
    [
        ({"q": "wolf"}, ["Wolf Lake"], ["Old Board", "Ministry"]),
        ({"q": "WMMA"}, ["Ministry"], ["Wolf Lake"]),
        ({"kind": "province"}, ["Ministry", "Province of Westmark"], ["Wolf Lake"]),
        ({"jurisdiction": "treaty"}, ["Wolf Lake"], ["Ministry"]),
        ({"is_active": "false"}, ["Old Board"], ["Wolf Lake"]),
        ({"is_active": "true"}, ["Wolf Lake"], ["Old Board"]),
    ],
)
def test_directory_search_and_filters(staff_client, directory, params, shown, hidden):
    rows = html(staff_client.get(LIST, params)).split("<tbody>")[1]
    for name in shown:
        assert name in rows
    for name in hidden:
        assert name not in rows


def test_directory_sorting(staff_client, directory):
    rows = html(staff_client.get(LIST, {"sort": "-name", "kind": "province"}))
    assert rows.index("Westmark Ministry") < rows.index("Province of Westmark")
    assert 'aria-sort="descending"' in rows
    rows = html(staff_client.get(LIST, {"sort": "name", "kind": "province"}))
    assert rows.index("Province of Westmark") < rows.index("Westmark Ministry")


def test_an_unknown_filter_value_is_explained_not_a_500(staff_client, directory):
    response = staff_client.get(LIST, {"kind": "planet", "sort": "bogus", "page": "x"})
    assert response.status_code == 200
    assert "Select a valid choice" in html(response)


def test_directory_pagination_keeps_the_filters(staff_client):
    factories.OrganisationFactory.create_batch(30, jurisdiction="Paged Region")
    page = html(staff_client.get(LIST, {"jurisdiction": "Paged"}))
    assert "Page 1 of 2" in page
    assert "jurisdiction=Paged" in page.split('rel="next"')[0].rsplit("<a", 1)[1]
    second = html(staff_client.get(LIST, {"jurisdiction": "Paged", "page": 2}))
    assert "Page 2 of 2" in second


def test_htmx_filtering_returns_only_the_results(staff_client, directory):
    response = staff_client.get(LIST, {"q": "wolf"}, HTTP_HX_REQUEST="true")
    page = html(response)
    assert "Wolf Lake" in page
    assert "<h1" not in page and "<html" not in page


def test_directory_query_count_does_not_grow_with_rows(staff_client):
    def listed(count):
        parent = factories.OrganisationFactory()
        factories.OrganisationFactory.create_batch(count, parent=parent)
        with query_budget("partners.organisation_list"):
            response = staff_client.get(LIST, {"sort": "-created_at"})
        assert response.status_code == 200

    listed(2)
    listed(20)


# CSV export ----------------------------------------------------------------------------------


def test_export_content(staff_client, directory):
    rows = export_rows(staff_client, {"q": "wolf"})
    assert rows[0][:4] == ["Name", "Short name", "Slug", "Kind"]
    assert len(rows) == 2
    record = dict(zip(rows[0], rows[1], strict=True))
    assert record["Name"] == "Wolf Lake First Nation"
    assert record["Kind"] == "First Nation or Indigenous government"
    assert record["Jurisdiction or region"] == "Treaty 9"
    assert record["Primary contact"] == "Daniel Whitehorse"
    assert record["Primary contact e-mail"] == "dw@wolflake.example"
    assert record["Active"] == "yes"


def test_export_honours_filters_and_sort(staff_client, directory):
    rows = export_rows(staff_client, {"kind": "province", "sort": "-name"})
    assert [row[0] for row in rows[1:]] == [
        "Westmark Ministry of Municipal Affairs",
        "Province of Westmark",
    ]
    assert rows[1][5] == "Province of Westmark"  # the parent column
    assert [row[0] for row in export_rows(staff_client, {"is_active": "false"})[1:]] == [
        "Old Board"
    ]


def test_the_export_link_carries_the_current_filters(staff_client, directory):
    page = html(staff_client.get(LIST, {"kind": "province", "page": "1"}))
    link = page.split('href="/organisations/export.csv')[1].split('"')[0]
    assert "kind=province" in link and "page" not in link


def test_export_neutralises_spreadsheet_formulas(staff_client):
    organisation = factories.OrganisationFactory(
        name='=HYPERLINK("http://evil.example")',
        short_name="+SUM(A1)",
        jurisdiction="-2+3",
    )
    factories.ContactFactory(
        organisation=organisation, name="@attacker", phone="+1 555 0100", is_primary=True
    )
    rows = export_rows(staff_client, {"q": "HYPERLINK"})
    record = dict(zip(rows[0], rows[1], strict=True))
    assert record["Name"] == '\'=HYPERLINK("http://evil.example")'
    assert record["Short name"] == "'+SUM(A1)"
    assert record["Jurisdiction or region"] == "'-2+3"
    assert record["Primary contact"] == "'@attacker"
    for cell in rows[1]:
        assert not cell.startswith(("=", "+", "-", "@")) or cell == "+1 555 0100"


@pytest.mark.parametrize(
    "value",
    [
        "=cmd|' /C calc'!A0",
        "+SUM(A1)",
        "-2+3",
        "@SUM(1+1)*cmd|' /C calc'!A0",
        "+1 555 0100 =cmd|' /C calc'!A0",
        "\t=1+1",
        "\r=1+1",
        "-",
    ],
)
def test_export_still_neutralises_formulas_in_any_column(staff_client, value):
    organisation = factories.OrganisationFactory(name="Formula Town", jurisdiction=value)
    factories.ContactFactory(organisation=organisation, phone=value, is_primary=True)
    rows = export_rows(staff_client, {"q": "Formula Town"})
    record = dict(zip(rows[0], rows[1], strict=True))
    assert record["Jurisdiction or region"] == f"'{value}"
    assert record["Primary contact phone"] == f"'{value}"


@pytest.mark.parametrize(
    "phone", ["+1 555 0100", "+1 (613) 555-0100", "+44 20.7946.0958", "-12.5", "613-555-0100"]
)
def test_export_leaves_phone_numbers_as_they_are(staff_client, phone):
    organisation = factories.OrganisationFactory(name="Phone Town")
    factories.ContactFactory(organisation=organisation, phone=phone, is_primary=True)
    rows = export_rows(staff_client, {"q": "Phone Town"})
    record = dict(zip(rows[0], rows[1], strict=True))
    assert record["Primary contact phone"] == phone


def test_export_with_a_bad_filter_is_a_400(staff_client):
    response = staff_client.get(EXPORT, {"kind": "planet"})
    assert response.status_code == 400
    assert "kind" in html(response)


def test_export_query_count_does_not_grow_with_rows(staff_client):
    def exported(count):
        for organisation in factories.OrganisationFactory.create_batch(count):
            factories.ContactFactory(organisation=organisation, is_primary=True)
        with query_budget("partners.organisation_export"):
            response = staff_client.get(EXPORT)
            rows = csv_body(response).splitlines()
        return len(rows)

    first = exported(2)
    assert exported(15) == first + 15


# Detail --------------------------------------------------------------------------------------


def test_the_detail_page_shows_contacts_and_history(staff_client, organisation, staff):
    factories.ContactFactory(organisation=organisation, name="Amara Okafor", is_primary=True)
    staff_client.post(
        reverse("partners:organisation_edit", args=[organisation.slug]),
        {
            "name": organisation.name,
            "kind": "municipality",
            "jurisdiction": "Treaty 9",
            "is_active": "on",
        },
    )
    page = html(staff_client.get(organisation.get_absolute_url()))
    assert page.count("<h1") == 1
    assert "Amara Okafor" in page
    history = page.split('id="history-heading"')[1]
    assert "Treaty 9" in history and "Northern Valley" in history
    assert (staff.get_full_name() or staff.username) in history


def test_the_history_reads_in_french_with_its_spacing(staff_client, organisation, staff):
    """Each entry is one translated sentence and each changed field's label carries its colon,
    so French puts its non-breaking space before it."""
    contact = services.contact_create(
        actor=staff, organisation=organisation, name="Amara Okafor", email="amara@example.org"
    )
    services.contact_update(actor=staff, contact=contact, title="CAO")
    staff.preferred_language = "fr"
    staff.save(update_fields=["preferred_language"])
    page = html(staff_client.get(organisation.get_absolute_url()))
    history = page.split('id="history-heading"')[1]
    assert "Personne-ressource\xa0: Amara Okafor — modification" in history, history
    assert re.search(r'<span class="fw-semibold">[^<:]+\xa0:</span>', history), history


def test_the_detail_page_links_the_collaborations(staff_client, organisation):
    participation = factories.ParticipationFactory(organisation=organisation)
    elsewhere = factories.ParticipationFactory()  # another organisation's collaboration
    url = participation.collaboration.get_absolute_url()
    assert url == reverse(
        "agreements:collaboration_detail", kwargs={"slug": participation.collaboration.slug}
    )
    page = html(staff_client.get(organisation.get_absolute_url()))
    assert f'href="{url}"' in page
    assert participation.collaboration.title in page
    assert elsewhere.collaboration.get_absolute_url() not in page
    assert staff_client.get(url).status_code == 200


def test_staff_and_tokens_are_shown_to_own_staff_and_administrators_only(
    client, organisation, staff, other_staff, commissioner, administrator
):
    factories.api_token(organisation, name="Nightly sync")
    for user, sees in (
        (staff, True),
        (administrator, True),
        (other_staff, False),
        (commissioner, False),
    ):
        client.force_login(user)
        page = html(client.get(organisation.get_absolute_url()))
        assert ("Nightly sync" in page) is sees, user
        assert (staff.username in page) is sees, user
        assert ("Edit organisation" in page) is sees, user


def test_an_unknown_organisation_is_a_404(staff_client):
    assert staff_client.get("/organisations/no-such-org/").status_code == 404


def test_detail_query_count_does_not_grow_with_contacts_and_history(
    staff_client, organisation, staff
):
    from partners import services

    def shown(count):
        for number in range(count):
            contact = services.contact_create(
                actor=staff,
                organisation=organisation,
                name=f"P{number}-{count}",
                email=f"p{number}-{count}@example.org",
            )
            services.contact_update(actor=staff, contact=contact, title="Changed")
            factories.staff_user(organisation)
            factories.api_token(organisation)
        with query_budget("partners.organisation_detail"):
            assert staff_client.get(organisation.get_absolute_url()).status_code == 200

    shown(1)
    shown(6)


# Create and edit -----------------------------------------------------------------------------


def test_staff_register_an_organisation(staff_client):
    response = staff_client.post(
        reverse("partners:organisation_create"),
        {"name": "Town of Brookfield", "short_name": "Brookfield", "kind": "municipality"},
    )
    organisation = Organisation.objects.get(name="Town of Brookfield")
    assert response.status_code == 302
    assert response["Location"] == organisation.get_absolute_url()


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"name": "Municipality Taken", "kind": "other"}, "name", "already exists"),
        ({"name": "New", "kind": "other", "slug": "taken"}, "slug", "already uses"),
        ({"name": "New", "kind": "other", "slug": "people"}, "slug", "reserved"),
        ({"name": "New", "kind": "other", "slug": "Not a slug"}, "slug", "valid"),
        ({"name": "New", "kind": "other", "website": "nope"}, "website", "valid URL"),
        ({"name": "", "kind": "other"}, "name", "required"),
        ({"name": "New", "kind": ""}, "kind", "required"),
    ],
)
def test_create_form_errors_sit_next_to_their_field(staff_client, data, field, message):
    factories.OrganisationFactory(name="Municipality Taken", slug="taken")
    response = staff_client.post(reverse("partners:organisation_create"), data)
    assert response.status_code == 200
    form = response.context["form"]
    assert field in form.errors
    assert message in " ".join(form.errors[field])
    page = html(response)
    assert f'id="id_{field}_error"' in page
    assert 'aria-invalid="true"' in page
    assert "There is a problem" in page
    assert Organisation.objects.filter(name="New").count() == 0


def test_edit_refuses_a_parent_that_would_make_a_cycle(staff_client, organisation):
    child = factories.OrganisationFactory(name="Inner Department", parent=organisation)
    response = staff_client.post(
        reverse("partners:organisation_edit", args=[organisation.slug]),
        {"name": organisation.name, "kind": "municipality", "parent": child.pk, "is_active": "on"},
    )
    assert response.status_code == 200
    assert "cycle" in " ".join(response.context["form"].errors["parent"])
    organisation.refresh_from_db()
    assert organisation.parent is None


def test_staff_who_register_an_organisation_manage_it_until_it_has_staff(staff_client):
    """The registrant adds its first contact (no 403); other staff are told who can change it
    and whom to ask; once an administrator assigns its staff, they manage it, not the
    registrant."""
    factories.AdministratorFactory(
        username="ada", first_name="Ada", last_name="Admin", email="ada@example.org"
    )
    staff_client.post(
        reverse("partners:organisation_create"), {"name": "Town of Brookfield", "kind": "other"}
    )
    brookfield = Organisation.objects.get(name="Town of Brookfield")
    slug = brookfield.slug
    page = html(staff_client.get(brookfield.get_absolute_url()))
    assert "You registered Town of Brookfield" in page
    assert "Add a contact" in page
    response = staff_client.post(
        reverse("partners:contact_create", args=[slug]),
        {"name": "Ines Clerk", "email": "ines@brookfield.example", "is_active": "on"},
    )
    assert response.status_code == 302
    assert brookfield.contacts.get().name == "Ines Clerk"
    assert staff_client.get(reverse("partners:organisation_edit", args=[slug])).status_code == 200

    # Another staff user may not, and the page says who may and whom to ask.
    other_staff_client = Client()
    other_staff_client.force_login(factories.staff_user())
    page = html(other_staff_client.get(brookfield.get_absolute_url()))
    assert "Add a contact" not in page
    assert "Only administrators and staff of Town of Brookfield can change" in page
    assert 'href="mailto:ada@example.org"' in page
    assert (
        other_staff_client.get(reverse("partners:contact_create", args=[slug])).status_code == 403
    )

    # An administrator assigns its staff: the registrant's interim access ends.
    factories.staff_user(brookfield, username="brookfield-clerk")
    assert staff_client.get(reverse("partners:contact_create", args=[slug])).status_code == 403
    assert "You registered" not in html(staff_client.get(brookfield.get_absolute_url()))


def test_commissioners_cannot_register_organisations(commissioner_client):
    response = commissioner_client.get(reverse("partners:organisation_create"))
    assert response.status_code == 403
    assert "You cannot do that" in html(response)


# 403 for staff of another organisation -------------------------------------------------------


def forbidden_urls(organisation):
    contact = factories.ContactFactory(organisation=organisation)
    token, _ = factories.api_token(organisation)
    slug = organisation.slug
    return [
        reverse("partners:organisation_edit", args=[slug]),
        reverse("partners:organisation_deactivate", args=[slug]),
        reverse("partners:contact_create", args=[slug]),
        reverse("partners:contact_edit", args=[slug, contact.pk]),
        reverse("partners:token_issue", args=[slug]),
        reverse("partners:token_revoke", args=[slug, token.pk]),
    ]


def test_staff_of_another_organisation_get_a_403_page(other_staff_client, organisation):
    for url in forbidden_urls(organisation):
        for method in ("get", "post"):
            response = getattr(other_staff_client, method)(url, {"name": "Hijacked"})
            assert response.status_code == 403, (method, url)
            assert "You cannot do that" in html(response)
    organisation.refresh_from_db()
    assert organisation.is_active and organisation.name != "Hijacked"
    assert not ApiToken.objects.filter(revoked_at__isnull=False).exists()
    assert ApiToken.objects.count() == 1


def test_commissioners_get_a_403_page_too(commissioner_client, organisation):
    for url in forbidden_urls(organisation):
        assert commissioner_client.get(url).status_code == 403, url


def test_administrators_may_manage_any_organisation(admin_client_, organisation):
    for url in forbidden_urls(organisation):
        assert admin_client_.get(url).status_code == 200, url


def test_another_organisations_contact_is_a_404(staff_client, organisation, other_organisation):
    foreign = factories.ContactFactory(organisation=other_organisation)
    url = reverse("partners:contact_edit", args=[organisation.slug, foreign.pk])
    assert staff_client.get(url).status_code == 404


def test_another_organisations_token_is_a_404(staff_client, organisation, other_organisation):
    foreign, _ = factories.api_token(other_organisation)
    url = reverse("partners:token_revoke", args=[organisation.slug, foreign.pk])
    assert staff_client.post(url).status_code == 404
    foreign.refresh_from_db()
    assert foreign.revoked_at is None


# Deactivate ----------------------------------------------------------------------------------


def test_a_referenced_organisation_is_deactivated_with_a_message(staff_client, organisation):
    url = reverse("partners:organisation_deactivate", args=[organisation.slug])
    confirm = html(staff_client.get(url))
    assert "staff members" in confirm and "Deactivate" in confirm
    response = staff_client.post(url, follow=True)
    organisation.refresh_from_db()
    assert not organisation.is_active
    assert "deactivated rather than deleted" in html(response)


def test_an_unreferenced_organisation_is_deleted(admin_client_):
    lonely = factories.OrganisationFactory(name="Lonely Board")
    url = reverse("partners:organisation_deactivate", args=[lonely.slug])
    assert "Delete permanently" in html(admin_client_.get(url))
    response = admin_client_.post(url, follow=True)
    assert not Organisation.objects.filter(pk=lonely.pk).exists()
    assert "was deleted" in html(response)


def test_an_inactive_organisation_can_be_reactivated(staff_client, organisation):
    organisation.is_active = False
    organisation.save()
    staff_client.post(
        reverse("partners:organisation_edit", args=[organisation.slug]),
        {"name": organisation.name, "kind": "municipality", "is_active": "on"},
    )
    organisation.refresh_from_db()
    assert organisation.is_active


# Contacts ------------------------------------------------------------------------------------


def test_staff_add_and_edit_a_contact(staff_client, organisation):
    url = reverse("partners:contact_create", args=[organisation.slug])
    response = staff_client.post(url, {"name": "Amara Okafor", "email": "amara@example.org"})
    assert response.status_code == 302
    contact = Contact.objects.get()
    edit = reverse("partners:contact_edit", args=[organisation.slug, contact.pk])
    staff_client.post(
        edit, {"name": "Amara Okafor", "title": "CAO", "is_primary": "on", "is_active": "on"}
    )
    contact.refresh_from_db()
    assert contact.title == "CAO" and contact.is_primary


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"name": "X", "email": "not-an-email"}, "email"),
        ({"name": "", "email": "x@example.org"}, "name"),
        ({"name": "Twin", "email": "taken@example.org"}, "email"),
    ],
)
def test_contact_form_errors(staff_client, organisation, data, field):
    factories.ContactFactory(organisation=organisation, email="taken@example.org")
    response = staff_client.post(reverse("partners:contact_create", args=[organisation.slug]), data)
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert f'id="id_{field}_error"' in html(response)
    assert Contact.objects.count() == 1


def test_an_inactive_contact_cannot_be_made_primary(staff_client, organisation):
    contact = factories.ContactFactory(organisation=organisation)
    response = staff_client.post(
        reverse("partners:contact_edit", args=[organisation.slug, contact.pk]),
        {"name": contact.name, "is_primary": "on"},
    )
    assert "is_primary" in response.context["form"].errors


def test_a_contact_who_left_and_is_still_named_sends_staff_to_name_a_successor(
    staff_client, organisation
):
    """Marking a named contact inactive leaves each collaboration that names them with no one
    speaking for the organisation, which the early warning counts against the partner: staff
    are told where, and the organisation page shows it until a successor is named."""
    left = factories.ContactFactory(organisation=organisation, name="Ines Roy")
    named = [
        factories.ParticipationFactory(organisation=organisation, contact=left) for _ in range(2)
    ]
    factories.ParticipationFactory(organisation=organisation, contact=left, status="withdrawn")
    factories.ParticipationFactory(
        organisation=organisation,
        contact=left,
        collaboration=factories.CollaborationFactory(status="concluded"),
    )
    factories.ParticipationFactory(organisation=organisation)  # names no one
    edit = reverse("partners:contact_edit", args=[organisation.slug, left.pk])

    response = staff_client.post(edit, {"name": left.name})  # "active" unticked: left

    assert response.status_code == 302
    assert response["Location"] == f"{organisation.get_absolute_url()}#collaborations-heading"
    page = staff_client.get(response["Location"])
    text = html(page)
    assert (
        f"Ines Roy is still named as the contact of {organisation.name} in 2 collaborations"
    ) in text
    assert "2 collaborations still name a contact who is no longer active" in text
    # Shown on every row that names them; not counted where the partner withdrew or the
    # collaboration is over (nobody scans those).
    assert text.count("no longer active</span>") == 4
    assert "none named" in text
    french = html(staff_client.get(organisation.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="fr"))
    assert "2 collaborations désignent encore une personne-ressource" in french

    successor = factories.ContactFactory(organisation=organisation)
    for participation in named:
        participation.contact = successor
        participation.save(update_fields=["contact"])
    assert "still name a contact" not in html(staff_client.get(organisation.get_absolute_url()))
    # A contact named nowhere (or still active) saves as before.
    response = staff_client.post(edit, {"name": left.name, "title": "Former CAO"})
    assert response["Location"] == organisation.get_absolute_url()


# Tokens --------------------------------------------------------------------------------------


def test_token_issue_form_validation(staff_client, organisation):
    url = reverse("partners:token_issue", args=[organisation.slug])
    response = staff_client.post(url, {"name": "", "expires_in_days": "0"})
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert {"name", "expires_in_days"} <= set(errors)
    assert not ApiToken.objects.exists()
    assert "raw_token" not in response.context


def test_an_issued_token_can_expire(staff_client, organisation):
    url = reverse("partners:token_issue", args=[organisation.slug])
    response = staff_client.post(url, {"name": "Pilot", "expires_in_days": "30"})
    token = ApiToken.objects.get()
    assert token.expires_at is not None and not token.write_enabled
    assert "Read-only" in html(response)


def test_revoking_asks_first_then_revokes(staff_client, organisation):
    token, _ = factories.api_token(organisation, name="Old system")
    url = reverse("partners:token_revoke", args=[organisation.slug, token.pk])
    confirm = staff_client.get(url)
    assert "Revoke the token" in html(confirm)
    token.refresh_from_db()
    assert token.revoked_at is None
    response = staff_client.post(url, follow=True)
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert "was revoked" in html(response)
    assert "Revoked" in html(response)


# People --------------------------------------------------------------------------------------


def test_people_page_is_for_administrators(staff_client, commissioner_client):
    assert staff_client.get(reverse("partners:people_list")).status_code == 403
    assert commissioner_client.get(reverse("partners:people_list")).status_code == 403
    assert staff_client.get(reverse("partners:person_create")).status_code == 403


def test_people_page_lists_roles_and_organisations(admin_client_, staff, organisation):
    page = html(admin_client_.get(reverse("partners:people_list"), {"q": staff.username}))
    assert staff.username in page and organisation.name in page and "Staff" in page


def test_people_list_query_count_does_not_grow(admin_client_):
    def listed(count):
        for _ in range(count):
            factories.staff_user()
        with query_budget("partners.people_list"):
            assert admin_client_.get(reverse("partners:people_list")).status_code == 200

    listed(2)
    listed(10)


def test_administrator_creates_a_staff_user(admin_client_, organisation):
    response = admin_client_.post(
        reverse("partners:person_create"),
        {
            "username": "new.planner",
            "first_name": "Nia",
            "last_name": "Planner",
            "email": "nia@example.org",
            "role": "staff",
            "organisation": organisation.pk,
            "password": "a-long-unusual-passphrase-7",
            "password_confirm": "a-long-unusual-passphrase-7",
        },
    )
    assert response.status_code == 302
    person = User.objects.get(username="new.planner")
    assert person.staff_membership.organisation == organisation


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"organisation": ""}, "organisation"),
        ({"password_confirm": "different"}, "password_confirm"),
        ({"password": "password", "password_confirm": "password"}, "password"),
        ({"username": "bad name!"}, "username"),
    ],
)
def test_person_form_errors(admin_client_, organisation, changes, field):
    data = {
        "username": "new.planner",
        "role": "staff",
        "organisation": organisation.pk,
        "password": "a-long-unusual-passphrase-7",
        "password_confirm": "a-long-unusual-passphrase-7",
        **changes,
    }
    response = admin_client_.post(reverse("partners:person_create"), data)
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert not User.objects.filter(username__in=["new.planner", "bad name!"]).exists()


def test_administrator_changes_a_role(admin_client_, staff, other_organisation):
    response = admin_client_.post(
        reverse("partners:person_edit", args=[staff.pk]),
        {"role": "commissioner", "organisation": other_organisation.pk, "is_active": "on"},
    )
    assert response.status_code == 302
    staff.refresh_from_db()
    assert staff.role == "commissioner"
    assert staff.staff_membership.organisation == other_organisation
