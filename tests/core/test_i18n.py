"""English and French: the catalogues are complete and up to date with the code, every page,
form error and e-mail reads in French with no English interface word left, and the reader's
language comes from their stored choice, the switcher, or Accept-Language (the API: only the
request's Accept-Language)."""

import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import polib
import pytest
from django.apps import apps
from django.conf import settings
from django.db import models
from django.test import Client
from django.utils import translation

from tests.trust.pages import admin_urls, page_urls
from tests.trust.world import build_world

ROOT = Path(settings.BASE_DIR)
# The catalogues of every language but the source one (docs/translations.md).
CATALOGUES = sorted(ROOT.glob("*/locale/*/LC_MESSAGES/django.po"))
TRANSLATED = [code for code, _name in settings.LANGUAGES if code != settings.LANGUAGE_CODE]


def entry_key(entry) -> tuple[str, str, str]:
    return (entry.msgctxt or "", entry.msgid, entry.msgid_plural or "")


# The catalogues -------------------------------------------------------------------------------


def test_every_app_and_language_has_a_catalogue():
    found = {(path.parts[-5], path.parts[-3]) for path in (p.relative_to(ROOT) for p in CATALOGUES)}
    for language in TRANSLATED:
        for app in ("core", "partners", "agreements", "commissioner"):
            assert (app, language) in found, f"{app}/locale/{language} is missing"


