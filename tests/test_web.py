"""The web pages, through the test client: sign in, the inbox, a task's form with its errors,
drafts and table rows, notifications, and an external party's page. (tests/test_browser.py
walks the same stories in a real browser.)"""
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

from helpers import Visitor, deploy_bundled, given, set_passwords, signed_in

from a10flow import clock
from a10flow.models import db

T0 = datetime(2026, 4, 1, 9, 0, tzinfo=timezone.utc)


def test_sign_in_and_out(app, as_):
    set_passwords(app, "alice")
    visitor = Visitor(app)
    assert visitor.get("/inbox").headers["Location"].startswith("/sign-in?next=/inbox")
    wrong = visitor.sign_in("alice", "guess")
    assert wrong.status_code == 401 and "do not match" in wrong.text
    assert visitor.sign_in("nobody", "guess").status_code == 401   # the same answer for an unknown name
    done = visitor.post("/sign-in", {"name": "alice", "password": "alice-secret", "next": "https://evil.example/"})
    assert done.status_code == 302 and done.headers["Location"] == "/inbox"   # never sent off-site
    assert "alice" in visitor.get("/inbox").text
    assert visitor.post("/sign-out").status_code == 302
    assert visitor.get("/inbox").status_code == 302


def test_forms_without_the_csrf_token_are_refused(app, as_, purchase):
    visitor = signed_in(app, "alice")
    instance = as_["alice"].post("/api/v1/instances", json={"process": "purchase"}).json
    task_id = instance["open_tasks"][0]["id"]
    forged = visitor.post(f"/tasks/{task_id}/claim", csrf=False)
    assert forged.status_code == 400 and "This form has expired" in forged.text
    assert as_["alice"].get(f"/api/v1/tasks/{task_id}").json["assignee"] is None


def test_staff_complete_a_task_after_fixing_the_form(app, as_, purchase):
    clock.set(T0)
    first = as_["alice"].post("/api/v1/instances", json={"process": "purchase", "business_key": "PO-1"}).json
    clock.set(T0 + timedelta(days=4))   # the first is overdue now
    as_["alice"].post("/api/v1/instances", json={"process": "purchase", "business_key": "PO-2"})
    visitor = signed_in(app, "bob")

    inbox = visitor.get("/inbox").text
    assert inbox.index("PO-1") < inbox.index("PO-2") and "overdue" in inbox and "Overdue: 1" in inbox
    assert "PO-2" not in visitor.get("/inbox?key=PO-1").text
    assert "Nothing waiting" in visitor.get("/inbox?show=mine").text

    task_id = first["open_tasks"][0]["id"]
    page = visitor.get(f"/tasks/{task_id}").text
    assert "Say what the tool is and what it costs." in page and 'for="f-amount"' in page
    bad = visitor.post(f"/tasks/{task_id}", {"action": "complete", "tool": "", "amount": "-5"})
    assert bad.status_code == 422
    assert re.search(r'id="f-tool-error">this field is required', bad.text)
    assert re.search(r'id="f-amount-error">must be at least 0', bad.text)
    assert 'value="-5"' in bad.text   # what was typed stays

    done = visitor.post(f"/tasks/{task_id}", {"action": "complete", "tool": "Labeller", "amount": "900"})
    assert done.status_code == 302
    assert "Done: Describe the tool." in visitor.get("/inbox").text
    chain = as_["auditor"].get(f"/api/v1/instances/{first['id']}/evidence").json["items"]
    [completed] = [r for r in chain if r["type"] == "task.completed"]
    assert completed["actor"]["name"] == "bob"
    assert completed["data"]["submitted"] == {"tool": "Labeller", "amount": 900}


def _supplier_details(as_):
    """A supplier onboarding started (the request as its start form): (instance, the due diligence task)."""
    from test_supplier_onboarding import REQUEST
    deploy_bundled(as_, "supplier_onboarding")
    instance = as_["alice"].post("/api/v1/instances", json={"process": "supplier_onboarding", "data": REQUEST}).json
    return instance, instance["open_tasks"][0]


