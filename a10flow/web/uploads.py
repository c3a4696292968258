"""Files chosen on a page's form (a task's, a link's, a start form): each given, then named in the
form's data by its document's id, as the API's clients name theirs."""
import copy

from ..errors import Invalid, TooLarge
from ..work import document_checks


def given(schema, data, posted, give):
    """``(data, refused)``: ``data`` with each file ``posted`` (a request: its files, and beside each the
    dates its field asks for, ``<path>:expires``) for a file field of ``schema`` (a table's by its row's
    path, ``certifications/0/certificate``) given by ``give(path, file, dates)``, which returns its Document, in place of any given before there; ``refused``: None, or the refusal of the files refused
    for what they are (TooLarge if one was too big, else Invalid), its details one per field. Such a
    refusal leaves the other files given: the page shows them received, and each refused field says why.

    :raises: what ``give`` raises but for a file's own faults (see a10flow.work.documents.receive)"""
    data, refusals = copy.deepcopy(data), []
    for path, many in list(document_checks.places(schema, data)):
        chosen = [f for f in posted.files.getlist(path) if f.filename]
        dates = {word: posted.form.get(f"{path}:{word}") for word in document_checks.DATES}
        try:
            ids = [give(path, f, dates).id for f in chosen]
        except (Invalid, TooLarge) as exc:
            refusals.append(exc)
            continue
        if ids:
            document_checks.put(data, path, ids if many else ids[-1])
    if not refusals:
        return data, None
    kind = TooLarge if any(isinstance(r, TooLarge) for r in refusals) else Invalid
    return data, kind("; ".join(r.message for r in refusals), [d for r in refusals for d in r.details])


def chosen(files):
    """The fields (by path) a page was sent a file for."""
    return [path for path, f in files.items(multi=True) if f.filename]
