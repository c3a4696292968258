"""Every page each person can reach, on a service that has lived a little: the bundled processes
deployed as `make run` deploys them, and instances in every state (waiting for a supplier, half
approved, registered with a corrective action open, rejected, completed, cancelled, failed),
links out, an engagement granted. Each person follows every link their pages offer, as someone
clicking around would; no page may fail, and none may speak in the engine's words."""
import re
from collections import Counter, deque
from datetime import datetime, timedelta, timezone
from html import unescape
from urllib.parse import urljoin, urlsplit

from helpers import DATA, ROOT, File, Speaker, Visitor, given, probe, signed_in
from pages import person

from a10flow import clock
from a10flow.cli import DEMO_USERS, main
from a10flow.evidence import engagements
from a10flow.models import Role, User, db
from a10flow.people import auth, directory

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=timezone.utc)
REQUEST = {"contact_email": "anna@acme.example", "business_owner": "olivia", "supplied": ["dataset"],
           "ai_systems": ["credit-scoring"], "personal_data": True, "pii_role": "processor"}
DETAILS = {"legal_name": "Acme Data Ltd", "country": "IE", "dpa_signed": True, "incident_notification": True,
           "change_notification": True, "dpa": File(name="acme-dpa.pdf", effective="2026-10-01"),
           "certifications": [{"name": "ISO/IEC 27001", "certificate": File(name="iso27001.pdf", expires="2026-12-01")}]}
CONTRACT = File(name="msa.pdf", effective="2026-11-01", expires="2029-10-31")
RISK = {"data_sensitivity": "high", "business_criticality": "low", "substitutability": "easy",
        "regulatory_exposure": "none"}
CLAUSES = {k: "in the contract" for k in ("ai_responsibilities", "change_and_incident_notification", "documentation_delivery",
                             "no_training_on_our_data", "art_25_4_agreement")}
CHANGE = {"ai_system": "credit-scoring", "version_from": "2.3", "version_to": "3.0",
          "change_type": "model update or retraining", "predetermined": False,
          "customers": [{"name": "Bank A", "contact": "ops@bank-a.example", "account_manager": "alice"}]}

# What only the engine, Python or a template says: a person must never read it on a page.
ENGINE_WORDS = re.compile(r"Traceback|SpiffWorkflow|TaskSpec|task spec|WorkflowException|BpmnWorkflow|"
                          r"\b(?:Key|Type|Name|Attribute|Value|Index)Error\b|object has no attribute|"
                          r"unhashable|Undefined|\bNone\b(?!\.| yet)|\{\{|\{%|Something went wrong")
# Links that would end the visit or only download what other tests read.
LEAVE_ALONE = re.compile(r"/sign-out|/pack\b|/xml$|/export|/static/|\.pdf$|\.zip$|/documents/[0-9a-f-]{36}$")


def _people(app):
    client = app.test_client()
    with app.app_context():
        users = {u.name: u for u in db.session.scalars(db.select(User))}
        found = {name: Speaker(client, auth.issue_token(users[name]), name) for name, _, _ in DEMO_USERS}
        db.session.commit()
    found[None] = Speaker(client, None, None)
    return found


def _open(people, instance_id, element):
    return [t for t in people["olivia"].get(f"/api/v1/instances/{instance_id}").json["open_tasks"]
            if t["element_id"] == element]


def _do(people, who, task, data):
    data = given(people[who], f"/api/v1/tasks/{task['id']}/documents", data)
    done = people[who].post(f"/api/v1/tasks/{task['id']}/complete", json={"data": data})
    assert done.status_code == 200, (task["name"], done.json)


def _supplier(people, name):
    started = people["alice"].post("/api/v1/instances", json={"process": "supplier_onboarding",
                                                               "data": dict(REQUEST, supplier_name=name)})
    assert started.status_code == 201, started.json
    return started.json["id"]