def test_drafts_claims_and_table_rows(app, as_):
    instance, details = _supplier_details(as_)
    task_id = details["id"]
    visitor = signed_in(app, "alice")

    assert visitor.post(f"/tasks/{task_id}/claim").status_code == 302
    assert as_["alice"].get(f"/api/v1/tasks/{task_id}").json["assignee"] == "alice"
    saved = visitor.post(f"/tasks/{task_id}", {"action": "save", "legal_name": "Acme Data Ltd", "dpa_signed": "True"})
    assert saved.status_code == 302
    page = visitor.get(f"/tasks/{task_id}").text
    assert "Draft saved" in page and 'value="Acme Data Ltd"' in page
    assert re.search(r'name="dpa_signed" value="True"\s*checked', page)   # a yes/no choice, kept as chosen

    # Certifications are a table of rows, added and removed by buttons.
    added = visitor.post(f"/tasks/{task_id}", {"action": "add:certifications", "legal_name": "Acme Data Ltd"})
    assert 'name="certifications/0/name"' in added.text and 'value="Acme Data Ltd"' in added.text
    two = visitor.post(f"/tasks/{task_id}", {"action": "add:certifications", "certifications/0/_row": "1",
                                             "certifications/0/name": "ISO/IEC 27001"})
    assert 'name="certifications/1/name"' in two.text and 'value="ISO/IEC 27001"' in two.text
    one = visitor.post(f"/tasks/{task_id}", {"action": "remove:certifications/0",
                                             "certifications/0/_row": "1", "certifications/0/name": "x",
                                             "certifications/1/_row": "1", "certifications/1/name": "SOC 2"})
    assert 'name="certifications/1/name"' not in one.text and 'value="SOC 2"' in one.text


def test_a_draft_is_seen_by_its_author_alone(app, as_):
    _, details = _supplier_details(as_)
    task_id = details["id"]
    alice, bob, owner = signed_in(app, "alice"), signed_in(app, "bob"), signed_in(app, "owner")
    assert alice.post(f"/tasks/{task_id}", {"action": "save", "legal_name": "Secret Merger Target"}).status_code \
        == 302
    for other in (bob, owner):   # another candidate, and an owner, see an empty form
        assert "Secret Merger Target" not in other.get(f"/tasks/{task_id}").text
    assert bob.post(f"/tasks/{task_id}", {"action": "save", "legal_name": "Acme"}).status_code == 302
    assert "Secret Merger Target" in alice.get(f"/tasks/{task_id}").text   # each keeps their own
    assert signed_in(app, "sam").post(f"/tasks/{task_id}", {"action": "save"}).status_code == 404


def test_a_tampered_form_post_is_refused_naming_what_is_wrong(app, as_):
    _, details = _supplier_details(as_)
    visitor = signed_in(app, "alice")
    url = f"/tasks/{details['id']}"
    for action in ("add:", "add:legal_name", "remove:certifications/99999999999", "remove:certifications/x",
                   "add:certifications/0/name", "remove:"):
        refused = visitor.post(url, {"action": action, "certifications/0/name": "x"})
        assert refused.status_code == 422 and "does not have" in refused.text, action
    odd = visitor.post(url, {"action": "add:certifications", "certifications/²/name": "x",
                             "certifications/99999999999/name": "y", "certifications/7/name": "z"})
    assert odd.status_code == 200 and 'value="z"' in odd.text   # rows are renumbered; no row "²" or 99999999999
    assert 'value="x"' not in odd.text and 'value="y"' not in odd.text
    # The supplier's own page refuses the same, with no session at all.
    path = as_["alice"].post(f"/api/v1/tasks/{details['id']}/links", json={"party": "anna@acme.example"}).json["path"]
    page = path.replace("/api/v1/external/", "/x/")
    assert Visitor(app).post(page, {"action": "add:", "certifications/²/name": "x"}, csrf=False).status_code == 422
    assert Visitor(app).post(page, {"action": "add:certifications"}, csrf=False).status_code == 200


