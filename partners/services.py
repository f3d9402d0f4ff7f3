"""Every write of the partners app: organisations, contacts, staff and API tokens.

Each service checks who may act (docs/permissions.md), validates, then writes inside a
transaction. A refused business rule is a DomainError naming the input at fault; an actor who may
not act at all gets PermissionDenied (a 403 page in the browser, a 403 in the API)."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import URLValidator, validate_email
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from core import fields
from core.actors import is_administrator
from core.errors import DomainError
from core.integrity import integrity_conflict
from core.locking import copy_row, lock
from core.slugs import checked_slug, unique_slug
from core.versioning import check_version
from partners.access import may_create_organisation, may_manage_organisation, may_manage_people

from .models import LANGUAGE_CHOICES, ApiToken, Contact, Organisation, StaffMembership, User
from .tokens import token_digest, token_generate, token_prefix

# last_used_at is written at most this often, so a busy token does not write on every request.
LAST_USED_RESOLUTION = timedelta(minutes=1)
# Paths under /organisations/ that are pages, not organisations: no slug may take them.
RESERVED_SLUGS = frozenset({"new", "people", "export", "import", "imports", "pick"})
MAX_TOKEN_DAYS = 3650
# Fresh prefixes tried before giving up; five collisions in a row would mean a broken generator.
TOKEN_CREATE_ATTEMPTS = 5
_UNSET = object()


def _as_history_user(instance, actor) -> None:
    """Outside a request (commands, tests), the audit history still records who acted."""
    if isinstance(actor, User):
        instance._history_user = actor


# Organisations -------------------------------------------------------------------------------


def _require_manager(actor, organisation: Organisation) -> None:
    if not may_manage_organisation(actor, organisation):
        raise PermissionDenied(
            _("Only administrators and staff of %(organisation)s may change it.")
            % {"organisation": organisation}
        )


def _check_parent(organisation: Organisation | None, parent: Organisation | None) -> None:
    """A parent may not be the organisation itself nor one of the organisations inside it."""
    if parent is None or organisation is None or organisation.pk is None:
        return
    if parent.pk == organisation.pk:
        raise DomainError(_("An organisation cannot be its own parent."), field="parent")
    seen = {parent.pk}
    ancestor_id = parent.parent_id
    while ancestor_id is not None and ancestor_id not in seen:
        if ancestor_id == organisation.pk:
            raise DomainError(
                _(
                    "%(parent)s is itself inside %(organisation)s: choosing it as the parent "
                    "would make a cycle."
                )
                % {"parent": parent.name, "organisation": organisation.name},
                field="parent",
            )
        seen.add(ancestor_id)
        ancestor_id = (
            Organisation.objects.filter(pk=ancestor_id).values_list("parent_id", flat=True).first()
        )


def _clean_organisation(organisation: Organisation | None, values: dict) -> dict:
    """Validated values for an organisation; `organisation` is None when creating one."""
    exclude_pk = organisation.pk if organisation is not None else None
    name = fields.text(Organisation, "name", values.get("name"), required=False)
    if not name:
        raise DomainError(_("Enter the organisation's name."), field="name")
    if Organisation.objects.filter(name__iexact=name).exclude(pk=exclude_pk).exists():  # type: ignore[misc]  # None excludes nothing
        raise DomainError(
            _("An organisation named “%(name)s” already exists.") % {"name": name}, field="name"
        )
    short_name = fields.text(Organisation, "short_name", values.get("short_name"))
    kind = values.get("kind") or ""
    if kind not in Organisation.Kind.values:
        raise DomainError(_("Choose what kind of organisation this is."), field="kind")
    jurisdiction = fields.text(Organisation, "jurisdiction", values.get("jurisdiction"))

    slug = (values.get("slug") or "").strip()
    if not slug:
        if organisation is not None and organisation.slug:
            slug = organisation.slug
        else:
            slug = unique_slug(
                Organisation.objects.all(),
                short_name or name,
                exclude_pk=exclude_pk,
                reserved=RESERVED_SLUGS,
                fallback="organisation",
            )
    else:
        checked_slug(
            Organisation.objects.all(),
            slug,
            exclude_pk=exclude_pk,
            reserved=RESERVED_SLUGS,
            taken_message=_("Another organisation already uses the slug “%(slug)s”."),
        )

    website = (values.get("website") or "").strip()
    if website:
        try:
            URLValidator(schemes=["http", "https"])(website)
        except ValidationError as exc:
            raise DomainError(
                _("Enter a full web address, such as https://www.example.org."), field="website"
            ) from exc
        if len(website) > 200:
            raise DomainError(_("A web address has at most 200 characters."), field="website")

    parent = values.get("parent")
    _check_parent(organisation, parent)
    return {
        "name": name,
        "short_name": short_name,
        "slug": slug,
        "kind": kind,
        "jurisdiction": jurisdiction,
        "parent": parent,
        "website": website,
        "is_active": bool(values.get("is_active", True)),
    }


def _save_organisation(organisation: Organisation) -> None:
    try:
        with transaction.atomic():
            organisation.save()
    except IntegrityError as exc:
        # Another request took the name or slug between our check and this write.
        raise DomainError(
            _("An organisation with this name or slug already exists."), field="name"
        ) from exc


@transaction.atomic
def organisation_create(
    *,
    actor,
    name: str,
    kind: str,
    short_name: str = "",
    slug: str = "",
    jurisdiction: str = "",
    parent: Organisation | None = None,
    website: str = "",
    is_active: bool = True,
) -> Organisation:
    if not may_create_organisation(actor):
        raise PermissionDenied(_("Only administrators and staff may register organisations."))
    values = _clean_organisation(
        None,
        {
            "name": name,
            "kind": kind,
            "short_name": short_name,
            "slug": slug,
            "jurisdiction": jurisdiction,
            "parent": parent,
            "website": website,
            "is_active": is_active,
        },
    )
    organisation = Organisation(**values)
    _as_history_user(organisation, actor)
    _save_organisation(organisation)
    return organisation


ORGANISATION_FIELDS = (
    "name",
    "short_name",
    "slug",
    "kind",
    "jurisdiction",
    "parent",
    "website",
    "is_active",
)


@transaction.atomic
def organisation_update(
    *, actor, organisation: Organisation, expected_version: str | None = None, **changes
) -> Organisation:
    """Change any of ORGANISATION_FIELDS; fields not given keep their value. Locked and
    re-read; `expected_version` (the API's If-Match) refuses a change made against an older
    version of the organisation."""
    unknown = set(changes) - set(ORGANISATION_FIELDS)
    if unknown:
        raise TypeError(f"organisation_update() got unexpected fields {sorted(unknown)}")
    _require_manager(actor, organisation)
    caller_copy, organisation = organisation, lock(Organisation, organisation.pk)
    check_version(organisation, expected_version)
    current = {name: getattr(organisation, name) for name in ORGANISATION_FIELDS}
    values = _clean_organisation(organisation, {**current, **changes})
    for name, value in values.items():
        setattr(organisation, name, value)
    _as_history_user(organisation, actor)
    _save_organisation(organisation)
    return copy_row(caller_copy, organisation)


@transaction.atomic
def organisation_deactivate(*, actor, organisation: Organisation) -> Organisation:
    """Keep the organisation for the record but mark it inactive: it leaves pickers, and its API
    tokens stop working (api_token_authenticate refuses tokens of inactive organisations)."""
    _require_manager(actor, organisation)
    if organisation.is_active:
        organisation.is_active = False
        _as_history_user(organisation, actor)
        organisation.save(update_fields=["is_active", "updated_at"])
    return organisation


@transaction.atomic
def organisation_remove(*, actor, organisation: Organisation) -> tuple[bool, dict[str, int]]:
    """Delete an organisation nothing refers to; deactivate one that is referenced.

    Returns (deleted, references): the references are what kept it from being deleted."""
    from .selectors import organisation_references

    _require_manager(actor, organisation)
    references = organisation_references(organisation=organisation)
    if not references:
        try:
            with transaction.atomic():
                _as_history_user(organisation, actor)
                organisation.delete()
            return True, {}
        except ProtectedError:
            # Something began to refer to it since we counted: keep it, deactivated.
            references = organisation_references(organisation=organisation)
    organisation_deactivate(actor=actor, organisation=organisation)
    return False, references


# Contacts ------------------------------------------------------------------------------------

CONTACT_FIELDS = (
    "name",
    "title",
    "email",
    "phone",
    "preferred_language",
    "is_primary",
    "is_active",
)


def _clean_contact(contact: Contact | None, organisation: Organisation, values: dict) -> dict:
    exclude_pk = contact.pk if contact is not None else None
    name = fields.text(Contact, "name", values.get("name"), required=False)
    if not name:
        raise DomainError(_("Enter the contact's name."), field="name")
    title = fields.text(Contact, "title", values.get("title"))
    phone = fields.text(Contact, "phone", values.get("phone"))
    email = (values.get("email") or "").strip()
    if email:
        try:
            validate_email(email)
        except ValidationError as exc:
            raise DomainError(
                _("Enter a valid e-mail address, such as name@example.org."), field="email"
            ) from exc
        if (
            Contact.objects.filter(organisation=organisation, email__iexact=email)
            .exclude(pk=exclude_pk)  # type: ignore[misc]  # None excludes nothing
            .exists()
        ):
            raise DomainError(
                _("Another contact at %(organisation)s already has the e-mail %(email)s.")
                % {"organisation": organisation.name, "email": email},
                field="email",
            )
    preferred_language = values.get("preferred_language") or ""
    if preferred_language not in dict(LANGUAGE_CHOICES) and preferred_language != "":
        raise DomainError(_("Choose English or French."), field="preferred_language")
    is_primary = bool(values.get("is_primary", False))
    is_active = bool(values.get("is_active", True))
    if is_primary and not is_active:
        raise DomainError(
            _("An inactive contact cannot be the primary contact."), field="is_primary"
        )
    return {
        "name": name,
        "title": title,
        "email": email,
        "phone": phone,
        "preferred_language": preferred_language,
        "is_primary": is_primary,
        "is_active": is_active,
    }


def _demote_other_primary(*, actor, organisation: Organisation, keep_pk: int | None) -> None:
    """An organisation has one primary contact: naming a new one demotes the previous one."""
    for other in organisation.contacts.filter(is_primary=True, is_active=True).exclude(pk=keep_pk):  # type: ignore[misc]  # None excludes nothing
        other.is_primary = False
        _as_history_user(other, actor)
        other.save(update_fields=["is_primary", "updated_at"])


@transaction.atomic
def contact_create(
    *,
    actor,
    organisation: Organisation,
    name: str,
    title: str = "",
    email: str = "",
    phone: str = "",
    preferred_language: str = "",
    is_primary: bool = False,
    is_active: bool = True,
) -> Contact:
    _require_manager(actor, organisation)
    # Locked first (core/locking.py): a double-submitted "add contact" waits here, then
    # finds the contact the first one added.
    organisation = lock(Organisation, organisation.pk)
    values = _clean_contact(
        None,
        organisation,
        {
            "name": name,
            "title": title,
            "email": email,
            "phone": phone,
            "preferred_language": preferred_language,
            "is_primary": is_primary,
            "is_active": is_active,
        },
    )
    twin = organisation.contacts.filter(
        name__iexact=values["name"], email__iexact=values["email"], is_active=True
    ).first()
    if twin is not None:
        raise DomainError(
            _("%(name)s is already a contact of %(organisation)s.")
            % {"name": twin.name, "organisation": organisation.name},
            field="name",
            code="conflict",
        )
    if values["is_primary"]:
        _demote_other_primary(actor=actor, organisation=organisation, keep_pk=None)
    contact = Contact(organisation=organisation, **values)
    _as_history_user(contact, actor)
    try:
        with transaction.atomic():
            contact.save()
    except IntegrityError as exc:
        raise integrity_conflict(exc) from exc
    return contact


@transaction.atomic
def contact_update(
    *, actor, contact: Contact, expected_version: str | None = None, **changes
) -> Contact:
    """Change any of CONTACT_FIELDS; fields not given keep their value. Locked (organisation,
    then contact) and re-read; `expected_version` (the form's hidden row_version) refuses a
    change made against an older version."""
    unknown = set(changes) - set(CONTACT_FIELDS)
    if unknown:
        raise TypeError(f"contact_update() got unexpected fields {sorted(unknown)}")
    organisation = contact.organisation
    _require_manager(actor, organisation)
    organisation = lock(Organisation, organisation.pk)
    caller_copy, contact = contact, lock(Contact, contact.pk)
    contact.organisation = organisation
    check_version(contact, expected_version)
    current = {name: getattr(contact, name) for name in CONTACT_FIELDS}
    values = _clean_contact(contact, organisation, {**current, **changes})
    if values["is_primary"]:
        _demote_other_primary(actor=actor, organisation=organisation, keep_pk=contact.pk)
    for name, value in values.items():
        setattr(contact, name, value)
    _as_history_user(contact, actor)
    try:
        with transaction.atomic():
            contact.save()
    except IntegrityError as exc:
        raise integrity_conflict(exc) from exc
    return copy_row(caller_copy, contact)


# People (users, roles and staff memberships) -------------------------------------------------


def _require_people_manager(actor) -> None:
    if not may_manage_people(actor):
        raise PermissionDenied(_("Only administrators manage users and roles."))


def _clean_membership(role: str, organisation: Organisation | None, current_org_id=None) -> None:
    if role not in User.Role.values:
        raise DomainError(_("Choose a role from the list."), field="role")
    if role == User.Role.STAFF and organisation is None:
        raise DomainError(
            _("A staff user works for an organisation: choose one."), field="organisation"
        )
    if (
        organisation is not None
        and not organisation.is_active
        and (organisation.pk != current_org_id)
    ):
        raise DomainError(
            _("%(organisation)s is inactive; choose an active organisation.")
            % {"organisation": organisation.name},
            field="organisation",
        )


def _clean_person_details(user: User | None, first_name: str, last_name: str, email: str):
    first_name = fields.text(User, "first_name", first_name)
    last_name = fields.text(User, "last_name", last_name)
    email = (email or "").strip()
    if email:
        try:
            validate_email(email)
        except ValidationError as exc:
            raise DomainError(
                _("Enter a valid e-mail address, such as name@example.org."), field="email"
            ) from exc
    return first_name, last_name, email


def _set_membership(user: User, organisation: Organisation | None, job_title: str) -> None:
    if organisation is None:
        StaffMembership.objects.filter(user=user).delete()
        return
    StaffMembership.objects.update_or_create(
        user=user, defaults={"organisation": organisation, "job_title": job_title}
    )


def _apply_role(user: User, role: str) -> None:
    user.role = role
    # Administrators use the Django admin; nobody else does.
    user.is_staff = role == User.Role.ADMINISTRATOR
    user.is_superuser = role == User.Role.ADMINISTRATOR


@transaction.atomic
def user_create(
    *,
    actor,
    username: str,
    password: str,
    role: str = User.Role.STAFF,
    organisation: Organisation | None = None,
    first_name: str = "",
    last_name: str = "",
    email: str = "",
    job_title: str = "",
) -> User:
    """A new person who signs in, with their role and (for staff) their organisation."""
    _require_people_manager(actor)
    username = (username or "").strip()
    if not username:
        raise DomainError(_("Enter a username."), field="username")
    try:
        UnicodeUsernameValidator()(username)
    except ValidationError as exc:
        raise DomainError(
            _("A username may contain only letters, numbers and @ . + - _ characters."),
            field="username",
        ) from exc
    if len(username) > 150:
        raise DomainError(_("A username has at most 150 characters."), field="username")
    if User.objects.filter(username__iexact=username).exists():
        raise DomainError(
            _("The username “%(username)s” is taken.") % {"username": username}, field="username"
        )
    first_name, last_name, email = _clean_person_details(None, first_name, last_name, email)
    _clean_membership(role, organisation)
    job_title = fields.text(StaffMembership, "job_title", job_title)
    user = User(username=username, first_name=first_name, last_name=last_name, email=email)
    _apply_role(user, role)
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise DomainError(" ".join(exc.messages), field="password") from exc
    user.set_password(password)
    user.save()
    _set_membership(user, organisation, job_title)
    return user


@transaction.atomic
def user_update(
    *,
    actor,
    user: User,
    role: str,
    organisation: Organisation | None,
    job_title: str = "",
    first_name: str = "",
    last_name: str = "",
    email: str = "",
    is_active: bool = True,
) -> User:
    """Change a person's role, organisation and details, or switch their login off."""
    _require_people_manager(actor)
    if user.pk == getattr(actor, "pk", None):
        if role != User.Role.ADMINISTRATOR and is_administrator(actor):
            raise DomainError(
                _("You cannot remove your own administrator role; ask another administrator."),
                field="role",
            )
        if not is_active:
            raise DomainError(_("You cannot switch off your own login."), field="is_active")
    membership = getattr(user, "staff_membership", None)
    _clean_membership(role, organisation, membership.organisation_id if membership else None)
    first_name, last_name, email = _clean_person_details(user, first_name, last_name, email)
    job_title = fields.text(StaffMembership, "job_title", job_title)
    user.first_name, user.last_name, user.email = first_name, last_name, email
    user.is_active = bool(is_active)
    _apply_role(user, role)
    user.save()
    _set_membership(user, organisation, job_title)
    return user


# API tokens ----------------------------------------------------------------------------------


@transaction.atomic
def api_token_create(
    *,
    organisation: Organisation,
    name: str,
    write_enabled: bool = False,
    expires_at=None,
    created_by=None,
) -> tuple[ApiToken, str]:
    """Issue a token; returns it and the full secret, which is never retrievable again."""
    fields = {
        "organisation": organisation,
        "name": name,
        "write_enabled": write_enabled,
        "expires_at": expires_at,
        "created_by": created_by,
    }
    # The public prefix is 32 random bits and unique: by 10,000 tokens a collision is about a 1%
    # chance. Each attempt runs in a savepoint, so a collision costs a retry, not the transaction.
    for _attempt in range(TOKEN_CREATE_ATTEMPTS - 1):
        try:
            return _api_token_insert(**fields)
        except IntegrityError:
            continue
    return _api_token_insert(**fields)


def _api_token_insert(**fields) -> tuple[ApiToken, str]:
    prefix, raw = token_generate()
    with transaction.atomic():
        token = ApiToken.objects.create(prefix=prefix, digest=token_digest(raw), **fields)
    return token, raw


@transaction.atomic
def api_token_issue(
    *,
    actor,
    organisation: Organisation,
    name: str,
    write_enabled: bool = False,
    expires_in_days: int | None = None,
) -> tuple[ApiToken, str]:
    """Issue a token from the organisation page: administrators and that organisation's staff.
    Returns the token and its full secret, shown to the person once and never stored."""
    _require_manager(actor, organisation)
    if not organisation.is_active:
        raise DomainError(
            _("%(organisation)s is inactive: reactivate it before issuing tokens.")
            % {"organisation": organisation.name}
        )
    name = fields.text(ApiToken, "name", name, required=False)
    if not name:
        raise DomainError(
            _("Name the token after what will use it, e.g. “Reporting system”."), field="name"
        )
    expires_at = None
    if expires_in_days is not None:
        if not 1 <= expires_in_days <= MAX_TOKEN_DAYS:
            raise DomainError(
                _("A token expires after 1 to %(max)s days (or never: leave it empty).")
                % {"max": MAX_TOKEN_DAYS},
                field="expires_in_days",
            )
        expires_at = timezone.now() + timedelta(days=expires_in_days)
    return api_token_create(
        organisation=organisation,
        name=name,
        write_enabled=bool(write_enabled),
        expires_at=expires_at,
        created_by=actor if isinstance(actor, User) else None,
    )


def api_token_revoke(*, token: ApiToken, actor=_UNSET) -> ApiToken:
    """Revoke a token for good. With an `actor` (the browser), only administrators and the
    organisation's staff may; without one (management commands, the admin) it is trusted."""
    if actor is not _UNSET:
        _require_manager(actor, token.organisation)
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


def api_token_authenticate(*, raw_token: str) -> tuple[ApiToken | None, str]:
    """The token a raw bearer value names, or None and the reason it was refused."""
    if token_prefix(raw_token) is None:
        return None, _("Invalid token.")
    token = (
        ApiToken.objects.select_related("organisation")
        .filter(digest=token_digest(raw_token))
        .first()
    )
    if token is None:
        return None, _("Invalid token.")
    if token.revoked_at is not None:
        return None, _("This token has been revoked.")
    now = timezone.now()
    if token.expires_at is not None and token.expires_at <= now:
        return None, _("This token has expired.")
    if not token.organisation.is_active:
        return None, _("This token's organisation is inactive.")
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        # Conditional, so that of concurrent requests only the first in a minute writes (and
        # records the activity); the others find the row already fresh and update nothing.
        stale = Q(last_used_at__isnull=True) | Q(last_used_at__lte=now - LAST_USED_RESOLUTION)
        if ApiToken.objects.filter(stale, pk=token.pk).update(last_used_at=now):
            token.last_used_at = now
    # API use is a sign of life only in the collaboration a request touches: the API views
    # record it (core/api.py: CreditsApiUse), not authentication.
    return token, ""


# Languages -----------------------------------------------------------------------------------


def user_language_set(*, actor, user: User, language: str) -> None:
    """Store the language a person reads CollabHub and its e-mails in (the switcher): their own
    choice, or an administrator's. One conditional UPDATE: concurrent choices cannot interleave
    a read and a write, the last one made wins."""
    if user.pk != getattr(actor, "pk", None):
        _require_people_manager(actor)
    if language not in dict(LANGUAGE_CHOICES):
        raise DomainError(_("Choose English or French."), field="language")
    User.objects.filter(pk=user.pk).update(preferred_language=language)
    user.preferred_language = language
