"""File fields of forms, and what an uploaded file must be before it is kept. Pure functions.

A file field is ``{"type": "string", "format": "binary"}`` (or with ``contentMediaType``), alone or
as the ``items`` of an array, at the top of a form or in the rows of a table there (an array of
objects: ``certifications/*/certificate``, where a row's number takes the ``*``); ``x-accept`` lists the media types it takes
(default: every type in KNOWN), ``x-max-bytes`` its size limit (default and ceiling: the service's
A10FLOW_MAX_UPLOAD_BYTES), ``x-dates`` the dates each file is given with (DATES: a certificate's
validity, kept apart from the upload time). A file is taken only when its name is a plain label, its real type (read
from its bytes, never from its name or what the browser said) is one the field takes, and it is no
archive bomb and no polyglot a browser could run as a page.
"""
import io
import mimetypes
import re
from datetime import date
import unicodedata
import zipfile

# python-magic over Debian's libmagic (file(1)'s database, kept up to date with security updates):
# it reads content in depth (HTML and SVG in text, Office files inside their ZIP), where puremagic
# matches leading signatures only and falls back on the file's extension.
import magic

# What a field may take: types libmagic tells apart by content, served only as downloads. Never
# HTML, SVG or XML: a browser would run them as pages of the service's origin.
KNOWN = {
    "application/pdf": "a PDF",
    "image/png": "a PNG image",
    "image/jpeg": "a JPEG image",
    "text/plain": "plain text",
    "text/csv": "a CSV table",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "a Word document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "an Excel workbook",
    "application/vnd.oasis.opendocument.text": "an OpenDocument text",
    "application/zip": "a ZIP archive",
}
# The dates a file field may ask for beside each file, by their word in ``x-dates``.
DATES = {"effective": "Effective from", "expires": "Expires on"}
_SAME = {"text/csv": {"text/csv", "text/plain"}}   # libmagic calls much of CSV plain text
MAX_NAME = 255              # characters of a file's name
MAX_UNPACKED = 64 * 2**20   # bytes an archive (ZIP, and the Office files built on it) may unpack to
MAX_ENTRIES = 10_000        # files in one archive
_MARKUP = (b"<html", b"<!doctype html", b"<script", b"<svg", b"<iframe", b"<?xml-stylesheet")


def is_file(schema):
    return isinstance(schema, dict) and schema.get("type") == "string" and (
        schema.get("format") == "binary" or "contentMediaType" in schema)


ROW = "*"   # a table's row in a file field's path; a row's number stands there in the data and on the page
_ROW_NUMBER = re.compile(r"[0-9]{1,4}")   # as the page numbers rows (a10flow.web.fields)


def fields_of(schema):
    """``{path: (field schema, many)}`` for a form's file fields: at its top (``dpa``), or a column of a
    table at its top (``certifications/*/certificate``). Only as deep as that: a row is a thing with its
    papers (a certification and its certificate), and a path of one row number stays one a person reads."""
    found = _files(schema)
    for name, sub in _properties(schema):
        if sub.get("type") == "array" and isinstance(sub.get("items"), dict) and sub["items"].get("type") == "object":
            found.update({f"{name}/{ROW}/{inner}": spec for inner, spec in _files(sub["items"]).items()})
    return found


def _properties(schema):
    return [(name, sub) for name, sub in ((schema or {}).get("properties") or {}).items() if isinstance(sub, dict)]


def _files(schema):
    found = {}
    for name, sub in _properties(schema):
        if is_file(sub):
            found[name] = (sub, False)
        elif sub.get("type") == "array" and is_file(sub.get("items")):
            found[name] = (sub["items"], True)
    return found


def general(path):
    """The file field a concrete path names: ``certifications/0/certificate`` → ``certifications/*/certificate``."""
    parts = path.split("/") if isinstance(path, str) else []
    if len(parts) == 3 and _ROW_NUMBER.fullmatch(parts[1]):
        parts[1] = ROW
    return "/".join(parts)


def field_at(schema, path):
    """``(field schema, many)`` of the file field at ``path`` (a row's number in place of ``*``), or None."""
    return fields_of(schema).get(general(path)) if ROW not in path else None