def _answered(people, instance_id):
    """The supplier's contact has answered the due diligence through a link, and security has
    assessed the risk; returns the link."""
    [details] = _open(people, instance_id, "due_diligence")
    link = people["alice"].post(f"/api/v1/tasks/{details['id']}/links", json={"party": "anna@acme.example"}).json
    answer = given(people[None], link["path"] + "/documents", DETAILS)
    assert people[None].post(link["path"], json={"data": answer}).status_code == 200
    [assess] = _open(people, instance_id, "assess_risk")
    _do(people, "sam", assess, RISK)
    return link


def lived_in(app):
    """Instances in every state, made through the API as the demo people would; returns the link
    and engagement tokens that outsiders hold."""
    clock.set(T0)
    people = _people(app)
    waiting = _supplier(people, "Waiting Ltd")   # due diligence out to the supplier, by link
    [details] = _open(people, waiting, "due_diligence")
    link = people["alice"].post(f"/api/v1/tasks/{details['id']}/links", json={"party": "anna@acme.example"}).json

    half = _supplier(people, "Halfway GmbH")   # approvals under way, one claimed
    links = [link, _answered(people, half)]   # one waiting, one answered
    approvals = _open(people, half, "approve_supplier")
    _do(people, "alice", next(t for t in approvals if "procurement" in t["candidate_groups"]),
        {"approval": {"decision": "approve"}})
    assert people["lee"].post(f"/api/v1/tasks/{next(t for t in approvals if 'legal' in t['candidate_groups'])['id']}"
                              "/claim").status_code == 200

    registered = _supplier(people, "Registered SA")   # in the register, a corrective action open
    _answered(people, registered)
    for task in _open(people, registered, "approve_supplier"):
        group = task["candidate_groups"][0]
        _do(people, {"procurement": "alice", "security": "sofia", "legal": "lee"}[group], task,
            {"approval": {"decision": "approve"}})
    [checklist] = _open(people, registered, "check_contract")
    _do(people, "lee", checklist, {"contract": CONTRACT, "clauses": dict(CLAUSES, audit_rights="missing")})

    rejected = _supplier(people, "Rejected BV")
    _answered(people, rejected)
    for task in _open(people, rejected, "approve_supplier"):
        group = task["candidate_groups"][0]
        _do(people, {"procurement": "alice", "security": "sofia", "legal": "lee"}[group], task,
            {"approval": {"decision": "reject", "comment": "no audit rights at all"}})

    cancelled = _supplier(people, "Cancelled Inc")
    assert people["olivia"].post(f"/api/v1/instances/{cancelled}/cancel",
                                 json={"reason": "asked for twice"}).status_code == 200

    done = people["olivia"].post("/api/v1/instances", json={"process": "customer_change_notification",
                                                           "data": dict(CHANGE, materiality="low")}).json
    assert done.get("status") == "completed", done
    notice = people["olivia"].post("/api/v1/instances", json={"process": "customer_change_notification",
                                                             "data": dict(CHANGE, materiality="high")})
    assert notice.status_code == 201, notice.json
    matrix = people["olivia"].post("/api/v1/instances", json={"process": "responsibility_signoff",
                                                             "data": {"ai_system": "credit-scoring"}})
    assert matrix.status_code == 201, matrix.json

    assert people["olivia"].deploy(("probe.bpmn", probe("found = 1 / 0"))).status_code == 201
    failed = people["olivia"].post("/api/v1/instances", json={"process": "probe_process"}).json
    assert failed["incidents"], failed
    assert people["olivia"].deploy(DATA / "purchase.bpmn", DATA / "request.json").status_code == 201

    with app.app_context():
        owner = db.session.scalar(db.select(User).where(User.name == "olivia"))
        directory.create_user(directory.CLI, "rita", Role.EXTERNAL_AUDITOR, password="rita-secret")
        period = (T0.date() - timedelta(days=30), T0.date() + timedelta(days=30), T0.date() + timedelta(days=60))
        engagements.grant(owner, "Rita Roe", ["A.10.3"], *period, "rita")
        _, engagement = engagements.grant(owner, "Rita Roe", ["A.10.3", "A.10.4"], *period)
        db.session.commit()
    return {"links": [f"/x/{link['path'].rsplit('/', 1)[1]}" for link in links], "engagement": f"/e/{engagement}"}