def test_notifications_show_their_count_and_can_be_marked_read(app, as_):
    from a10flow import scheduler
    clock.set(T0)
    as_["owner"].deploy(("remind.bpmn", (Path(__file__).parent / "data" / "remind.bpmn").read_bytes()))
    as_["alice"].post("/api/v1/instances", json={"process": "remind"})
    for day in (1, 2):
        clock.set(T0 + timedelta(days=day, minutes=1))
        with app.app_context():
            scheduler.sweep()
    unread = len(as_["alice"].get("/api/v1/notifications?unread=true").json["items"])
    assert unread == 2
    visitor = signed_in(app, "alice")
    assert 'aria-label="2 unread"' in visitor.get("/inbox").text
    page = visitor.get("/notifications").text
    assert page.count('class="unread"') == 2 and "Mark all as read" in page
    assert visitor.post("/notifications/read").status_code == 302
    page = visitor.get("/notifications").text
    assert 'class="badge"' not in page and 'class="unread"' not in page
    assert as_["alice"].get("/api/v1/notifications?unread=true").json["items"] == []


def test_a_customer_answers_through_the_link_page(app, as_):
    deploy_bundled(as_, "customer_change_notification")
    customers = [{"name": "Bank A", "contact": "ops@bank-a.example", "account_manager": "alice"},
                 {"name": "Bank B", "contact": "risk@bank-b.example", "account_manager": "alice"}]
    instance = as_["owner"].post("/api/v1/instances", json={"process": "customer_change_notification", "data": {
        "ai_system": "credit-scoring", "version_from": "2.3", "version_to": "3.0", "materiality": "high",
        "change_type": "model update or retraining", "predetermined": False, "customers": customers}}).json
    as_["owner"].post(f"/api/v1/tasks/{instance['open_tasks'][0]['id']}/complete", json={"data": {"notice": {
        "summary": "New model", "impact": "none", "actions_required": "none", "effective_date": "2027-06-01"}}})
    approval = [t for t in as_["owner"].get(f"/api/v1/instances/{instance['id']}").json["open_tasks"]][0]
    as_["admin"].post(f"/api/v1/tasks/{approval['id']}/complete", json={"data": {"notice_decision": "approve"}})
    [ask] = [t for t in as_["owner"].get(f"/api/v1/instances/{instance['id']}").json["open_tasks"]
             if t["name"].endswith("Bank A")]
    path = as_["owner"].post(f"/api/v1/tasks/{ask['id']}/links", json={"party": "ops@bank-a.example"}).json["path"]
    page_path = path.replace("/api/v1/external/", "/x/")

    visitor = Visitor(app)   # no account, no sign-in
    page = visitor.get(page_path)
    assert page.status_code == 200 and "Customer acknowledges or objects" in page.text
    assert 'name="viewport"' in page.text and "Sign out" not in page.text
    assert "New model" in page.text and "Bank B" not in page.text   # the notice; not the other customers
    bad = visitor.post(page_path, {"action": "submit"}, csrf=False)
    assert bad.status_code == 422 and "Please correct the fields" in bad.text
    done = visitor.post(page_path, {"action": "submit", "response": "acknowledge"}, csrf=False)
    assert done.status_code == 200 and "Thank you" in done.text
    again = visitor.get(page_path)
    assert again.status_code == 410 and "can no longer be used" in again.text
    chain = as_["auditor"].get(f"/api/v1/instances/{instance['id']}/evidence").json["items"]
    assert [r["personal"]["/data/party"] for r in chain if r["type"] == "message.received"] == ["ops@bank-a.example"]


def test_staff_cannot_open_tasks_outside_their_groups(app, as_, purchase):
    instance = as_["alice"].post("/api/v1/instances", json={"process": "purchase"}).json
    visitor = signed_in(app, "sam")   # security, not procurement
    page = visitor.get(f"/tasks/{instance['open_tasks'][0]['id']}")
    assert page.status_code == 404 and "not found" in page.text and "Traceback" not in page.text
    assert visitor.get("/no-such-page").status_code == 404


