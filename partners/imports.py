"""CSV import of organisations and contacts: upload, a preview listing each row's errors by line
and field, then an all-or-nothing import recorded in the audit history.

Hand-written with the csv module rather than django-import-export: the import needs the file's
own line numbers (a quoted cell may span lines), a bounded read that stops at the row limit
before parsing the rest, per-cell formula refusal, and duplicate checks against the database
done set-based (one query per 500 rows rather than one per row), with the rows kept between the
preview and the confirmation so that a large file is checked and imported by a Celery task.
django-import-export's Resource/dry-run flow does each of these differently (row numbers without
physical lines, per-row instance lookups, the file re-uploaded or held in its own tmp storage),
and fitting it would mean overriding most of it.

The phases:
  import_run_create (the upload: file-level checks, rows read and stored; small files are
  checked at once, large ones by `import_validate_task`) -> import_run_validate (every row's
  errors; READY or INVALID) -> import_run_confirm (compare-and-set READY -> IMPORTING; small
  runs import at once, large ones in `import_apply_task`) -> import_run_apply (one transaction:
  DONE with every row, or FAILED with none)."""

from __future__ import annotations

import csv
import io
import logging
import re
from collections.abc import Iterable

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import EmailValidator, URLValidator, validate_slug
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.db.models.functions import Lower
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history

from core.actors import is_administrator
from core.errors import DomainError

from .models import Contact, ImportRun, Organisation, User

logger = logging.getLogger(__name__)

CHUNK = 500  # rows per database look-up and per progress step
MAX_STORED_ERRORS = 1000
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# A phone number may start with "+" (+1 613 555 0100): it is not a formula.
PHONE = re.compile(r"^\+?[0-9 ().\-]{3,40}$")
TRUE_WORDS = {"yes", "y", "true", "1", "oui", "vrai", "x"}
FALSE_WORDS = {"no", "n", "false", "0", "non", "faux", ""}

# column -> (required, max length)
COLUMNS = {
    ImportRun.Kind.ORGANISATIONS: {
        "name": (True, 200),
        "kind": (True, 30),
        "short_name": (False, 50),
        "slug": (False, 80),
        "jurisdiction": (False, 120),
        "website": (False, 200),
    },
    ImportRun.Kind.CONTACTS: {
        "organisation": (True, 200),
        "name": (True, 150),
        "title": (False, 150),
        "email": (False, 254),
        "phone": (False, 40),
        "is_primary": (False, 10),
    },
}
# Other spellings of a column heading people use (after lower-casing, spaces -> "_").
HEADING_ALIASES = {
    "organization": "organisation",
    "organisation_slug": "organisation",
    "short": "short_name",
    "shortname": "short_name",
    "region": "jurisdiction",
    "url": "website",
    "e-mail": "email",
    "e_mail": "email",
    "primary": "is_primary",
    "primary_contact": "is_primary",
    "telephone": "phone",
}


def may_import(actor) -> bool:
    return isinstance(actor, User) and is_administrator(actor)


def _require_importer(actor) -> None:
    if not may_import(actor):
        raise PermissionDenied(_("Only administrators may import organisations and contacts."))


# Progress (read by the progress page; in the cache so a task's transaction does not hide it) --


def _progress_key(run_id: int) -> str:
    return f"partners:import:{run_id}:progress"


def progress_set(run_id: int, done: int, total: int) -> None:
    try:
        cache.set(_progress_key(run_id), [done, total], timeout=6 * 60 * 60)
    except Exception as error:  # the cache (Redis) down: the import goes on without progress
        logger.warning("Import %s: progress not recorded (%s)", run_id, error)


def progress_of(run: ImportRun) -> tuple[int, int]:
    """(rows done, rows in all) of the phase `run` is in."""
    try:
        value = cache.get(_progress_key(run.pk))
    except Exception as error:
        logger.warning("Import %s: progress not read (%s)", run.pk, error)
        value = None
    if value:
        return int(value[0]), int(value[1])
    return (run.row_count if not run.in_progress else 0), run.row_count


def _enqueue(task, *args) -> None:
    """Queue `task` once the transaction commits; when the broker cannot take it, run it here
    (the phases are idempotent, so a task that did start is not repeated)."""

    def send() -> None:
        try:
            task.delay(*args)
        except Exception as error:
            logger.error("Could not queue %s%s (%s); running it in-process", task.name, args, error)
            task(*args)

    transaction.on_commit(send)