def kind_of(url):
    """Which page an address is, whatever it is about: /tasks/N for every task."""
    return re.sub(r"[0-9a-f]{8}-[0-9a-f-]{27}|\d+", "N", urlsplit(url).path)


def follow(start, visit, per_kind):
    """Open ``start``'s pages and every page they link to, breadth first, at most ``per_kind``
    of each kind; ``visit(url)`` opens one and gives the addresses it links to."""
    seen, queue, kinds = set(), deque(start), Counter()
    while queue:
        url = queue.popleft()
        if url in seen or kinds[kind_of(url)] >= per_kind:
            continue
        seen.add(url)
        kinds[kind_of(url)] += 1
        for href in visit(url):
            target = urljoin(url, href.split("#")[0].replace("&amp;", "&"))
            if target.startswith("/") and not target.startswith("//") and not LEAVE_ALONE.search(target):
                queue.append(target)
    return seen


def crawl(visitor, start):
    """Every page reachable from ``start`` by following links (GET), as ``visitor``: each page's
    address with its answer. Pages of one kind (one task, one instance) are opened up to a dozen
    times each, enough for every state of the data above."""
    pages = {}

    def visit(url):
        response = visitor.get(url)
        if response.status_code in (301, 302, 303):
            return [response.headers["Location"]]
        pages[url] = response
        return re.findall(r'href="([^"#]+)', response.text) if response.mimetype == "text/html" else []
    follow(start, visit, 12)
    return pages


def _text(html):
    """What a person reads: the page without its markup, scripts and attribute values."""
    html = re.sub(r"(?s)<(script|style)\b.*?</\1>", " ", html)
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)))


def test_every_page_every_role_opens_with_real_data_in_every_state(app):
    app.config.update(A10FLOW_WORKFLOWS_DIR=str(ROOT / "workflows"), A10FLOW_FORMS_DIR=str(ROOT / "forms"))
    result = app.test_cli_runner().invoke(main, ["init", "--demo"])
    assert result.exit_code == 0, result.output
    held = lived_in(app)

    visitors = {name: signed_in(app, name) for name, _, _ in DEMO_USERS}
    visitors["rita"] = signed_in(app, "rita")
    signed = set(visitors)
    visitors["a supplier's contact"] = Visitor(app)
    visitors["an auditor by link"] = Visitor(app)
    starts = {name: ["/"] for name in visitors}
    starts["a supplier's contact"] = held["links"]
    starts["an auditor by link"] = [held["engagement"]]

    failures, opened = [], {}
    for name, visitor in visitors.items():
        pages = crawl(visitor, starts[name])
        opened[name] = len(pages)
        if name in signed:   # every signed-in person reaches their own account from every page's header
            assert {"/account", "/account/two-factor"} <= set(pages), (name, sorted(pages))
        for url, page in pages.items():
            if page.status_code >= 500 or page.status_code in (403, 404) and url not in starts[name]:
                failures.append((name, url, page.status_code))   # failed, or offered to who may not open it
            elif page.mimetype == "text/html" and (words := ENGINE_WORDS.findall(_text(page.text))):
                failures.append((name, url, sorted(set(words))))
    assert not failures, "\n".join(map(str, failures))
    # Each person met a real part of the service, not only a sign-in page.
    assert opened["olivia"] > 40 and opened["audrey"] > 20 and opened["alice"] > 15, opened
    assert opened["a supplier's contact"] >= 1 and opened["an auditor by link"] >= 1, opened


NONSENSE = "<b>'\"{{7*7}}${x}%s\u202e" + "x" * 300   # markup, template and format syntax, a direction override