def places(schema, data):
    """``(path, many)`` for each place ``data`` has for a file of ``schema``: a field at the top of the
    form, and a table's column in each of its rows, by the row's number (``certifications/0/certificate``)."""
    for pattern, (_, many) in fields_of(schema).items():
        table, _, name = pattern.partition(f"/{ROW}/")
        if not name:
            yield pattern, many
            continue
        rows = data.get(table) if isinstance(data, dict) else None
        for index, row in enumerate(rows if isinstance(rows, list) else []):
            if isinstance(row, dict):
                yield f"{table}/{index}/{name}", many


def given(schema, data):
    """``(path, many, value)`` for each file field of ``schema`` that ``data`` gives a value for."""
    for path, many in places(schema, data):
        node, last = _holder(data, path)
        if last in node:
            yield path, many, node[last]


def put(data, path, value):
    """Set the value at ``path`` (as ``given`` names it) in ``data``, a copy of the form's data."""
    node, last = _holder(data, path)
    node[last] = value


def _holder(data, path):
    """``(the object holding path's last part, that part)``: a row's number indexes its table."""
    *above, last = path.split("/")
    for part in above:
        data = data[int(part)] if isinstance(data, list) else data[part]
    return data, last


def accepted(field):
    """The media types a file field takes."""
    return field.get("x-accept") or ([field["contentMediaType"]] if "contentMediaType" in field else
                                     [t for t in KNOWN if t != "application/zip"])


def dates_of(field):
    """The dates (words of DATES) each file of a file field is given with."""
    return [word for word in DATES if word in (field.get("x-dates") or [])]


def dates(field, given):
    """The dates a file of ``field`` is given with, ``{word: date}`` from ``given`` (words of DATES to
    ISO 8601 texts). :raises ValueError: in words, when one it asks for is missing or no date, the file
    would expire before it takes effect, or the field takes no such date."""
    wanted, found = dates_of(field), {}
    for word, text in (given or {}).items():
        if text and word not in wanted:
            raise ValueError(f"this field takes no date {word!r}" + (f": only {', '.join(wanted)}" if wanted else ""))
    for word in wanted:
        text = ((given or {}).get(word) or "").strip()
        if not text:
            raise ValueError(f"give the file's date '{DATES[word]}' (YYYY-MM-DD) with it")
        try:
            found[word] = date.fromisoformat(text)
        except ValueError:
            raise ValueError(f"{DATES[word]}: {text[:40]!r} is no date; write it as YYYY-MM-DD") from None
    if found.get("expires", date.max) < found.get("effective", date.min):
        raise ValueError("the file would expire before it takes effect")
    return found


def max_bytes(field, ceiling):
    """The most bytes a file field takes: its ``x-max-bytes``, never above the service's ``ceiling``."""
    return min(field.get("x-max-bytes") or ceiling, ceiling)


def unreceived(process):
    """Deploy problems for the forms with a file field where no file is received: a message's form.
    A message comes from a machine in one JSON request, with nobody to give a file first and no task
    or start to claim it; files are taken on task pages, link pages, start forms and through the API."""
    return [{"file": process.filename, "element": element,
             "message": f"the form {form!r} has a file field, which a message cannot carry: give the file on "
                        "a task's form after the message, or on the start form"}
            for element, form in (process.inputs.get("messages") or {}).items()
            if form and fields_of(process.forms.get(form))]


