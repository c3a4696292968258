"""What the tests share besides fixtures: clients speaking as each test user, a browser without
JavaScript, a mail server, the bundled processes, and builders of small BPMN files and forms."""
import io
import json
import re
import socket
import sqlite3
from pathlib import Path
from urllib.parse import urlencode

import psycopg
from aiosmtpd.controller import Controller
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from a10flow.models import Role, User, db
from a10flow.people import auth, directory

ROOT = Path(__file__).parents[1]
DATA = Path(__file__).parent / "data"
CORPUS = Path(__file__).parents[1].parent / "shared" / "corpus"


class Speaker:
    """A test client that sends one user's token with every request."""

    def __init__(self, client, token, user):
        self.client, self.user = client, user
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}

    def __getattr__(self, method):
        def call(url, **kwargs):
            headers = {**self.headers, **kwargs.pop("headers", {})}
            return getattr(self.client, method)(url, headers=headers, **kwargs)
        return call

    def deploy(self, *files):
        """Deploy files: paths, or (name, bytes) pairs."""
        parts = []
        for f in files:
            name, data = (f if isinstance(f, tuple) else (Path(f).name, Path(f).read_bytes()))
            parts.append(FileStorage(io.BytesIO(data), filename=name))
        # Encoded in memory: the test client would spool a large upload to a file it never closes.
        boundary, body = encode_multipart(MultiDict([("file", part) for part in parts]))
        return self.post("/api/v1/definitions", data=body, content_type=f"multipart/form-data; boundary={boundary}")


def wait_process(timer):
    """A process that waits on one timer: ``timer`` is the inside of its timerEventDefinition."""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="defs" targetNamespace="x">
  <bpmn:process id="wait" isExecutable="true">
    <bpmn:startEvent id="s"><bpmn:outgoing>a</bpmn:outgoing></bpmn:startEvent>
    <bpmn:intermediateCatchEvent id="pause" name="Pause"><bpmn:incoming>a</bpmn:incoming>
      <bpmn:outgoing>b</bpmn:outgoing><bpmn:timerEventDefinition>{timer}</bpmn:timerEventDefinition>
    </bpmn:intermediateCatchEvent>
    <bpmn:endEvent id="e"><bpmn:incoming>b</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="a" sourceRef="s" targetRef="pause"/>
    <bpmn:sequenceFlow id="b" sourceRef="pause" targetRef="e"/>
  </bpmn:process>