def forms_on(url, html):
    """Every way to send each form on a page: ``(action, fields)`` per submit button, its visible
    fields filled with nonsense, its hidden ones (the CSRF token among them) as the page gave them."""
    from lxml import html as parse
    found = []
    for form in parse.fromstring(html).iterfind(".//form"):
        if (form.get("method") or "get").lower() != "post":
            continue
        action = urljoin(url, form.get("action") or url)
        fields = {}
        for node in form.iter("input", "select", "textarea"):
            name, kind = node.get("name"), (node.get("type") or "text").lower()
            if not name or kind in ("submit", "button", "file"):
                continue
            fields[name] = node.get("value") or "" if kind == "hidden" else "on" if kind in ("checkbox", "radio") \
                else NONSENSE
        buttons = [b for b in form.iter("button") if (b.get("type") or "submit") == "submit"] or [None]
        for button in buttons:
            extra = {button.get("name"): button.get("value") or ""} if button is not None and button.get("name") else {}
            found.append((action, {**fields, **extra}))
    return found


def test_every_form_every_role_sends_nonsense_and_gets_words_back(app):
    """Each person sends every form their pages offer, filled with nonsense: a refusal in words
    or a change, never a failure of the service; what they typed, shown back, is text, never
    markup the page runs or a template it evaluates."""
    app.config.update(A10FLOW_WORKFLOWS_DIR=str(ROOT / "workflows"), A10FLOW_FORMS_DIR=str(ROOT / "forms"))
    assert app.test_cli_runner().invoke(main, ["init", "--demo"]).exit_code == 0
    held = lived_in(app)
    failures, sent = [], 0
    for name in [n for n, _, _ in DEMO_USERS] + [None]:
        visitor = signed_in(app, name) if name else Visitor(app)
        pages = crawl(visitor, ["/"] if name else held["links"])
        tried = set()
        for url, page in pages.items():
            if page.mimetype != "text/html":
                continue
            for action, fields in forms_on(url, page.text):
                kind = (kind_of(action), fields.get("action"))
                if kind in tried or "sign-out" in action:
                    continue
                tried.add(kind)
                visitor.token = fields.get("csrf_token", visitor.token)
                answer = visitor.post(action, {k: v for k, v in fields.items() if k != "csrf_token"})
                sent += 1
                if answer.status_code >= 500:
                    failures.append((name, action, fields.get("action"), answer.status_code))
                elif answer.mimetype == "text/html" and (words := ENGINE_WORDS.findall(
                        _text(answer.text).replace(NONSENSE, ""))):   # what was typed, shown back
                    failures.append((name, action, fields.get("action"), sorted(set(words))))
                elif NONSENSE[:12] in answer.text or "<b>'\"49" in _text(answer.text):
                    failures.append((name, action, fields.get("action"), "shown back as markup, or run"))
    assert not failures, "\n".join(map(str, failures))
    assert sent > 30, sent


def test_owner_staff_and_auditor_click_through_every_page_in_a_browser_without_a_script_error(app, demo, browser):
    """The same walk in a real browser for three of them: no page fails, and no page's script fails
    (the diagrams, the modeller, the forms' own script) or reports an error in the console."""
    lived_in(app)
    failures, opened = [], {}
    for name in ("olivia", "alice", "audrey"):
        page = person(browser, demo, name)
        problems = []
        page.on("pageerror", lambda exc, problems=problems: problems.append(f"script: {exc}"))
        # A page of JSON has no icon of its own: the browser's guess at one is not the page's error.
        page.on("console", lambda msg, problems=problems: problems.append(f"console: {msg.text}")
                if msg.type == "error" and not msg.location.get("url", "").endswith("/favicon.ico") else None)

        def visit(url, page=page, problems=problems, name=name):
            answer = page.goto(demo + url)
            page.wait_for_load_state("networkidle")
            if answer is None or answer.status >= 500 or problems:
                failures.append((name, url, answer and answer.status, list(problems)))
                problems.clear()
            return page.eval_on_selector_all("a[href]", "links => links.map(a => a.getAttribute('href'))")
        seen = follow(["/"], visit, 3)
        opened[name] = len(seen)
        page.context.close()
    assert not failures, "\n".join(map(str, failures))
    assert opened["olivia"] > 20 and opened["audrey"] > 10, opened