def deploy_problems(schema):
    """Why a form's file fields may not be deployed, each naming the field."""
    problems, top = [], {id(field) for field, _ in fields_of(schema).values()}
    for where, sub in _walk(schema):
        if not (is_file(sub) or "x-accept" in sub or "x-max-bytes" in sub or "x-dates" in sub):
            continue
        if not is_file(sub):
            problems.append(f"{where}: x-accept, x-max-bytes and x-dates belong to a file field, "
                            "{\"type\": \"string\", \"format\": \"binary\"}")
        elif id(sub) not in top:
            problems.append(f"{where}: a file field must be a property of the form itself or of the rows of a "
                            "table there, or the items of one")
        kinds = sub.get("x-accept", [sub["contentMediaType"]] if "contentMediaType" in sub else [])
        if not isinstance(kinds, list) or not all(isinstance(k, str) and k in KNOWN for k in kinds) or \
                ("x-accept" in sub and not kinds):
            problems.append(f"{where}: the media types a file field takes (x-accept, contentMediaType) must be "
                            f"among {', '.join(KNOWN)}: a10flow checks these against the file's content")
        limit = sub.get("x-max-bytes")
        if limit is not None and (not isinstance(limit, int) or isinstance(limit, bool) or limit < 1):
            problems.append(f"{where}: x-max-bytes must be a whole number of bytes, 1 or more")
        dates = sub.get("x-dates", [])
        if not isinstance(dates, list) or not all(isinstance(d, str) and d in DATES for d in dates):
            problems.append(f"{where}: x-dates lists the dates each file is given with, among "
                            f"{', '.join(DATES)}")
    return problems


def _walk(schema, path="(root)"):
    if isinstance(schema, dict):
        yield path, schema
        for key, value in schema.items():
            yield from _walk(value, f"{path}/{key}")
    elif isinstance(schema, list):
        for index, value in enumerate(schema):
            yield from _walk(value, f"{path}/{index}")


def label(name):
    """A file's name as a label to show and offer on download. :raises ValueError: in words, when it
    is no plain name (a path, a control character, too long)."""
    if not isinstance(name, str) or not name.strip():
        raise ValueError("the file has no name")
    if any(unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") for c in name):   # NUL, line breaks, bidi overrides
        raise ValueError("the file's name holds a control character (such as NUL or a line break): rename the file")
    if "/" in name or "\\" in name or name.strip(". ") == "":
        raise ValueError("the file's name holds a path ('/', '\\' or '..'): give the file itself, with a plain name")
    if len(name) > MAX_NAME:
        raise ValueError(f"the file's name is {len(name):,} characters long; at most {MAX_NAME} are taken")
    return unicodedata.normalize("NFC", name.strip())


def media_type(content, name, accept):
    """The real media type of ``content``, one of ``accept``. :raises ValueError: in words, when it is
    of another type than the field takes or its name says, an archive bomb, or a polyglot."""
    real = magic.from_buffer(content[:65536], mime=True)
    real = "text/plain" if real == "text/csv" else real
    took = next((kind for kind in accept if real in _SAME.get(kind, {kind})), None)
    words = " or ".join(KNOWN.get(kind, kind) for kind in accept)
    if took is None:
        raise ValueError(f"this file is {KNOWN.get(real, real)}, not {words}, whatever its name says")
    named = mimetypes.guess_type(name)[0]
    if named and real not in _SAME.get(named, {named}) and named not in _SAME.get(took, {took}):
        raise ValueError(f"the file's name says {named} but the file is {KNOWN[took]}: name it for what it is")
    if real == "application/zip" or zipfile.is_zipfile(io.BytesIO(content)):
        if took not in ("application/zip", *(k for k in KNOWN if "openxml" in k or "opendocument" in k)):
            raise ValueError(f"this file is {KNOWN[took]} and a ZIP archive at once: such a file is refused")
        _unpacks(content)
    if took != "text/plain" and any(tag in content.lower() for tag in _MARKUP):
        raise ValueError(f"this file is {KNOWN[took]} with a web page inside: such a file is refused")
    return took


def _unpacks(content):
    """:raises ValueError: the archive is damaged, or unpacks to more than MAX_UNPACKED bytes (a zip
    bomb); it is unpacked, bounded, rather than trusting the sizes it declares."""
    total = 0
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            entries = archive.infolist()
            if len(entries) > MAX_ENTRIES:
                raise ValueError(f"the archive holds {len(entries):,} files; at most {MAX_ENTRIES:,} are taken")
            for entry in entries:
                with archive.open(entry) as member:
                    while chunk := member.read(1 << 16):
                        total += len(chunk)
                        if total > MAX_UNPACKED:
                            raise ValueError(f"the archive unpacks to more than {MAX_UNPACKED // 2**20} MB: "
                                             "an archive bomb is refused")
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, EOFError, RuntimeError) as exc:
        raise ValueError(f"the archive is damaged or encrypted ({exc})") from None