def test_a_process_owner_deploys_and_follows_instances(app, as_, purchase):
    owner = signed_in(app, "owner")
    broken = (Path(__file__).parent / "data" / "purchase.bpmn").read_bytes().replace(b"recorded = True",
                                                                                    b"recorded = (")
    import io
    page = owner.post("/definitions", {"file": (io.BytesIO(broken), "purchase.bpmn")},
                      content_type="multipart/form-data")
    assert page.status_code == 422 and "Nothing was deployed" in page.text
    assert re.search(r"<td>purchase.bpmn</td><td>record</td><td>[^<]*syntax", page.text)
    renamed = (Path(__file__).parent / "data" / "purchase.bpmn").read_bytes().replace(
        b'name="Describe the tool"', b'name="Describe the new tool"')
    page = owner.post("/definitions", {"file": [(io.BytesIO(renamed), "purchase.bpmn"),
                                                (io.BytesIO((Path(__file__).parent / "data" / "request.json")
                                                            .read_bytes()), "request.json")]},
                      content_type="multipart/form-data")
    assert page.status_code == 200 and "purchase version 2" in page.text
    assert 'href="/definitions/purchase/versions/2"' in owner.get("/definitions/purchase").text

    instance = as_["alice"].post("/api/v1/instances", json={"process": "purchase", "business_key": "PO-9"}).json
    listed = owner.get("/instances?process=purchase&status=running").text
    assert f'href="/instances/{instance["id"]}"' in listed
    page = owner.get(f"/instances/{instance['id']}").text
    assert "Describe the new tool" in page and "instance.started" in page and "PO-9" in page
    unsure = owner.post(f"/instances/{instance['id']}/cancel", {"reason": "duplicate"}, follow_redirects=True)
    assert "Nothing was done" in unsure.text   # cancelling asks to be confirmed
    assert as_["owner"].get(f"/api/v1/instances/{instance['id']}").json["status"] == "running"
    assert owner.post(f"/instances/{instance['id']}/cancel", {"reason": "duplicate", "confirm": "yes"}) \
        .status_code == 302
    assert as_["owner"].get(f"/api/v1/instances/{instance['id']}").json["status"] == "cancelled"

    staff = signed_in(app, "alice")
    assert staff.get("/definitions").status_code == 403
    assert staff.post(f"/instances/{instance['id']}/cancel").status_code == 403


def test_an_auditor_verifies_sees_coverage_and_takes_a_pack(app, as_, purchase):
    import io
    import zipfile
    as_["alice"].post("/api/v1/instances", json={"process": "purchase"})
    auditor = signed_in(app, "auditor")
    assert "The evidence is intact." in auditor.get("/audit/verify").text
    assert "No instance has evidence" in auditor.get("/audit?control=A.10.3").text
    pack = auditor.get("/audit/pack?from=2020-01-01")
    assert pack.status_code == 200 and pack.mimetype == "application/zip"
    assert "verify.py" in zipfile.ZipFile(io.BytesIO(pack.data)).namelist()
    bad = auditor.get("/audit?from=2026-05-01&to=2026-01-01")
    assert bad.status_code == 422 and "the period must end after it starts" in bad.text
    with app.app_context():   # someone edits a record behind the service's back
        with db.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.exec_driver_sql("SET LOCAL session_replication_role = replica")
            else:
                conn.exec_driver_sql("DROP TRIGGER evidence_no_update")
            conn.exec_driver_sql("UPDATE evidence SET record = replace(record, 'alice', 'mallory')")
    page = auditor.get("/audit/verify").text
    assert "The evidence has been tampered with" in page and "<td>edited</td>" in page
    assert signed_in(app, "alice").get("/audit").status_code == 403


def test_registers_pages(app, as_):
    deploy_bundled(as_, "customer_change_notification")
    as_["owner"].post("/api/v1/instances", json={"process": "customer_change_notification", "data": {
        "ai_system": "credit-scoring", "version_from": "2.3", "version_to": "3.0", "materiality": "low",
        "change_type": "model update or retraining", "predetermined": False, "customers": []}})
    visitor = signed_in(app, "alice")
    page = visitor.get("/registers/change-notices").text
    assert "credit-scoring:3.0" in page and "Change notices" in page
    assert "has no entries" in visitor.get("/registers/suppliers").text
    assert visitor.get("/registers/nonsense").status_code == 404


