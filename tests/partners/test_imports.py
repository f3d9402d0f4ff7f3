"""CSV import of organisations and contacts: bad files get a clear answer and leave nothing
behind; each row's errors come with their line and column; a clean file is imported whole, with
its audit history, or not at all; large files are checked and imported in the background with
progress; the pages are for administrators only."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from core.errors import DomainError
from partners import imports
from partners.models import ImportRun, Organisation
from tests import factories
from tests.querycount import query_budget

pytestmark = pytest.mark.django_db

ORGS = "organisations"
CONTACTS = "contacts"


def upload(text: str | bytes, name="file.csv") -> SimpleUploadedFile:
    data = text.encode() if isinstance(text, str) else text
    return SimpleUploadedFile(name, data, content_type="text/csv")


@pytest.fixture
def admin(db):
    return factories.AdministratorFactory(username="ada", first_name="Ada", last_name="Admin")


def create(admin, text, kind=ORGS) -> ImportRun:
    return imports.import_run_create(actor=admin, kind=kind, upload=upload(text))


def refused(admin, text, kind=ORGS) -> str:
    with pytest.raises(DomainError) as caught:
        create(admin, text, kind)
    assert caught.value.field == "file"
    assert not ImportRun.objects.exists()
    return caught.value.message


GOOD = (
    "name,kind,short_name,jurisdiction,website\n"
    "City of Northgate,municipality,Northgate,Ontario,northgate.example.ca\n"
    "Bay Food Bank,Non-profit or charity,,Ontario,\n"
)


# Organisations ----------------------------------------------------------------------------------


def test_a_clean_file_is_previewed_then_imported_whole_with_its_history(admin):
    run = create(admin, GOOD)
    assert run.status == ImportRun.Status.READY and run.row_count == 2 and run.errors == []
    assert not Organisation.objects.exists()  # nothing before the confirmation
    run = imports.import_run_confirm(actor=admin, run=run)
    assert run.status == ImportRun.Status.DONE and run.imported_count == 2
    northgate = Organisation.objects.get(name="City of Northgate")
    assert northgate.slug == "northgate" and northgate.website == "https://northgate.example.ca"
    assert Organisation.objects.get(name="Bay Food Bank").kind == Organisation.Kind.NON_PROFIT
    record = northgate.history.get()
    assert record.history_user == admin
    assert record.history_change_reason == f"CSV import #{run.pk}"


def test_each_rows_errors_come_with_line_and_column(admin):
    factories.OrganisationFactory(name="City of Riverton", slug="riverton")
    text = (
        "Name,Kind,Slug,Website\n"  # headings in any case
        "City of Riverton,municipality,,\n"  # 2: exists already
        "=HYPERLINK(1),municipality,,\n"  # 3: a formula
        "Town A,village,,\n"  # 4: no such kind
        '"Town\nB",municipality,riverton,\n'  # 5-6: slug taken (a quoted cell spans two lines)
        "Town C,municipality,town-c,not a url\n"  # 7: bad website
        "town a,municipality,town-c,\n"  # 8: repeats line 4's name, line 7's slug
        "Town D,municipality\n"  # 9: too few cells
        ",municipality,,\n"  # 10: no name
        "Town E,@municipality,,\n"  # 11: formula in kind
    )
    run = create(admin, text)
    assert run.status == ImportRun.Status.INVALID
    found = {(e["line"], e["field"]) for e in run.errors}
    assert found >= {
        (2, "name"),
        (3, "name"),
        (4, "kind"),
        (5, "slug"),
        (7, "website"),
        (8, "name"),
        (8, "slug"),
        (9, ""),
        (10, "name"),
        (11, "kind"),
    }, run.errors
    by_line = {(e["line"], e["field"]): e["message"] for e in run.errors}
    assert "also on line 4" in by_line[(8, "name")]
    assert "formula" in by_line[(3, "name")]
    assert "already exists" in by_line[(2, "name")]
    with pytest.raises(DomainError):
        imports.import_run_confirm(actor=admin, run=run)
    assert Organisation.objects.count() == 1


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ("name,kind\nCafé Nord,municipality\n".encode("latin-1"), "not UTF-8 text: line 2"),
        ("name,kind\n".encode("utf-16"), "UTF-16"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00", "not a CSV text file"),
        ("", "empty"),
        ("name,kind\n", "no rows"),
        ("title,kind,colour\nx,municipality,red\n", "missing columns: name"),
        ("name,kind,name\nx,municipality,y\n", "repeated columns: name"),
        ("title,kind,colour\nx,municipality,red\n", "unknown columns: title, colour"),
    ],
)
def test_a_bad_file_gets_a_clear_answer_and_leaves_nothing(admin, data, expected):
    assert expected in refused(admin, data)


def test_a_utf8_file_with_a_byte_order_mark_is_read(admin):
    run = create(admin, "\ufeffname,kind\nCafé Nord,municipality\n".encode())
    assert run.status == ImportRun.Status.READY
    assert run.rows == [[2, {"name": "Café Nord", "kind": "municipality"}]]


def test_size_and_row_count_are_bounded(admin, settings):
    hundred_thousand = "name,kind\n" + "".join(f"T{n},municipality\n" for n in range(100_000))
    message = refused(admin, hundred_thousand)
    assert "more than" in message and "at most" in message
    settings.IMPORT_MAX_ROWS = 3
    assert "more than 3 rows" in refused(admin, "name,kind\n" + "a,municipality\n" * 4)
    settings.IMPORT_MAX_BYTES = 100
    message = refused(admin, "name,kind\n" + "abc,municipality\n" * 10)
    assert message.startswith("The file is 180 bytes; at most 100 bytes is accepted.")


def test_an_organisation_registered_after_the_preview_fails_the_import_with_nothing_written(
    admin,
):
    run = create(admin, GOOD)
    factories.OrganisationFactory(name="BAY FOOD BANK")
    run = imports.import_run_confirm(actor=admin, run=run)
    assert run.status == ImportRun.Status.FAILED
    assert "Nothing was imported" in run.message and "line 3" in run.message.lower()
    assert not Organisation.objects.filter(name="City of Northgate").exists()


def test_a_run_is_imported_once(admin):
    run = create(admin, GOOD)
    imports.import_run_confirm(actor=admin, run=run)
    with pytest.raises(DomainError) as caught:
        imports.import_run_confirm(actor=admin, run=run)
    assert caught.value.code == "conflict"
    assert Organisation.objects.count() == 2
    assert imports.import_run_apply(run_id=run.pk, actor_id=admin.pk).imported_count == 2


def test_large_files_are_checked_and_imported_by_tasks_with_progress(admin, settings):
    settings.IMPORT_BACKGROUND_ROWS = 2
    text = "name,kind\n" + "".join(f"Town {n},municipality\n" for n in range(1200))
    run = create(admin, text)
    # Tasks run inline in tests: enqueued on commit, so the run is still being checked here.
    assert run.status == ImportRun.Status.VALIDATING
    assert imports.progress_of(run) == (0, 1200)
    imports.import_run_validate(run_id=run.pk)  # what import_validate_task does
    run.refresh_from_db()
    assert run.status == ImportRun.Status.READY
    assert imports.progress_of(run) == (1200, 1200)
    run = imports.import_run_confirm(actor=admin, run=run)
    assert run.status == ImportRun.Status.IMPORTING
    from partners.tasks import import_apply_task

    assert import_apply_task(run.pk, admin.pk) == ImportRun.Status.DONE
    assert Organisation.objects.filter(name__startswith="Town ").count() == 1200


def test_only_administrators_import(db):
    staff = factories.staff_user()
    with pytest.raises(Exception) as caught:
        imports.import_run_create(actor=staff, kind=ORGS, upload=upload(GOOD))
    assert caught.type.__name__ == "PermissionDenied"


# Contacts ---------------------------------------------------------------------------------------


def test_contacts_are_imported_with_their_organisation_by_slug_or_name(admin):
    riverton = factories.OrganisationFactory(name="City of Riverton", slug="riverton")
    lakeside = factories.OrganisationFactory(name="Town of Lakeside", slug="lakeside")
    text = (
        "organisation,name,title,email,phone,is_primary\n"
        "riverton,Amara Okafor,CAO,amara@riverton.ca,+1 613 555 0100,yes\n"
        "Town of Lakeside,Lee Park,Clerk,lee@lakeside.ca,(613) 555-0101,no\n"
        "TOWN OF LAKESIDE,Sam Roy,,,,\n"
    )
    run = create(admin, text, CONTACTS)
    assert run.status == ImportRun.Status.READY, run.errors
    run = imports.import_run_confirm(actor=admin, run=run)
    assert run.imported_count == 3
    amara = riverton.contacts.get()
    assert amara.is_primary and amara.phone == "+1 613 555 0100"
    assert amara.history.get().history_user == admin
    assert lakeside.contacts.count() == 2


def test_contact_rows_errors(admin):
    riverton = factories.OrganisationFactory(name="City of Riverton", slug="riverton")
    factories.ContactFactory(
        organisation=riverton, name="Amara Okafor", email="amara@riverton.ca", is_primary=True
    )
    text = (
        "organisation,name,email,phone,is_primary,title\n"
        "nowhere,A,,,,\n"  # 2: unknown organisation
        "riverton,amara okafor,AMARA@riverton.ca,,,\n"  # 3: already a contact
        "riverton,B,not-an-email,,,\n"  # 4: bad e-mail
        "riverton,C,,,yes,\n"  # 5: Riverton has a primary already
        "riverton,D,,,perhaps,\n"  # 6: not yes or no
        "riverton,E,,-1,,\n"  # 7: "-1" is not a phone number: a formula
        "riverton,F,,,,+SUM(A1)\n"  # 8: formula in title
        "riverton,F,,,,\n"  # 9: repeats line 8
    )
    run = create(admin, text, CONTACTS)
    found = {(e["line"], e["field"]) for e in run.errors}
    assert found == {
        (2, "organisation"),
        (3, "name"),
        (4, "email"),
        (5, "is_primary"),
        (6, "is_primary"),
        (7, "phone"),
        (8, "title"),
        (9, "name"),
    }, run.errors


def test_two_primary_contacts_of_one_organisation_in_a_file(admin):
    factories.OrganisationFactory(name="City of Riverton", slug="riverton")
    run = create(admin, "organisation,name,is_primary\nriverton,A,yes\nriverton,B,yes\n", CONTACTS)
    assert [(e["line"], e["field"]) for e in run.errors] == [(3, "is_primary")]


# Pages ------------------------------------------------------------------------------------------


def test_the_import_pages_from_upload_to_done(client, admin):
    client.force_login(admin)
    assert "Import from CSV" in client.get("/organisations/").content.decode()
    page = client.get("/organisations/import/")
    assert page.status_code == 200
    response = client.post(
        "/organisations/import/", {"kind": ORGS, "file": upload(GOOD, "orgs.csv")}
    )
    run = ImportRun.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/organisations/imports/{run.pk}/"
    preview = client.get(run.get_absolute_url()).content.decode()
    assert "All 2 rows have no error" in preview and "City of Northgate" in preview
    response = client.post(f"/organisations/imports/{run.pk}/confirm/", follow=True)
    assert "2 rows were imported" in response.content.decode()
    again = client.post(f"/organisations/imports/{run.pk}/confirm/", follow=True)
    assert "cannot start: it is imported" in again.content.decode()


def test_a_bad_file_is_a_form_error_and_an_invalid_one_lists_its_errors(client, admin):
    client.force_login(admin)
    response = client.post(
        "/organisations/import/", {"kind": ORGS, "file": upload(b"\xff\xfe\x00")}
    )
    assert response.status_code == 200 and "UTF-16" in response.content.decode()
    response = client.post(
        "/organisations/import/",
        {"kind": ORGS, "file": upload("name,kind\n=1+1,municipality\n")},
        follow=True,
    )
    body = response.content.decode()
    assert "The file has 1 error" in body and '<th scope="row">2</th>' in body
    assert "Import 1 row" not in body
    assert client.post("/organisations/import/", {"kind": ORGS}).status_code == 200


def test_progress_page_without_and_with_htmx(client, admin):
    client.force_login(admin)
    run = ImportRun.objects.create(kind=ORGS, status=ImportRun.Status.IMPORTING, row_count=10)
    imports.progress_set(run.pk, 4, 10)
    body = client.get(run.get_absolute_url()).content.decode()
    assert "4 of 10 rows" in body and 'hx-trigger="every 2s"' in body and "Refresh" in body
    fragment = client.get(run.get_absolute_url(), headers={"HX-Request": "true"})
    assert "<html" not in fragment.content.decode() and "4 of 10" in fragment.content.decode()
    ImportRun.objects.filter(pk=run.pk).update(status=ImportRun.Status.FAILED)
    done = client.get(run.get_absolute_url(), headers={"HX-Request": "true"})
    assert done.status_code == 204 and done["HX-Refresh"] == "true"


def test_the_import_pages_are_for_administrators(client, admin):
    run = create(admin, GOOD)
    client.force_login(factories.staff_user())
    assert client.get("/organisations/import/").status_code == 403
    assert client.get(run.get_absolute_url()).status_code == 403
    assert client.post(f"/organisations/imports/{run.pk}/confirm/").status_code == 403
    assert "Import from CSV" not in client.get("/organisations/").content.decode()
    client.force_login(admin)
    assert client.get("/organisations/imports/999999/").status_code == 404
    assert client.get(f"/organisations/imports/{run.pk}/confirm/").status_code == 405


def test_the_recent_imports_list_has_a_fixed_query_count(client, admin):
    client.force_login(admin)
    create(admin, GOOD)
    with query_budget("partners.import_list"):
        assert client.get("/organisations/import/").status_code == 200
    for n in range(3):
        create(admin, f"name,kind\nTown {n},municipality\n")
    with query_budget("partners.import_list"):
        assert client.get("/organisations/import/").status_code == 200


def test_import_and_imports_are_not_organisation_slugs(admin):
    from partners import services

    for name in ("Import", "Imports"):
        organisation = services.organisation_create(actor=admin, name=name, kind="other")
        assert organisation.slug not in {"import", "imports"}


def test_with_the_broker_down_the_phase_runs_in_process(
    admin, settings, monkeypatch, django_capture_on_commit_callbacks
):
    from partners import tasks

    def refuse(*args):
        raise ConnectionError("broker down")

    monkeypatch.setattr(tasks.import_validate_task, "delay", refuse)
    monkeypatch.setattr(tasks.import_apply_task, "delay", refuse)
    settings.IMPORT_BACKGROUND_ROWS = 1
    with django_capture_on_commit_callbacks(execute=True):
        run = create(admin, GOOD)
    run.refresh_from_db()
    assert run.status == ImportRun.Status.READY
    with django_capture_on_commit_callbacks(execute=True):
        imports.import_run_confirm(actor=admin, run=run)
    run.refresh_from_db()
    assert run.status == ImportRun.Status.DONE and run.imported_count == 2


def test_a_database_clash_reads_as_a_sentence_not_as_sql(admin, monkeypatch):
    run = create(admin, GOOD)
    # The check inside the import misses a clash (it happens between the check and the write):
    # the database's constraint refuses the rows, and the run says so in words.
    monkeypatch.setattr(imports, "_validate_organisations", lambda run, errors: None)
    factories.OrganisationFactory(name="City of Northgate")
    run = imports.import_run_confirm(actor=admin, run=run)
    assert run.status == ImportRun.Status.FAILED
    assert "was added meanwhile" in run.message and "constraint" not in run.message
    assert not Organisation.objects.filter(name="Bay Food Bank").exists()