@pytest.mark.parametrize("path", CATALOGUES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_catalogue_entry_is_untranslated_or_fuzzy(path):
    catalogue = polib.pofile(str(path))
    assert not catalogue.metadata_is_fuzzy
    untranslated = [entry.msgid for entry in catalogue.untranslated_entries()]
    fuzzy = [entry.msgid for entry in catalogue.fuzzy_entries()]
    obsolete = [entry.msgid for entry in catalogue.obsolete_entries()]
    assert not untranslated, f"untranslated in {path}: {untranslated}"
    assert not fuzzy, f"fuzzy in {path}: {fuzzy}"
    assert not obsolete, f"obsolete in {path}: {obsolete}"


@pytest.mark.parametrize("path", CATALOGUES, ids=lambda p: str(p.relative_to(ROOT)))
def test_placeholders_and_french_typography(path):
    """msgfmt --check (each translation keeps the placeholders of its msgid), and French spacing:
    no plain space before : ; ? ! or inside « »."""
    msgfmt = shutil.which("msgfmt")
    if msgfmt:
        result = subprocess.run(
            [msgfmt, "--check", "-o", "/dev/null", str(path)], capture_output=True, text=True
        )
        assert result.returncode == 0, result.stderr
    if path.parts[-3] != "fr":
        return
    bad = []
    for entry in polib.pofile(str(path)):
        for text in [entry.msgstr, *entry.msgstr_plural.values()]:
            if re.search(r" [:;?!»]|« ", text):
                bad.append(text)
    assert not bad, "plain spaces where French takes a non-breaking one:\n" + "\n".join(bad)


def test_catalogues_are_up_to_date_with_the_code(tmp_path):
    """makemessages, run on a copy of the code, finds no string the committed catalogues lack."""
    copy = tmp_path / "code"
    ignore = shutil.ignore_patterns(
        ".venv", "node_modules", "var", ".git", "__pycache__", "*.mo", "static", ".*cache"
    )
    shutil.copytree(ROOT, copy, ignore=ignore, symlinks=True)
    for language in TRANSLATED:
        result = subprocess.run(
            [sys.executable, "manage.py", "makemessages", "-l", language],
            cwd=copy,
            capture_output=True,
            text=True,
            env={
                "PATH": "/usr/bin:/bin",
                "DJANGO_SETTINGS_MODULE": "collabhub.settings.test",
                "PYTHONPATH": str(copy),
            },
        )
        assert result.returncode == 0, result.stderr
    missing = []
    for fresh in sorted(copy.glob("*/locale/*/LC_MESSAGES/django.po")):
        committed = ROOT / fresh.relative_to(copy)
        known = (
            {entry_key(e) for e in polib.pofile(str(committed))} if committed.exists() else set()
        )
        for entry in polib.pofile(str(fresh)):
            if entry_key(entry) not in known:
                missing.append(f"{fresh.relative_to(copy)}: {entry.msgid!r}")
    assert not missing, "strings not in the committed catalogues (make messages):\n" + "\n".join(
        missing
    )


# No English left in French ---------------------------------------------------------------------


def english_only_words() -> set[str]:
    """Words of the English interface (its msgids) that French never uses (no msgstr has them)."""
    english, french = set(), set()
    word = re.compile(r"[A-Za-z][A-Za-z'\u2019-]{2,}")
    placeholder = re.compile(r"%\([a-z_]+\)[sd]|\{\{?[^}]*\}\}?|<[^>]+>|`[^`]*`")
    for path in CATALOGUES:
        for entry in polib.pofile(str(path)):
            source = placeholder.sub(" ", f"{entry.msgid} {entry.msgid_plural}")
            english.update(w.lower() for w in word.findall(source))
            target = " ".join([entry.msgstr, *entry.msgstr_plural.values()])
            french.update(w.lower() for w in word.findall(placeholder.sub(" ", target)))
    return english - french - {"http", "https", "www", "example", "org", "csv"}


class VisibleText(HTMLParser):
    """The text a reader meets: text nodes and the attributes read aloud or shown."""

    SKIPPED = {"script", "style", "code", "pre"}
    READ = {"aria-label", "title", "placeholder", "alt", "aria-description"}

    def __init__(self):
        super().__init__()
        self.parts: list[str] = []
        self.skipping = 0
        self.skipped_tags: list[str] = []

    def handle_starttag(self, tag, attrs):
        # Text marked as another language (the switcher's "English", lang="en") is not an
        # untranslated string: screen readers read it in its own language (WCAG 3.1.2).
        if tag in self.SKIPPED or dict(attrs).get("lang", "fr") != "fr":
            self.skipping += 1
            self.skipped_tags.append(tag)
            return
        # An <input type="submit">'s value is its label; a <button>'s value is never shown.
        shown_value = tag == "input" and dict(attrs).get("type") == "submit"
        for name, value in attrs:
            if value and (name in self.READ or (name == "value" and shown_value)):
                self.parts.append(value)

    def handle_endtag(self, tag):
        if self.skipped_tags and tag == self.skipped_tags[-1]:
            self.skipped_tags.pop()
            self.skipping -= 1

    def handle_data(self, data):
        if not self.skipping:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = VisibleText()
    parser.feed(html)
    return "\n".join(parser.parts)


def data_strings() -> list[str]:
    """Every text value stored in the database (names, titles, notes, and for now the flags'
    reasons, stored as sentences until the scan stores codes): data is the partners' own words,
    in whatever language they wrote them; only the interface must be French."""
    values = set()

    def collect(value):
        if isinstance(value, str):
            values.add(value)
        elif isinstance(value, list | tuple):
            for item in value:
                collect(item)
        elif isinstance(value, dict):
            collect(list(value.values()))

    for model in apps.get_models():
        fields = [
            f.attname
            for f in model._meta.concrete_fields
            if isinstance(f, models.CharField | models.TextField | models.JSONField)
        ]
        if fields:
            for row in model._default_manager.values_list(*fields):
                collect(row)
    return sorted((v for v in values if len(v) >= 3), key=len, reverse=True)


def without_data(text: str, data: list[str]) -> str:
    """`text` with the stored values (the partners' own words) blanked out."""
    for value in data:
        text = re.sub(rf"(?<!\w){re.escape(value)}(?!\w)", " ", text)
    return text


def english_in(text: str, data: list[str], words: set[str]) -> list[str]:
    text = without_data(text, data)
    found = []
    for line in text.splitlines():
        hits = [w for w in re.findall(r"[A-Za-z][A-Za-z'\u2019-]{2,}", line) if w.lower() in words]
        if hits:
            found.append(f"{', '.join(sorted(set(hits)))}  <- {line.strip()[:120]!r}")
    return found


def colons_unspaced(text: str, data: list[str]) -> list[str]:
    """French typography: a colon after a word is preceded by a (non-breaking) space — "Échéance
    : 2031-01-15", not "Échéance: 2031-01-15" (data, the partners' own words, set aside; a time
    such as 10:30 or an address's "https:" has no space after its colon)."""
    return [
        f"colon with no space before it <- {line.strip()[:120]!r}"
        for line in without_data(text, data).splitlines()
        if re.search(r"\S:(?=\s|$)", line)
    ]


def french_failures(client, urls, words, data) -> tuple[int, list[str]]:
    """(pages read, English found) for `urls` and, for each page with a form, the page the form
    answers when submitted empty (its errors)."""
    failures, read, forms = [], 0, []
    for url in urls:
        html = html_of(client.get(url))
        if html is None:
            continue
        read += 1
        if '<html lang="fr"' not in html:
            failures.append(f"{url}: not lang=fr")
        text = visible_text(html)
        failures += [f"{url}: {hit}" for hit in english_in(text, data, words)]
        if not url.startswith("/admin/"):  # the admin's words are Django's (and the models')
            failures += [f"{url}: {hit}" for hit in colons_unspaced(text, data)]
        if not url.startswith("/admin/") and re.search(
            r'<form[^>]+method="post"(?![^>]*action)', html
        ):
            forms.append(url)
    for url in forms:
        html = html_of(client.post(url, {}))
        if html is None:
            continue
        read += 1
        text = visible_text(html)
        failures += [f"POST {url}: {hit}" for hit in english_in(text, data, words)]
        if not url.startswith("/admin/"):
            failures += [f"POST {url}: {hit}" for hit in colons_unspaced(text, data)]
    return read, failures


@pytest.fixture
def french_administrator(db):
    world = build_world()
    world.administrator.preferred_language = "fr"
    world.administrator.save(update_fields=["preferred_language"])
    client = Client()
    client.force_login(world.administrator)
    return world, client


# Routes whose answer is not a page, and why they are not read here.
NOT_PAGES = ("/export", "/document/", "/evidence-file/", "/contact-options/", "/scan-now/")


def html_of(response) -> str | None:
    if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
        return None
    return response.content.decode()


@pytest.mark.django_db
def test_every_page_and_form_error_reads_in_french(french_administrator):
    """Every page of the URL resolver, and each of its forms submitted empty (its error page), as
    a French-reading administrator: lang="fr", and no English interface word once the stored
    data (the partners' own words) is set aside."""
    world, client = french_administrator
    urls = [u for u in page_urls(world.b) if not any(part in u for part in NOT_PAGES)]
    # The API's documentation follows the request, as the API does; the menu's link names the
    # reader's language.
    urls = [f"{u}?lang=fr" if u == "/api/docs/" else u for u in urls]
    read, failures = french_failures(client, urls, english_only_words(), data_strings())
    assert read >= 50, f"only {read} pages were read"
    assert not failures, "English on French pages:\n" + "\n".join(failures)


@pytest.mark.django_db
def test_the_admin_reads_in_french(french_administrator):
    """The Django admin's own pages (Django translates its interface; the models' and fields'
    names and the admin's labels are ours)."""
    world, client = french_administrator
    world.administrator.is_superuser = True
    world.administrator.is_staff = True
    world.administrator.save(update_fields=["is_superuser", "is_staff"])
    # Third-party apps' admin pages speak their own catalogues (django-axes and
    # django-celery-beat translate only part of theirs), and a group's page lists every app's
    # permissions, theirs included.
    theirs = ("/admin/axes/", "/admin/django_celery", "/admin/auth/group/")
    ours = [u for u in admin_urls() if not u.startswith(theirs)]
    read, failures = french_failures(client, ours, english_only_words(), data_strings())
    assert read >= 40, f"only {read} admin pages were read"
    assert not failures, "English on French admin pages:\n" + "\n".join(failures)


# Choosing the language -------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_anonymous_visitor_gets_the_language_of_their_browser():
    client = Client()
    page = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="fr-CA,fr;q=0.9,en;q=0.5")
    html = page.content.decode()
    assert '<html lang="fr"' in html
    assert "Ouvrir une session" in html
    assert page["Content-Language"] == "fr"
    english = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="en-CA")
    assert '<html lang="en"' in english.content.decode()