def test_an_owner_retries_and_resolves_an_incident_from_the_instance_page(app, as_):
    from a10flow import scheduler
    bpmn = (Path(__file__).parent / "data" / "chase.bpmn").read_bytes().replace(b'variable("reminders", 0) + 1',
                                                                               b"1 / 0")
    as_["owner"].deploy(("chase.bpmn", bpmn))
    clock.set(T0)
    instance = as_["alice"].post("/api/v1/instances", json={"process": "chase"}).json
    clock.set(T0 + timedelta(days=2))
    with app.app_context():
        scheduler.sweep()
    owner = signed_in(app, "owner")
    page = owner.get(f"/instances/{instance['id']}").text
    assert "Incidents" in page and "division by zero" in page and "run it again" in page
    [incident] = as_["owner"].get("/api/v1/incidents").json["items"]
    retried = owner.post(f"/incidents/{incident['id']}/retry")
    assert retried.status_code == 302
    assert "It failed again" in owner.get(f"/instances/{instance['id']}").text
    assert signed_in(app, "alice").post(f"/incidents/{incident['id']}/retry").status_code == 403
    assert "Say why" in owner.post(f"/incidents/{incident['id']}/resolve", follow_redirects=True).text
    owner.post(f"/incidents/{incident['id']}/resolve", data={"comment": "reminded by phone"})
    after = as_["owner"].get(f"/api/v1/instances/{instance['id']}").json
    assert after["status"] == "running" and after["incidents"][0]["resolution"] == "reminded by phone"


def test_pages_carry_security_headers_and_cookies_are_guarded(app, as_):
    page = Visitor(app).get("/sign-in")
    policy = page.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy and "unsafe-eval" not in policy
    assert page.headers["X-Content-Type-Options"] == "nosniff" and page.headers["Referrer-Policy"] == "no-referrer"
    assert "<script>" not in page.text
    set_passwords(app, "alice")
    signed = Visitor(app)
    signed.get("/sign-in")
    cookie = signed.post("/sign-in", {"name": "alice", "password": "alice-secret"}).headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie   # plain HTTP here
    app.config["SESSION_COOKIE_SECURE"] = True   # what A10FLOW_BASE_URL=https://… sets
    secure = Visitor(app)
    secure.get("/sign-in")
    assert "Secure" in secure.post("/sign-in", {"name": "alice", "password": "alice-secret"}).headers["Set-Cookie"]


def test_a_copied_session_cookie_dies_with_sign_out_and_a_new_password(app, as_):
    from a10flow.models import User
    from a10flow.people import auth
    visitor = signed_in(app, "alice")
    stolen = visitor.client.get_cookie("session").value
    thief = Visitor(app)
    thief.client.set_cookie("session", stolen)
    assert thief.get("/inbox").status_code == 200
    visitor.post("/sign-out")
    assert thief.get("/inbox").status_code == 302   # signed out on the server, not just in one browser

    again, thief = signed_in(app, "alice"), Visitor(app)
    thief.client.set_cookie("session", again.client.get_cookie("session").value)
    with app.app_context():
        auth.set_password(db.session.scalar(db.select(User).where(User.name == "alice")), "a-new-secret")
        db.session.commit()
    assert thief.get("/inbox").status_code == 302 and again.get("/inbox").status_code == 302


def test_pages_and_api_answers_are_never_cached(app, as_, purchase):
    page = signed_in(app, "alice").get("/inbox")
    assert page.headers["Cache-Control"] == "no-store"
    made = as_["alice"].post("/api/v1/tokens", json={"days": 1})
    assert made.headers["Cache-Control"] == "no-store" and "token" in made.json
    with as_[None].get("/static/a10flow.css") as stylesheet:   # the same for everyone: may be cached
        assert stylesheet.headers.get("Cache-Control") != "no-store"


def test_a_process_xml_is_a_download_for_those_who_may_read_it(app, as_, purchase):
    xml = signed_in(app, "auditor").get("/definitions/purchase/versions/1/xml")
    assert xml.status_code == 200 and xml.mimetype == "text/plain"   # never rendered as a page of this site
    assert xml.headers["Content-Disposition"].startswith("attachment;") and "<bpmn:definitions" in xml.text
    assert signed_in(app, "alice").get("/definitions/purchase/versions/1/xml").status_code == 403   # as the API