</bpmn:definitions>""".encode()


BUNDLED = {   # the A.10 processes in workflows/, with their decision tables and forms
    "customer_change_notification": [
        "workflows/customer-change-notification.bpmn", "workflows/customer-notice-decision.dmn",
        "forms/change-record.schema.json", "forms/change-notice.schema.json", "forms/notice-approval.schema.json",
        "forms/change-acknowledgement.schema.json", "forms/customer-follow-up.schema.json",
        "forms/objection-resolution.schema.json"],
    "supplier_onboarding": [
        "workflows/supplier-onboarding.bpmn", "workflows/supplier-risk-tier.dmn",
        "forms/supplier-request.schema.json", "forms/supplier-details.schema.json", "forms/supplier-risk.schema.json",
        "forms/supplier-approval.schema.json", "forms/contract-checklist.schema.json",
        "forms/corrective-action-closure.schema.json", "forms/supplier-incident.schema.json",
        "forms/supplier-register.schema.json"],
    "responsibility_signoff": [
        "workflows/responsibility-signoff.bpmn", "forms/matrix-request.schema.json",
        "forms/responsibility-matrix.schema.json",
        "forms/matrix-acceptance.schema.json", "forms/responsibility-register.schema.json"],
}


HEAD = ('<?xml version="1.0" encoding="UTF-8"?>\n<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/'
        '20100524/MODEL" id="d" targetNamespace="x">')
CAMUNDA = ' xmlns:camunda="http://camunda.org/schema/1.0/bpmn"'


def bpmn(body, process="p", extra="", ns="", name=None):
    """A BPMN file of one executable process ``process`` (called ``name``, if given) holding ``body``:
    ``extra`` goes beside the process (messages, signals, other pools), ``ns`` into the root element
    (namespaces)."""
    called = f' name="{name}"' if name else ""
    return (f"{process}.bpmn", f'{HEAD[:-1]}{ns}>{extra}<bpmn:process id="{process}"{called} isExecutable="true">'
                               f'{body}</bpmn:process></bpmn:definitions>'.encode())


def flow(source, target, n):
    """A sequence flow ``f<n>`` from ``source`` to ``target``."""
    return f'<bpmn:sequenceFlow id="f{n}" sourceRef="{source}" targetRef="{target}"/>'


def process(body, flows):
    """A process ``p`` from start event ``s`` through ``body`` to end event ``e``; ``flows`` are
    (source, target, condition XML)."""
    arrows = "".join(f'<bpmn:sequenceFlow id="f{i}" sourceRef="{a}" targetRef="{b}">{condition}</bpmn:sequenceFlow>'
                     for i, (a, b, condition) in enumerate(flows))
    return bpmn(f'<bpmn:startEvent id="s"/>{body}<bpmn:endEvent id="e"/>{arrows}', ns=CAMUNDA)[1]


def form(element, required=(), **fields):
    """A form for ``element``, which finds it by its name (``<element>.schema.json``), declaring
    ``fields`` (name: JSON Schema); e.g. the start data a test process takes."""
    schema = {"type": "object", "properties": fields, "required": list(required)}
    return f"{element}.schema.json", json.dumps(schema).encode()


def deploy_bundled(as_, process):
    """Deploy one bundled A.10 process with its decision table and forms, as the owner."""
    response = as_["owner"].deploy(*(ROOT / name for name in BUNDLED[process]))
    assert response.status_code == 201, response.json
    return response.json


def probe(script):
    """A process that runs one script task, ``probe``."""
    script = script.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="x">
  <bpmn:process id="probe_process" isExecutable="true">
    <bpmn:startEvent id="s"><bpmn:outgoing>a</bpmn:outgoing></bpmn:startEvent>
    <bpmn:scriptTask id="probe" name="Probe"><bpmn:incoming>a</bpmn:incoming><bpmn:outgoing>b</bpmn:outgoing>
      <bpmn:script>{script}</bpmn:script></bpmn:scriptTask>
    <bpmn:endEvent id="e"><bpmn:incoming>b</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="a" sourceRef="s" targetRef="probe"/>
    <bpmn:sequenceFlow id="b" sourceRef="probe" targetRef="e"/>
  </bpmn:process>
</bpmn:definitions>""".encode()


USERS = {
    "admin": (Role.ADMIN, []),
    "owner": (Role.OWNER, ["process-owners", "ai-system-owners"]),
    "alice": (Role.STAFF, ["procurement", "account-managers"]),
    "bob": (Role.STAFF, ["procurement"]),
    "sam": (Role.STAFF, ["security"]),
    "lee": (Role.STAFF, ["legal"]),
    "leah": (Role.STAFF, ["security-leads", "legal-leads", "management"]),   # where overdue work escalates
    "auditor": (Role.AUDITOR, []),
}


def speakers(app):
    """A client for each test user (created now), and one for nobody (None)."""
    client = app.test_client()
    found = {None: Speaker(client, None, None)}
    with app.app_context():
        for name, (role, groups) in USERS.items():
            user = directory.create_user(directory.CLI, name, role, groups)
            found[name] = Speaker(client, auth.issue_token(user), name)
        db.session.commit()
    return found


def purchase_for_outsiders(as_):
    """A version of the purchase whose first task may be handed out by link (it names an externalParty)."""
    bpmn = (DATA / "purchase.bpmn").read_bytes().replace(
        b'costs.</bpmn:documentation>', b'costs.</bpmn:documentation><bpmn:extensionElements><camunda:properties>'
        b'<camunda:property name="externalParty" value="None"/></camunda:properties></bpmn:extensionElements>')
    assert as_["owner"].deploy(("purchase.bpmn", bpmn), DATA / "request.json").status_code == 201