@pytest.mark.django_db
def test_the_switcher_works_before_login_and_is_stored_on_the_user_after(django_user_model):
    client = Client()
    login = client.get("/accounts/login/").content.decode()
    # The other language, named in itself.
    assert re.search(r'name="language" value="fr" lang="fr"[^>]*>Français<', login)
    french = Client().get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert re.search(r'name="language" value="en" lang="en"[^>]*>English<', french)
    response = client.post("/language/", {"language": "fr", "next": "/accounts/login/"})
    assert response.status_code == 302 and response["Location"] == "/accounts/login/"
    assert "Ouvrir une session" in client.get("/accounts/login/").content.decode()

    user = django_user_model.objects.create_user("lea", password="x-pass-1234", role="staff")
    client = Client()
    client.force_login(user)
    client.post("/language/", {"language": "fr", "next": "/"})
    user.refresh_from_db()
    assert user.preferred_language == "fr"
    # The choice follows the person to another browser that asks for English.
    elsewhere = Client()
    elsewhere.force_login(user)
    page = elsewhere.get("/", HTTP_ACCEPT_LANGUAGE="en")
    assert '<html lang="fr"' in page.content.decode()
    elsewhere.post("/language/", {"language": "en", "next": "/"})
    user.refresh_from_db()
    assert user.preferred_language == "en"


@pytest.mark.django_db
def test_an_unknown_language_changes_nothing(django_user_model):
    user = django_user_model.objects.create_user("tom", password="x-pass-1234", role="staff")
    client = Client()
    client.force_login(user)
    response = client.post("/language/", {"language": "xx", "next": "/"})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.preferred_language == ""