def test_staff_start_what_their_groups_may_start_and_land_on_their_first_task(app, as_):
    for process in ("supplier_onboarding", "customer_change_notification", "responsibility_signoff"):
        deploy_bundled(as_, process)
    alice = signed_in(app, "alice")   # procurement, account managers
    listed = alice.get("/start").text
    assert "AI supplier onboarding (A.10.3)" in listed and "Customer change notification (A.10.4)" in listed
    assert "Responsibility sign-off" not in listed   # started by AI system owners and compliance
    assert "due diligence scaled to risk" in listed   # each with what it is for
    assert alice.get("/start/responsibility_signoff").status_code == 403

    form = alice.get("/start/supplier_onboarding").text
    assert 'name="supplier_name"' in form and 'name="contact_email"' in form and 'name="business_key"' in form
    empty = alice.post("/start/supplier_onboarding", {"action": "start"})
    assert empty.status_code == 422 and re.search(r'id="f-supplier_name-error">this field is required', empty.text)
    assert as_["owner"].get("/api/v1/instances").json["items"] == []   # nothing was started
    started = alice.post("/start/supplier_onboarding", {
        "action": "start", "business_key": "Acme Data", "supplier_name": "Acme Data", "business_owner": "alice",
        "contact_email": "anna@acme.example", "supplied": "dataset", "ai_systems": "credit-scoring",
        "personal_data": "True", "pii_role": "processor"})
    [instance] = as_["owner"].get("/api/v1/instances").json["items"]
    # The first task went to the supplier's contact by link: procurement could answer for them, but
    # lands on the case, told so, rather than on a questionnaire written for the supplier.
    assert started.status_code == 302 and started.headers["Location"] == f"/instances/{instance['id']}"
    # No mail server is set: the page says where the link waits instead of claiming it was e-mailed.
    assert "a link to “Supplier details and due diligence” waits for anna@acme.example on the Outbox page" in \
        alice.get(started.headers["Location"]).text
    assert instance["business_key"] == "Acme Data"

    # Whose first step is their own lands on it.
    owner = signed_in(app, "owner")
    drafted = owner.post("/start/responsibility_signoff", {"action": "start", "ai_system": "chatbot"})
    [task] = [t for i in as_["owner"].get("/api/v1/instances").json["items"] if i["process"]["key"] ==
              "responsibility_signoff" for t in as_["owner"].get(f"/api/v1/instances/{i['id']}").json["open_tasks"]]
    assert drafted.headers["Location"] == f"/tasks/{task['id']}"
    assert "Your first task: Draft the responsibility matrix" in owner.get(drafted.headers["Location"]).text

    # Someone whose first step is someone else's lands on the instance, told what happens next.
    from test_customer_change_notification import CUSTOMERS  # alice, an account manager, starts; owners draft
    fields = {"action": "start", "ai_system": "credit-scoring", "version_to": "3.0",
              "change_type": "model update or retraining", "materiality": "high", "predetermined": "False",
              **{f"customers/{i}/{k}": v for i, c in enumerate(CUSTOMERS[:1]) for k, v in c.items()}}
    landed = alice.post("/start/customer_change_notification", fields)
    assert landed.status_code == 302 and landed.headers["Location"].startswith("/instances/")
    assert "Next: Draft the change notice" in alice.get(landed.headers["Location"]).text
    assert signed_in(app, "auditor").get("/start/supplier_onboarding").status_code == 403


def test_an_unknown_address_is_a_page_with_a_way_back_and_the_api_answers_json(app, as_):
    page = signed_in(app, "alice").get("/no/such/page")
    assert page.status_code == 404 and page.mimetype == "text/html" and "Back to the inbox" in page.text
    assert Visitor(app).get("/no/such/page").mimetype == "text/html"
    api = as_["alice"].get("/api/v1/no-such-thing")
    assert api.status_code == 404 and api.json["error"]["code"] == "not_found"


