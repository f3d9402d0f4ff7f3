"""Agreement documents: which uploads are accepted (PDF, DOCX or ODT, judged by their content, not
their name) and at most how large. The service, the browser form and the API serializer all call
`check_agreement_document`, so every way in refuses the same files with the same message."""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import SuspiciousFileOperation
from django.utils.text import get_valid_filename
from django.utils.translation import gettext as _

from core.errors import DomainError

ODT_MIMETYPE = b"application/vnd.oasis.opendocument.text"
DOCX_MEMBERS = {"[Content_Types].xml", "word/document.xml"}
# What [Content_Types].xml must declare for /word/document.xml: a plain Word document. A
# macro-enabled one (.docm: "application/vnd.ms-word.document.macroEnabled.main+xml") or a
# template (.dotx, .dotm) is refused even though it has the same members.
DOCX_MAIN_CONTENT_TYPE = (
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
)
# [Content_Types].xml is a short list; a larger one is not a document we accept.
MAX_CONTENT_TYPES_BYTES = 256 * 1024
# Its <Default> and <Override> elements are read with patterns, not an XML parser: the file is
# untrusted, and only a few attributes of flat, empty elements are needed (a DOCTYPE is
# refused).
_DECLARATION = re.compile(rb"<(?:\w+:)?(Default|Override)\b([^>]*)>")
_ATTRIBUTE = re.compile(rb"""\b(PartName|Extension|ContentType)\s*=\s*(?:"([^"]*)"|'([^']*)')""")


@dataclass(frozen=True)
class DocumentKind:
    extension: str
    content_type: str
    label: str


PDF = DocumentKind("pdf", "application/pdf", "PDF")
DOCX = DocumentKind(
    "docx",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "DOCX",
)
ODT = DocumentKind("odt", "application/vnd.oasis.opendocument.text", "ODT")
KINDS = {kind.extension: kind for kind in (PDF, DOCX, ODT)}
# Recognised so that it is refused with its own explanation; never accepted.
MACRO_WORD = DocumentKind(
    "docm", "application/vnd.ms-word.document.macroEnabled.12", "Word document with macros"
)


def max_upload_megabytes() -> str:
    return f"{settings.MAX_UPLOAD_BYTES / (1024 * 1024):.0f}"


def _refuse(message: str):
    raise DomainError(message, field="document")


def _zip_kind(upload) -> DocumentKind | None:
    try:
        with zipfile.ZipFile(upload) as archive:
            names = set(archive.namelist())
            if "mimetype" in names:
                with archive.open("mimetype") as member:
                    # The member is one short line; never read more of it than that.
                    if member.read(len(ODT_MIMETYPE) + 1).strip() == ODT_MIMETYPE:
                        return ODT
            if names >= DOCX_MEMBERS:
                return DOCX if _is_plain_docx(archive, names) else MACRO_WORD
    except (zipfile.BadZipFile, zipfile.LargeZipFile, KeyError, OSError, EOFError, ValueError):
        return None
    return None


def _is_plain_docx(archive: zipfile.ZipFile, names: set[str]) -> bool:
    """A Word document without macros: no VBA project anywhere, no macro-enabled content type,
    and a main part declared as a plain document (not a .docm, nor a template). Anything else
    with Word's members is refused as MACRO_WORD."""
    if any(name.lower().endswith("vbaproject.bin") for name in names):
        return False
    with archive.open("[Content_Types].xml") as member:
        declared = member.read(MAX_CONTENT_TYPES_BYTES + 1)
    if len(declared) > MAX_CONTENT_TYPES_BYTES:
        return False
    lowered = declared.lower()
    if b"macroenabled" in lowered or b"vbaproject" in lowered or b"<!doctype" in lowered:
        return False
    overrides, xml_defaults = set(), set()
    for element in _DECLARATION.finditer(declared):
        attributes = {
            match[1].decode("ascii"): (match[2] or match[3] or b"").decode("utf-8", "replace")
            for match in _ATTRIBUTE.finditer(element[2])
        }
        content_type = attributes.get("ContentType", "").strip()
        if element[1] == b"Override":
            if attributes.get("PartName", "").lower() == "/word/document.xml":
                overrides.add(content_type)
        elif attributes.get("Extension", "").lower() == "xml":
            xml_defaults.add(content_type)
    # The main part's own declaration, else the default for .xml parts.
    return (overrides or xml_defaults) == {DOCX_MAIN_CONTENT_TYPE}


def document_kind(upload) -> DocumentKind | None:
    """The kind of document `upload` is, from its bytes: PDF, DOCX or ODT; MACRO_WORD for a
    Word file with macros (refused); None for anything else."""
    upload.seek(0)
    head = upload.read(8)
    upload.seek(0)
    try:
        if head.startswith(b"%PDF-"):
            return PDF
        if head.startswith(b"PK\x03\x04"):
            return _zip_kind(upload)
        return None
    finally:
        upload.seek(0)


def check_agreement_document(upload) -> DocumentKind:
    """Refuse (DomainError on `document`) anything but a PDF, DOCX or ODT file of at most
    MAX_UPLOAD_BYTES; return the kind of an accepted one."""
    allowed = _("Upload a PDF, DOCX or ODT document.")
    size = getattr(upload, "size", None) or 0
    if size > settings.MAX_UPLOAD_BYTES:
        _refuse(
            _("The document is too large: at most %(size)s MB is accepted.")
            % {"size": max_upload_megabytes()}
        )
    if size == 0:
        _refuse(_("The document is empty. %(allowed)s") % {"allowed": allowed})
    kind = document_kind(upload)
    if kind is MACRO_WORD:
        _refuse(
            _(
                "This Word file contains macros, or is not a plain Word document (a .docm or a "
                "template): save it as a Word document (.docx) without macros, or as a PDF. "
                "%(allowed)s"
            )
            % {"allowed": allowed}
        )
    if kind is None:
        _refuse(
            _(
                "This file is not a PDF, DOCX or ODT document (judged by its content, not its "
                "name). %(allowed)s"
            )
            % {"allowed": allowed}
        )
    return kind


def stored_name(original: str, kind: DocumentKind) -> str:
    """A safe file name with the extension its content deserves: "Final MOU (v2).exe" that is
    really a PDF is stored as "Final_MOU_v2.pdf"."""
    stem = (original or "document").rsplit("/", 1)[-1].rsplit("\\", 1)[-1]
    stem = stem.rsplit(".", 1)[0] if "." in stem else stem
    try:
        stem = get_valid_filename(stem.replace(" ", "_"))[:80].strip("._") or "document"
    except SuspiciousFileOperation:
        stem = "document"
    return f"{stem}.{kind.extension}"