# Reading the file -------------------------------------------------------------------------------


def _heading(text: str) -> str:
    key = re.sub(r"[\s\-]+", "_", text.strip().lower())
    return HEADING_ALIASES.get(key, key)


def read_csv(upload, kind: str) -> list[list]:
    """The rows of an uploaded CSV file as [[line, {column: value}], ...], or a DomainError
    naming what is wrong with the file as a whole (size, encoding, columns, row count)."""
    max_bytes = settings.IMPORT_MAX_BYTES
    max_rows = settings.IMPORT_MAX_ROWS
    size = getattr(upload, "size", None)
    if size is not None and size > max_bytes:
        raise DomainError(
            _("The file is %(size)s; at most %(max)s is accepted. Split it into smaller files.")
            % {"size": megabytes(size), "max": megabytes(max_bytes)},
            field="file",
        )
    data = upload.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise DomainError(
            _("The file is larger than %(max)s. Split it into smaller files.")
            % {"max": megabytes(max_bytes)},
            field="file",
        )
    if not data.strip():
        raise DomainError(_("The file is empty."), field="file")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise DomainError(
            _("The file is UTF-16 text. Save it as “CSV UTF-8” and upload it again."),
            field="file",
        )
    if b"\x00" in data[:4096]:
        raise DomainError(
            _("This is not a CSV text file. Save the spreadsheet as “CSV UTF-8”."), field="file"
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise DomainError(
            _(
                "The file is not UTF-8 text: line %(line)s has a character that cannot be read. "
                "Save it as “CSV UTF-8” and upload it again."
            )
            % {"line": line},
            field="file",
        ) from error

    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except csv.Error as error:
        raise DomainError(
            _("Line 1 cannot be read as CSV: %(error)s") % {"error": error}, field="file"
        ) from error
    columns = COLUMNS[kind]
    headings = [_heading(cell) for cell in header]
    problems = []
    unknown = [h for h in headings if h and h not in columns]
    missing = [c for c, (required, _n) in columns.items() if required and c not in headings]
    repeated = sorted({h for h in headings if h and headings.count(h) > 1})
    if unknown:
        problems.append(_("unknown columns: %(names)s") % {"names": ", ".join(unknown)})
    if missing:
        problems.append(_("missing columns: %(names)s") % {"names": ", ".join(missing)})
    if repeated:
        problems.append(_("repeated columns: %(names)s") % {"names": ", ".join(repeated)})
    if problems:
        raise DomainError(
            _("The first line must name the columns (%(problems)s). The columns are: %(all)s.")
            % {"problems": "; ".join(problems), "all": ", ".join(columns)},
            field="file",
        )

    rows: list[list] = []
    line = reader.line_num + 1
    try:
        for cells in reader:
            start, line = line, reader.line_num + 1
            if not any(cell.strip() for cell in cells):
                continue  # a blank line
            if len(rows) >= max_rows:
                raise DomainError(
                    _(
                        "The file has more than %(max)s rows; at most %(max)s are imported at a "
                        "time. Split it into smaller files."
                    )
                    % {"max": f"{max_rows:,}"},
                    field="file",
                )
            if len(cells) != len(headings):
                values = {"__cells__": str(len(cells))}
            else:
                values = {h: cell for h, cell in zip(headings, cells, strict=True) if h}
            rows.append([start, values])
    except csv.Error as error:
        raise DomainError(
            _("Line %(line)s cannot be read as CSV: %(error)s") % {"line": line, "error": error},
            field="file",
        ) from error
    if not rows:
        raise DomainError(_("The file has a header line but no rows."), field="file")
    return rows


def megabytes(size: int) -> str:
    """A file size as people read it: 100 bytes, 12.5 KB, 5 MB."""
    if size < 1024:
        return _("%(n)s bytes") % {"n": size}
    if size < 1024 * 1024:
        return _("%(n)s KB") % {"n": f"{size / 1024:.1f}".removesuffix(".0")}
    return _("%(n)s MB") % {"n": f"{size / (1024 * 1024):.1f}".removesuffix(".0")}


# Checking the rows ------------------------------------------------------------------------------


class _Errors:
    def __init__(self):
        self.items: list[dict] = []
        self.count = 0
        self.lines: set[int] = set()

    def add(self, line: int, field: str, message: str) -> None:
        self.count += 1
        self.lines.add(line)
        if len(self.items) < MAX_STORED_ERRORS:
            self.items.append({"line": line, "field": field, "message": str(message)})


def _chunks(items: list, size: int = CHUNK) -> Iterable[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _check_cells(line: int, values: dict, kind: str, errors: _Errors) -> dict | None:
    """Shape of one row: cell count, formulas, lengths. The row's stripped values, or None when
    it has the wrong number of cells."""
    if "__cells__" in values:
        errors.add(
            line,
            "",
            _("This line has %(n)s cells; the header has %(expected)s.")
            % {"n": values["__cells__"], "expected": len(COLUMNS[kind])},
        )
        return None
    cleaned = {}
    for column, (required, max_length) in COLUMNS[kind].items():
        raw = values.get(column, "")
        value = raw.strip()
        if raw.startswith(FORMULA_START) and not (column == "phone" and PHONE.match(value)):
            errors.add(
                line,
                column,
                _(
                    "A cell may not start with =, +, -, @ or a tab: a spreadsheet would run it "
                    "as a formula. Remove that first character."
                ),
            )
        if required and not value:
            errors.add(line, column, _("This column is required."))
        elif len(value) > max_length:
            errors.add(
                line,
                column,
                _("At most %(max)s characters (this has %(n)s).")
                % {"max": max_length, "n": len(value)},
            )
        cleaned[column] = value
    return cleaned


def _kind_value(text: str) -> str | None:
    wanted = text.strip().lower()
    for value, label in Organisation.Kind.choices:
        if wanted in {value, str(label).lower()}:
            return value
    return None


def _website(text: str) -> str:
    if text and "://" not in text:
        return f"https://{text}"
    return text


def _validate_organisations(run: ImportRun, errors: _Errors) -> None:
    from .services import RESERVED_SLUGS

    url = URLValidator(schemes=["http", "https"])
    seen_names: dict[str, int] = {}
    seen_slugs: dict[str, int] = {}
    total = len(run.rows)
    for index, batch in enumerate(_chunks(run.rows)):
        checked = []
        for line, values in batch:
            row = _check_cells(line, values, run.kind, errors)
            if row is None:
                continue
            if row["kind"] and _kind_value(row["kind"]) is None:
                errors.add(
                    line,
                    "kind",
                    _("“%(value)s” is not a kind of organisation. Use one of: %(kinds)s.")
                    % {"value": row["kind"], "kinds": ", ".join(Organisation.Kind.values)},
                )
            if row["slug"]:
                try:
                    validate_slug(row["slug"])
                except ValidationError:
                    errors.add(
                        line,
                        "slug",
                        _("A slug may contain only letters, numbers, hyphens and underscores."),
                    )
                if row["slug"].lower() in RESERVED_SLUGS:
                    errors.add(line, "slug", _("“%(slug)s” is reserved.") % {"slug": row["slug"]})
            if row["website"]:
                try:
                    url(_website(row["website"]))
                except ValidationError:
                    errors.add(
                        line,
                        "website",
                        _("Enter a full web address, such as https://www.example.org."),
                    )
            name = row["name"].lower()
            if name:
                if name in seen_names:
                    errors.add(
                        line,
                        "name",
                        _("“%(name)s” is also on line %(other)s of this file.")
                        % {"name": row["name"], "other": seen_names[name]},
                    )
                else:
                    seen_names[name] = line
            slug = row["slug"].lower()
            if slug:
                if slug in seen_slugs:
                    errors.add(
                        line,
                        "slug",
                        _("The slug “%(slug)s” is also on line %(other)s of this file.")
                        % {"slug": row["slug"], "other": seen_slugs[slug]},
                    )
                else:
                    seen_slugs[slug] = line
            checked.append((line, row))
        # Against the database: one query for the names and one for the slugs of the batch.
        names = {row["name"].lower() for _line, row in checked if row["name"]}
        existing_names = set(
            Organisation.objects.annotate(lname=Lower("name"))
            .filter(lname__in=names)
            .values_list("lname", flat=True)
        )
        slugs = {row["slug"] for _line, row in checked if row["slug"]}
        existing_slugs = set(
            Organisation.objects.filter(slug__in=slugs).values_list("slug", flat=True)
        )
        for line, row in checked:
            if row["name"].lower() in existing_names:
                errors.add(
                    line,
                    "name",
                    _("An organisation named “%(name)s” already exists.") % {"name": row["name"]},
                )
            if row["slug"] in existing_slugs:
                errors.add(
                    line,
                    "slug",
                    _("Another organisation already uses the slug “%(slug)s”.")
                    % {"slug": row["slug"]},
                )
        progress_set(run.pk, min((index + 1) * CHUNK, total), total)


def _organisations_by_reference(references: set[str]) -> dict[str, Organisation]:
    """{reference (lower-cased slug or name): organisation} for the references given."""
    found: dict[str, Organisation] = {}
    lowered = {reference.lower() for reference in references}
    for batch in _chunks(sorted(lowered)):
        for organisation in (
            Organisation.objects.annotate(lname=Lower("name"), lslug=Lower("slug"))
            .filter(Q(lname__in=batch) | Q(lslug__in=batch))
            .only("pk", "name", "slug")
        ):
            found.setdefault(organisation.slug.lower(), organisation)
            found.setdefault(organisation.name.lower(), organisation)
    return found


def _truthy(text: str) -> bool | None:
    word = text.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    return None


def _validate_contacts(run: ImportRun, errors: _Errors) -> None:
    email = EmailValidator()
    total = len(run.rows)
    seen: dict[tuple, int] = {}
    primary_line: dict[int, int] = {}
    for index, batch in enumerate(_chunks(run.rows)):
        checked = []
        for line, values in batch:
            row = _check_cells(line, values, run.kind, errors)
            if row is not None:
                checked.append((line, row))
        organisations = _organisations_by_reference(
            {row["organisation"] for _line, row in checked if row["organisation"]}
        )
        ids = {organisation.pk for organisation in organisations.values()}
        existing = set(
            Contact.objects.filter(organisation_id__in=ids, is_active=True)
            .annotate(lname=Lower("name"), lemail=Lower("email"))
            .values_list("organisation_id", "lname", "lemail")
        )
        has_primary = dict(
            Contact.objects.filter(
                organisation_id__in=ids, is_active=True, is_primary=True
            ).values_list("organisation_id", "name")
        )
        for line, row in checked:
            organisation = organisations.get(row["organisation"].lower())
            if row["organisation"] and organisation is None:
                errors.add(
                    line,
                    "organisation",
                    _("No organisation has the slug or name “%(value)s”.")
                    % {"value": row["organisation"]},
                )
            if row["email"]:
                try:
                    email(row["email"])
                except ValidationError:
                    errors.add(line, "email", _("Enter a valid e-mail address."))
            primary = _truthy(row["is_primary"])
            if primary is None:
                errors.add(line, "is_primary", _("Write yes or no."))
            if organisation is None:
                continue
            key = (organisation.pk, row["name"].lower(), row["email"].lower())
            if key in seen:
                errors.add(
                    line,
                    "name",
                    _("%(name)s of %(organisation)s is also on line %(other)s of this file.")
                    % {"name": row["name"], "organisation": organisation.name, "other": seen[key]},
                )
            else:
                seen[key] = line
            if key in existing:
                errors.add(
                    line,
                    "name",
                    _("%(name)s is already a contact of %(organisation)s.")
                    % {"name": row["name"], "organisation": organisation.name},
                )
            if primary:
                if organisation.pk in has_primary:
                    errors.add(
                        line,
                        "is_primary",
                        _(
                            "%(organisation)s already has a primary contact, %(name)s: "
                            "write no here, or change that contact first."
                        )
                        % {"organisation": organisation.name, "name": has_primary[organisation.pk]},
                    )
                elif organisation.pk in primary_line:
                    errors.add(
                        line,
                        "is_primary",
                        _("Line %(other)s already makes a primary contact of %(organisation)s.")
                        % {
                            "other": primary_line[organisation.pk],
                            "organisation": organisation.name,
                        },
                    )
                else:
                    primary_line[organisation.pk] = line
        progress_set(run.pk, min((index + 1) * CHUNK, total), total)


# The phases -------------------------------------------------------------------------------------


@transaction.atomic
def import_run_create(*, actor, kind: str, upload) -> ImportRun:
    """Read the uploaded file into a new run (file-level problems are a DomainError and leave
    nothing behind). A run of at most IMPORT_BACKGROUND_ROWS rows is checked at once; a larger
    one is checked by a Celery task, enqueued when the run is committed."""
    _require_importer(actor)
    if kind not in ImportRun.Kind.values:
        raise DomainError(_("Choose what the file holds."), field="kind")
    rows = read_csv(upload, kind)
    run = ImportRun.objects.create(
        kind=kind,
        filename=(getattr(upload, "name", "") or "")[:255],
        created_by=actor,
        rows=rows,
        row_count=len(rows),
    )
    progress_set(run.pk, 0, len(rows))
    if len(rows) <= settings.IMPORT_BACKGROUND_ROWS:
        return import_run_validate(run_id=run.pk)
    from .tasks import import_validate_task

    _enqueue(import_validate_task, run.pk)
    return run


def import_run_validate(*, run_id: int) -> ImportRun:
    """Check every row of a VALIDATING run: READY with no error, INVALID with its errors.
    Idempotent: a run past this phase is returned as it is."""
    run = ImportRun.objects.get(pk=run_id)
    if run.status != ImportRun.Status.VALIDATING:
        return run
    errors = _Errors()
    if run.kind == ImportRun.Kind.ORGANISATIONS:
        _validate_organisations(run, errors)
    else:
        _validate_contacts(run, errors)
    errors.items.sort(key=lambda item: (item["line"], item["field"]))
    run.errors = errors.items
    run.error_count = errors.count
    run.status = ImportRun.Status.INVALID if errors.count else ImportRun.Status.READY
    run.message = (
        _("%(rows)s rows with %(errors)s errors: correct the file and upload it again.")
        % {"rows": len(errors.lines), "errors": errors.count}
        if errors.count
        else ""
    )
    updated = ImportRun.objects.filter(pk=run.pk, status=ImportRun.Status.VALIDATING).update(
        errors=run.errors, error_count=run.error_count, status=run.status, message=run.message
    )
    if not updated:
        run.refresh_from_db()
    return run


def import_run_confirm(*, actor, run: ImportRun) -> ImportRun:
    """Start importing a READY run; a run asked twice (a double click, two administrators) is
    imported once: the status moves READY -> IMPORTING by compare-and-set."""
    _require_importer(actor)
    started = ImportRun.objects.filter(pk=run.pk, status=ImportRun.Status.READY).update(
        status=ImportRun.Status.IMPORTING
    )
    if not started:
        run.refresh_from_db()
        raise DomainError(
            _("This import cannot start: it is %(status)s.")
            % {"status": run.get_status_display().lower()},
            code="conflict",
        )
    progress_set(run.pk, 0, run.row_count)
    if run.row_count <= settings.IMPORT_BACKGROUND_ROWS:
        return import_run_apply(run_id=run.pk, actor_id=actor.pk)
    from .tasks import import_apply_task

    _enqueue(import_apply_task, run.pk, actor.pk)
    run.refresh_from_db()
    return run


def import_run_apply(*, run_id: int, actor_id: int | None) -> ImportRun:
    """Write every row of an IMPORTING run in one transaction, with its audit history, or none:
    a clash found now (an organisation registered since the preview) fails the run with
    nothing written. Idempotent: a run not IMPORTING is returned as it is."""
    run = ImportRun.objects.defer("rows").get(pk=run_id)
    if run.status != ImportRun.Status.IMPORTING:
        return run
    actor = User.objects.filter(pk=actor_id).first() if actor_id else None
    importing = ImportRun.objects.filter(pk=run.pk, status=ImportRun.Status.IMPORTING)
    try:
        with transaction.atomic():
            # Locked and re-read: a second copy of the task (a redelivery) waits here, then
            # finds the run done and leaves it.
            run = ImportRun.objects.select_for_update().get(pk=run_id)
            if run.status != ImportRun.Status.IMPORTING:
                return run
            # Checked again inside the transaction: the database may have changed since.
            errors = _Errors()
            if run.kind == ImportRun.Kind.ORGANISATIONS:
                _validate_organisations(run, errors)
                if not errors.count:
                    count = _write_organisations(run, actor)
            else:
                _lock_organisations(run)
                _validate_contacts(run, errors)
                if not errors.count:
                    count = _write_contacts(run, actor)
            if errors.count:
                first = errors.items[0]
                raise DomainError(
                    _("Line %(line)s, %(field)s: %(message)s")
                    % {"line": first["line"], "field": first["field"], "message": first["message"]}
                )
            importing.update(
                status=ImportRun.Status.DONE,
                imported_count=count,
                finished_at=timezone.now(),
                message="",
            )
    except (DomainError, IntegrityError) as error:
        if isinstance(error, DomainError):
            message = error.message
        else:  # the database's own constraint, met by a write made meanwhile
            message = _(
                "an organisation with one of these names or slugs, or a primary contact of "
                "one of these organisations, was added meanwhile"
            )
        importing.update(
            status=ImportRun.Status.FAILED,
            finished_at=timezone.now(),
            message=_(
                "Nothing was imported: the data changed since the preview (%(reason)s). "
                "Upload the file again."
            )
            % {"reason": message},
        )
    except Exception:
        logger.exception("CSV import %s failed", run.pk)
        importing.update(
            status=ImportRun.Status.FAILED,
            finished_at=timezone.now(),
            message=_("Nothing was imported: the import stopped on an unexpected error."),
        )
        raise
    finally:
        progress_set(run.pk, run.row_count, run.row_count)
    run.refresh_from_db()
    return run


def _lock_organisations(run: ImportRun) -> None:
    """Lock the organisations whose contacts the run adds (collabhub/locking.py's order: the
    organisation first, by id), as contact_create does, so that a contact added meanwhile is
    seen by the checks that follow."""
    references = {values.get("organisation", "").strip() for _line, values in run.rows}
    ids = sorted({o.pk for o in _organisations_by_reference(references - {""}).values()})
    for batch in _chunks(ids):
        list(Organisation.objects.select_for_update().filter(pk__in=batch).order_by("pk"))


def _reason(run: ImportRun) -> str:
    return f"CSV import #{run.pk}"


def _write_organisations(run: ImportRun, actor) -> int:
    from .services import RESERVED_SLUGS

    taken = set(RESERVED_SLUGS)
    wanted = {values["slug"].strip() for _line, values in run.rows if values.get("slug")}
    taken |= wanted
    bases = {
        (
            slugify(values.get("short_name", "").strip() or values["name"].strip())[:70].strip("-")
            or "organisation"
        )
        for _line, values in run.rows
        if not values.get("slug", "").strip()
    }
    for base in bases:
        taken |= set(
            Organisation.objects.filter(slug__startswith=base).values_list("slug", flat=True)
        )
    objects = []
    for step, batch in enumerate(_chunks(run.rows)):
        for _line, values in batch:
            row = {k: v.strip() for k, v in values.items()}
            slug = row.get("slug", "")
            if not slug:
                base = (
                    slugify(row.get("short_name", "") or row["name"])[:70].strip("-")
                    or "organisation"
                )
                slug, number = base, 2
                while slug in taken:
                    slug, number = f"{base}-{number}", number + 1
                taken.add(slug)
            organisation = Organisation(
                name=row["name"],
                short_name=row.get("short_name", ""),
                slug=slug,
                kind=_kind_value(row["kind"]),
                jurisdiction=row.get("jurisdiction", ""),
                website=_website(row.get("website", "")),
            )
            organisation.full_clean(validate_unique=False, validate_constraints=False)
            objects.append(organisation)
        progress_set(run.pk, min((step + 1) * CHUNK, run.row_count) // 2, run.row_count)
    bulk_create_with_history(
        objects,
        Organisation,
        batch_size=CHUNK,
        default_user=actor,
        default_change_reason=_reason(run),
    )
    return len(objects)


def _write_contacts(run: ImportRun, actor) -> int:
    references = {values["organisation"].strip() for _line, values in run.rows}
    organisations = _organisations_by_reference(references)
    objects = []
    for _line, values in run.rows:
        row = {k: v.strip() for k, v in values.items()}
        contact = Contact(
            organisation=organisations[row["organisation"].lower()],
            name=row["name"],
            title=row.get("title", ""),
            email=row.get("email", ""),
            phone=row.get("phone", ""),
            is_primary=bool(_truthy(row.get("is_primary", ""))),
        )
        contact.full_clean(validate_unique=False, validate_constraints=False)
        objects.append(contact)
    bulk_create_with_history(
        objects,
        Contact,
        batch_size=CHUNK,
        default_user=actor,
        default_change_reason=_reason(run),
    )
    return len(objects)


def import_runs_for(*, actor):
    """The runs `actor` may see: every run for administrators, none for anyone else."""
    if not may_import(actor):
        return ImportRun.objects.none()
    return ImportRun.objects.select_related("created_by")


def import_run_get_for(*, actor, pk: int) -> ImportRun:
    """One run, its rows left unread (up to IMPORT_MAX_ROWS of them, and the progress page is
    polled every two seconds): reading `run.rows` fetches them."""
    return get_object_or_404(import_runs_for(actor=actor).defer("rows"), pk=pk)