def test_deploying_from_the_modeller_keeps_each_forms_fields_in_their_order(app, as_):
    import json
    import shutil

    from helpers import BUNDLED, ROOT
    for name in BUNDLED["supplier_onboarding"]:   # the forms found in forms/, as `a10flow init` finds them
        if name.startswith("forms/"):
            shutil.copy(ROOT / name, app.config["A10FLOW_FORMS_DIR"])
    assert as_["owner"].deploy(ROOT / "workflows/supplier-onboarding.bpmn",
                               ROOT / "workflows/supplier-risk-tier.dmn").status_code == 201
    owner = signed_in(app, "owner")
    owner.get("/definitions/supplier_onboarding/versions/1/edit")
    xml = as_["owner"].get("/api/v1/definitions/supplier_onboarding/versions/1/bpmn").text
    deployed = owner.client.post("/definitions/supplier_onboarding/versions/1/deploy", headers={
        "X-CSRFToken": owner.token}, json={"xml": xml.replace("Supplier requested", "A supplier is requested")})
    assert deployed.status_code == 200, deployed.text
    written = list(json.loads((ROOT / "forms/supplier-request.schema.json").read_text())["properties"])
    shown = as_["owner"].get("/api/v1/definitions/supplier_onboarding").json
    assert [v["version"] for v in shown["versions"]] == [1, 2]
    assert list(shown["start_form"]["schema"]["properties"]) == written != sorted(written)


def test_what_a_form_says_is_written_for_people():
    from a10flow.work import forms
    schema = {"type": "object", "properties": {
        "amount": {"type": "number", "minimum": 0}, "count": {"type": "integer"}, "due": {"format": "date"},
        "tier": {"enum": ["low", "medium", "high"]}, "name": {"type": "string", "maxLength": 3},
        "tags": {"type": "array", "uniqueItems": True}}}
    said = {e["field"]: e["message"] for e in forms.errors(schema, {
        "amount": -5, "count": "many", "due": "next week", "tier": "huge", "name": "Acme", "tags": ["a", "a"]})}
    assert said == {"amount": "must be at least 0", "count": "enter a whole number",
                    "due": "enter a date such as 2026-12-31", "tier": "choose one of: low, medium, high",
                    "name": "enter at most 3 characters", "tags": "give each value only once"}


def test_links_to_outside_parties_are_managed_on_the_task_page(app, as_):
    instance, details = _supplier_details(as_)   # the process e-mailed the supplier a link already
    alice, owner = signed_in(app, "alice"), signed_in(app, "owner")
    page = alice.get(f"/tasks/{details['id']}").text
    assert "anna@acme.example" in page and "(by the process)" in page and "not yet" in page
    outbox = owner.get("/outbox").text   # no mail server here: the outbox is how the link gets out
    token = re.search(r"/x/([A-Za-z0-9_-]{20,})", outbox).group(1)
    assert "Our organisation asks you to complete a task" in outbox and "Your contact: alice" in outbox
    assert "not e-mailed: no mail server" in outbox and "the link: works until" in outbox
    opened = Visitor(app).get(f"/x/{token}").text
    # The holder may save and come back: the page does not say the link works only once.
    assert "Supplier details and due diligence" in opened and "only once" not in opened
    assert "you may save your answers and come back" in opened
    assert re.search(r"anna@acme\.example.*?\d{4}-\d\d-\d\d \d\d:\d\d UTC.*?\d{4}-\d\d-\d\d", alice.get(
        f"/tasks/{details['id']}").text, re.S)   # opened

    sent = alice.post(f"/tasks/{details['id']}/links", {"party": "legal@acme.example"}, follow_redirects=True)
    fresh = re.search(r"shown only once\): http://127\.0\.0\.1:8000/x/([A-Za-z0-9_-]+)", sent.text).group(1)
    assert "A link waits for legal@acme.example on the Outbox page" in sent.text
    newest = re.findall(r"links/(\d+)/revoke", sent.text)[0]   # the newest is listed first
    withdrawn = alice.post(f"/tasks/{details['id']}/links/{newest}/revoke", follow_redirects=True)
    assert "no longer works" in withdrawn.text
    assert Visitor(app).get(f"/x/{fresh}").status_code == 410
    assert alice.post(f"/tasks/{details['id']}/links", {"party": "not an address"}, follow_redirects=True) \
        .text.count("No link was sent") == 1
    assert signed_in(app, "alice").get("/outbox").status_code == 403   # it holds working links

    # Once the supplier has answered, the Outbox says so rather than "waiting to be sent".
    from test_supplier_onboarding import DETAILS
    answer = given(as_[None], f"/api/v1/external/{token}/documents", DETAILS)
    assert as_[None].post(f"/api/v1/external/{token}", json={"data": answer}).status_code == 200
    outbox = owner.get("/outbox").text
    assert "the link: answered" in outbox and "waiting to be sent" not in outbox
    assert "answered" in owner.get(f"/instances/{instance['id']}").text


