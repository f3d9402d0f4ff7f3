"""CSV exports of list pages: formula-guarded cells, streamed rows, one response shape.

Every export is the rows its list page shows (the same selector, scope and filters). A large one
is written as it is read (StreamingHttpResponse over a chunked queryset iterator), so a
national-scale export neither holds every row in memory nor waits for the last row before its
first byte; a small one (most) is written at once, with a Content-Length."""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from django.db.models import QuerySet
from django.http import HttpResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

# A spreadsheet treats a cell starting with one of these as a formula (CSV injection).
CSV_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# ...except a plain phone number or number: digits, spaces, parentheses, dots and dashes, with an
# optional leading + ("+1 555 0100", "-12.5"). Without a letter, "=", "@", "|" or "!" it cannot
# call a function or another program, so it is exported as it is.
CSV_PLAIN_NUMBER = re.compile(r"\+?[0-9 ().-]*[0-9][0-9 ().-]*")
# Rows read from the database per round trip while streaming.
CHUNK_SIZE = 2000
# An export with more rows than this is streamed.
STREAM_FROM_ROWS = 2000


def csv_safe(value) -> str:
    """A cell a spreadsheet shows as text: one that would start a formula gets a leading
    apostrophe (OWASP's advice against CSV injection); phone numbers and numbers are left alone."""
    text = "" if value is None else str(value)
    if text.startswith(CSV_FORMULA_STARTS) and not CSV_PLAIN_NUMBER.fullmatch(text):
        return f"'{text}"
    return text


class _Line:
    """A file-like object whose write() returns the line: csv.writer then yields text."""

    def write(self, value: str) -> str:
        return value


def csv_lines(header: Iterable, rows: Iterable[Iterable[Any]]) -> Iterator[str]:
    """The CSV text, a line at a time: a byte-order mark (so spreadsheet programs read UTF-8
    names as such), the header, then each row, every cell formula-guarded."""
    writer = csv.writer(_Line())
    yield "\ufeff"
    yield writer.writerow([csv_safe(column) for column in header])
    for row in rows:
        yield writer.writerow([csv_safe(value) for value in row])


def csv_response(
    *,
    name: str,
    header: Iterable,
    objects: Iterable,
    row: Callable[[Any], Iterable[Any]],
) -> HttpResponse | StreamingHttpResponse:
    """An attachment `<name>-<today>.csv`, one line per object. Up to STREAM_FROM_ROWS objects
    are read in one query and written at once; beyond that the response streams them (the
    queryset read again in chunks). The header is translated now, in the request's language."""
    header = [str(column) for column in header]
    content_type = "text/csv; charset=utf-8"
    if isinstance(objects, QuerySet):
        head = list(objects[: STREAM_FROM_ROWS + 1])
        if len(head) > STREAM_FROM_ROWS:
            rows = (row(obj) for obj in objects.iterator(chunk_size=CHUNK_SIZE))
            streamed = StreamingHttpResponse(csv_lines(header, rows), content_type=content_type)
            return _attachment(streamed, name)
        objects = head
    body = "".join(csv_lines(header, (row(obj) for obj in objects)))
    return _attachment(HttpResponse(body, content_type=content_type), name)


def _attachment(response, name: str):
    filename = f"{name}-{timezone.localdate():%Y-%m-%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def csv_filter_error(filterset) -> HttpResponse:
    """A 400 naming the filters an export did not understand (never an unfiltered export)."""
    problems = "; ".join(f"{name}: {' '.join(errors)}" for name, errors in filterset.errors.items())
    return HttpResponse(
        _("Cannot export: %(problems)s") % {"problems": problems},
        status=400,
        content_type="text/plain; charset=utf-8",
    )


def yes_no(value: bool) -> str:
    return _("yes") if value else _("no")


def day(value) -> str:
    """A date, or a moment as its local date, as YYYY-MM-DD; empty for none."""
    if value is None:
        return ""
    if hasattr(value, "hour"):
        value = timezone.localtime(value)
    return value.strftime("%Y-%m-%d")