class Visitor:
    """A browser without JavaScript: keeps its cookies, sends the page's CSRF token back."""

    def __init__(self, app):
        self.client = app.test_client()
        self.token = None

    def _keep_token(self, page):
        found = re.search(r'name="csrf_token" value="([^"]+)"', page.text) if page.mimetype == "text/html" else None
        self.token = found.group(1) if found else self.token
        return page

    def get(self, url, **kwargs):
        return self._keep_token(self.client.get(url, **kwargs))

    def post(self, url, data=None, csrf=True, **kwargs):
        data = dict(data or {})
        if csrf:
            data["csrf_token"] = self.token
        return self._keep_token(self.client.post(url, data=data, **kwargs))

    def sign_in(self, name, password=None):
        self.get("/sign-in")
        return self.post("/sign-in", {"name": name, "password": password or f"{name}-secret"})


def set_passwords(app, *names):
    with app.app_context():
        for name in names:
            auth.set_password(db.session.scalar(db.select(User).where(User.name == name)), f"{name}-secret")
        db.session.commit()


def signed_in(app, name):
    """A Visitor signed in as ``name`` (password set for it)."""
    set_passwords(app, name)
    visitor = Visitor(app)
    assert visitor.sign_in(name).status_code == 302
    visitor.get("/inbox", follow_redirects=True)   # signing in starts a new session: the forms of its pages carry its token
    return visitor


class Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope)
        return "250 OK"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class MailServer:
    """A real SMTP server (aiosmtpd) on loopback that a test can take down and bring back."""

    def __init__(self):
        self.inbox, self.port, self.controller = Inbox(), free_port(), None
        self.up()

    def up(self):
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def down(self):
        if self.controller:
            self.controller.stop()
            self.controller = None


def pdf(text="Data processing agreement, signed", extra=b""):
    """A small real PDF of one page saying ``text`` (``extra``: more objects' bytes before the xref)."""
    stream = f"BT /F1 18 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
               b"/Resources << /Font << /F1 5 0 R >> >> >>",
               b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream),
               b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    out += extra
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def a_document(app, instance_id, task_id, content=None):
    """A document given on ``task_id`` (kept as an upload keeps one), for tests of who may fetch it; its id."""
    from a10flow.models import Document
    from a10flow.work.document_store import store
    content = content or pdf()
    with app.app_context():
        document = Document(id="5d0c2f4e-0000-4000-8000-000000000001", sha256=store().put(content), name="quote.pdf",
                            media_type="application/pdf", size=len(content), field="quote",
                            instance_id=instance_id, task_id=task_id, given_by="alice")
        db.session.add(document)
        db.session.commit()
        return document.id


def hold_writes(app):
    """Another connection holding what a start needs, as an operator's long transaction would: on
    PostgreSQL a lock on the instances, on SQLite the write lock. Returns what releases it."""
    with app.app_context():
        url = db.engine.url
    if url.get_backend_name() == "sqlite":
        other = sqlite3.connect(url.database, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
    else:
        other = psycopg.connect(url.set(drivername="postgresql").render_as_string(hide_password=False))
        other.execute("LOCK TABLE instances IN ACCESS EXCLUSIVE MODE")
    return lambda: (other.rollback(), other.close())


class File:
    """A file a test gives for a form's file field, put in the data where it goes: ``given`` uploads it
    and names it there by its document's id. ``dates``: those its field asks for (expires=...)."""

    def __init__(self, content=None, name="document.pdf", **dates):
        self.content, self.name, self.dates = content or pdf(), name, dates


class NotGiven(Exception):
    """The service refused a File (its answer is ``.answer``)."""

    def __init__(self, answer):
        super().__init__(answer.status_code)
        self.answer = answer


def given(speaker, url, data, path=""):
    """``data`` with each File in it given (as ``speaker``, to ``url``: a task's or a link's documents)
    and named by its document's id; a field of several files by its name, a table row's by its path.
    :raises NotGiven: a file was refused."""
    if isinstance(data, File):
        answer = speaker.post(f"{url}?{urlencode({'field': path, **data.dates})}",
                              data={"file": (io.BytesIO(data.content), data.name)})
        if answer.status_code != 201:
            raise NotGiven(answer)
        return answer.json["document"]
    if isinstance(data, dict):
        return {k: given(speaker, url, v, f"{path}/{k}" if path else k) for k, v in data.items()}
    if isinstance(data, list):
        return [given(speaker, url, v, path if isinstance(v, File) else f"{path}/{i}") for i, v in enumerate(data)]
    return data