def test_with_a_mail_server_the_starter_is_told_the_link_was_e_mailed(app, as_, smtp):
    deploy_bundled(as_, "supplier_onboarding")
    set_passwords(app, "alice")
    alice = signed_in(app, "alice")
    started = alice.post("/start/supplier_onboarding", {
        "action": "start", "supplier_name": "Acme Data", "business_owner": "alice",
        "contact_email": "anna@acme.example", "supplied": "dataset", "ai_systems": "credit-scoring",
        "personal_data": "false"}, follow_redirects=True)
    assert "a link to “Supplier details and due diligence” was e-mailed to anna@acme.example" in started.text


def test_claim_is_offered_only_to_who_may_take_the_task(app, as_):
    from test_supplier_onboarding import HIGH, _deploy, _open, _through_risk
    _deploy(as_)
    instance_id = _through_risk(as_, HIGH)   # sam assessed the risk
    [security] = [a for a in _open(as_, instance_id, "approve_supplier") if a["candidate_groups"] == ["security"]]
    set_passwords(app, "sam")
    sam = signed_in(app, "sam")
    inbox = sam.get("/inbox").text
    row = inbox[inbox.index(f'/tasks/{security["id"]}'):].split("</tr>")[0]
    assert "Claim" not in row   # he may not approve what he assessed
    page = sam.get(f"/tasks/{security['id']}").text
    assert "Separation of duties: you did “Assess the supplier&#39;s risk”" in page and ">Complete<" not in page
    auditor = signed_in(app, "auditor").get(f"/tasks/{security['id']}").text
    assert ">Claim<" not in auditor
    assert ">Claim<" in signed_in(app, "admin").get(f"/tasks/{security['id']}").text


def test_a_notification_leads_to_its_task(app, as_, purchase):
    instance = as_["alice"].post("/api/v1/instances", json={"process": "purchase"}).json
    page = signed_in(app, "bob").get("/notifications").text
    assert "New task: Describe the tool" in page
    assert f'href="/tasks/{instance["open_tasks"][0]["id"]}">Open the task' in page


def test_owners_and_leads_hand_a_task_to_a_real_person_or_group(app, as_):
    from test_supplier_onboarding import HIGH, _deploy, _open, _through_risk
    _deploy(as_)
    instance_id = _through_risk(as_, HIGH)   # sam assessed
    by_group = {a["candidate_groups"][0]: a for a in _open(as_, instance_id, "approve_supplier")}
    leah = signed_in(app, "leah")   # leads security and legal
    page = leah.get(f"/tasks/{by_group['security']['id']}").text
    assert "Hand this task on" in page and 'value="user:sam"' in page and 'value="group:security"' in page
    assert "Hand this task on" not in leah.get(f"/tasks/{by_group['procurement']['id']}").text   # not hers to lead
    refused = leah.post(f"/tasks/{by_group['security']['id']}/reassign", {"to": "user:sam"}, follow_redirects=True)
    assert "separation of duties: sam did" in refused.text   # he assessed it
    assert leah.post(f"/tasks/{by_group['security']['id']}/reassign", {"to": "user:nobody-such-user"},
                     follow_redirects=True).text.count("there is nobody called") == 1
    moved = leah.post(f"/tasks/{by_group['security']['id']}/reassign", {"to": "user:admin", "reason": "holiday"},
                      follow_redirects=True)
    assert "is with admin now" in moved.text
    assert as_["admin"].get(f"/api/v1/tasks/{by_group['security']['id']}").json["assignee"] == "admin"
    assert any(n["subject"] == "Handed to you: Approve the supplier"
               for n in as_["admin"].get("/api/v1/notifications").json["items"])
    [record] = [r for r in as_["auditor"].get(f"/api/v1/instances/{instance_id}/evidence").json["items"]
                if r["type"] == "task.reassigned"]
    assert record["actor"]["name"] == "leah" and record["data"]["reason"] == "holiday"
    assert as_["alice"].post(f"/api/v1/tasks/{by_group['procurement']['id']}/reassign",
                             json={"group": "legal"}).status_code == 403   # staff who lead nothing