@pytest.mark.django_db
def test_the_api_answers_in_the_requests_accept_language(django_user_model):
    user = django_user_model.objects.create_user("api", password="x-pass-1234", role="staff")
    user.preferred_language = "fr"
    user.save()
    client = Client()
    client.force_login(user)
    # A French cookie and a French user: the API still follows the request's own header.
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
    english = client.get("/api/v1/organisations/?page_size=x", HTTP_ACCEPT_LANGUAGE="en")
    french = client.get("/api/v1/organisations/?page_size=x", HTTP_ACCEPT_LANGUAGE="fr-CA")
    assert english.status_code == french.status_code == 400
    assert "Give a whole number" in english.content.decode()
    assert "Indiquez un nombre entier" in french.json()["page_size"][0]
    assert french["Content-Language"] == "fr"
    anonymous = Client().get("/api/v1/organisations/", HTTP_ACCEPT_LANGUAGE="fr")
    assert anonymous.status_code == 401
    assert "authentification" in anonymous.json()["detail"]  # DRF's own French catalogue


@pytest.mark.django_db
def test_the_openapi_schema_is_described_in_french():
    schema = Client().get("/api/schema/?format=json", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "Introuvable, ou hors de la portée de l'appelant." in schema
    assert "Not found, or outside the caller's scope." not in schema


# Formats ------------------------------------------------------------------------------------------


def test_money_and_numbers_in_the_readers_locale():
    from core.templatetags.money import format_money

    with translation.override("fr"):
        assert format_money("1234.5") == "1\xa0234,50\xa0$"
    with translation.override("en"):
        assert format_money("1234.5") == "$1,234.50"
        assert format_money("-3") == "-$3.00"


# E-mails in the recipient's language ----------------------------------------------------------


def sent_now(send) -> None:
    from django.test import TestCase

    with TestCase.captureOnCommitCallbacks(execute=True):
        send()


def assert_french(message) -> None:
    words, data = english_only_words(), data_strings()
    text = f"{message.subject}\n{message.body}"
    found = english_in(re.sub(r"https?://\S+", " ", text), data, words)
    assert not found, "English in a French e-mail:\n" + "\n".join(found) + "\n\n" + text


@pytest.mark.django_db
def test_each_email_is_written_in_its_recipients_language():
    """Reminders and survey invitations in the contact's language, digests in the
    commissioner's; two contacts of two languages each get their own."""
    import datetime as dt

    from django.core import mail
    from django.utils import timezone

    from agreements.models import Agreement
    from commissioner.services import (
        agreement_renewal_reminders_send,
        flag_digests_send,
        obligation_reminders_send,
    )
    from commissioner.survey.services import survey_round_open
    from tests import factories

    today = timezone.localdate()
    commissioner = factories.CommissionerFactory(preferred_language="fr")
    lead = factories.OrganisationFactory()
    collaboration = factories.CollaborationFactory(
        commissioner=commissioner, lead_organisation=lead
    )
    francophone = factories.OrganisationFactory()
    anglophone = factories.OrganisationFactory()
    factories.ContactFactory(
        organisation=lead, email="dg@lead.example", is_primary=True, preferred_language="fr"
    )
    factories.ContactFactory(
        organisation=francophone, email="dg@fr.example", is_primary=True, preferred_language="fr"
    )
    factories.ContactFactory(organisation=anglophone, email="cao@en.example", is_primary=True)
    for organisation in (lead, francophone, anglophone):
        factories.ParticipationFactory(collaboration=collaboration, organisation=organisation)
        factories.ObligationFactory(
            collaboration=collaboration,
            organisation=organisation,
            due_date=today + dt.timedelta(days=3),
        )
    factories.AgreementFactory(
        collaboration=collaboration,
        status=Agreement.Status.IN_FORCE,
        effective_date=today - dt.timedelta(days=700),
        expiry_date=today + dt.timedelta(days=30),
        renewal_notice_days=90,
    )
    factories.FlagFactory(participation=collaboration.participations.get(organisation=anglophone))

    sent_now(obligation_reminders_send)
    by_recipient = {message.to[0]: message for message in mail.outbox}
    assert "Bonjour" in by_recipient["dg@fr.example"].body
    assert_french(by_recipient["dg@fr.example"])
    assert "Hello" in by_recipient["cao@en.example"].body

    mail.outbox.clear()
    sent_now(agreement_renewal_reminders_send)
    (renewal,) = mail.outbox
    assert renewal.to == ["dg@lead.example"]
    assert_french(renewal)

    mail.outbox.clear()
    sent_now(flag_digests_send)
    (digest,) = mail.outbox
    assert "Bonjour" in digest.body
    assert_french(digest)

    mail.outbox.clear()
    sent_now(
        lambda: survey_round_open(
            actor=commissioner, collaboration=collaboration, closes_on=today + dt.timedelta(days=20)
        )
    )
    invitations = {message.to[0]: message for message in mail.outbox}
    assert_french(invitations["dg@fr.example"])
    assert "partnership survey" in invitations["cao@en.example"].subject
