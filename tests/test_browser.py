"""The web UI in a real browser: headless Chromium (Debian's package) driven by Playwright,
against the service on a real HTTP port. Screenshots of each page go to tests/artifacts/."""
import os
import socket
import threading
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright
from werkzeug.serving import make_server

from a10flow import auth
from a10flow.models import User, db
from conftest import deploy_bundled, probe

ARTIFACTS = Path(os.environ.get("A10FLOW_ARTIFACTS", Path(__file__).parent / "artifacts"))
CHROMIUM = os.environ.get("A10FLOW_CHROMIUM", "/usr/bin/chromium")


@pytest.fixture
def server(app):
    """The app on a free loopback port, in a thread, for the browser to talk to."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    http = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=http.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}"
    http.shutdown()
    thread.join()


@pytest.fixture
def browser():
    assert os.path.exists(CHROMIUM), f"{CHROMIUM} is missing: `make test` installs Debian's chromium"
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield chromium
        chromium.close()


AXE = Path(__file__).parents[1] / "node_modules/axe-core/axe.min.js"


def _shot(page, name):
    """Keep a screenshot of the page, and check it with axe-core: no serious accessibility problem."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    # Served as if from the site: the pages' policy allows no inline script, this check included.
    origin = "/".join(page.url.split("/")[:3])
    page.route(f"{origin}/axe-for-tests.js", lambda route: route.fulfill(path=str(AXE)))
    page.add_script_tag(url=f"{origin}/axe-for-tests.js")
    found = page.evaluate("""async () => (await axe.run(document, {exclude: [['.djs-container'], ['.tjs-container']]}))
        .violations.filter(v => ['serious', 'critical'].includes(v.impact))
        .map(v => v.id + ': ' + v.nodes.map(n => n.target.join(' ')).join(', '))""")
    assert found == [], f"{name}: {found}"


def _signed_in(app, browser, server, name, goto="/inbox", **page_options):
    """A page signed in as ``name``, showing ``goto``."""
    with app.app_context():
        auth.set_password(db.session.scalar(db.select(User).where(User.name == name)), f"{name}-secret")
        db.session.commit()
    page = browser.new_page(**page_options)
    page.goto(f"{server}/sign-in?next={goto}")
    page.get_by_label("Name").fill(name)
    page.get_by_label("Password").fill(f"{name}-secret")
    page.get_by_role("button", name="Sign in").click()
    return page


def test_staff_find_a_task_fix_the_form_and_complete_it(app, as_, purchase, server, browser):
    instance = as_["alice"].post("/api/v1/instances", json={"process": "purchase", "business_key": "PO-7"}).json
    page = browser.new_page()
    page.goto(f"{server}/inbox")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    _shot(page, "sign-in")
    page = _signed_in(app, browser, server, "bob")

    expect(page.get_by_role("heading", name="Inbox")).to_be_visible()
    page.get_by_label("Business key").fill("PO-7")
    page.get_by_role("button", name="Filter").click()
    _shot(page, "inbox")
    page.get_by_role("link", name="Describe the tool").click()

    page.get_by_label("Tool").fill("Labeller")
    page.get_by_label("Price (EUR)").fill("-5")
    page.get_by_role("button", name="Complete").click()
    expect(page.get_by_role("alert")).to_contain_text("1 problem")
    expect(page.locator("#f-amount-error")).to_have_text("must be at least 0")
    expect(page.get_by_label("Tool")).to_have_value("Labeller")   # nothing typed is lost
    _shot(page, "task-with-error")

    page.get_by_label("Price (EUR)").fill("900")
    page.get_by_role("button", name="Complete").click()
    expect(page.get_by_role("status")).to_have_text("Done: Describe the tool.")
    _shot(page, "inbox-after")
    assert as_["owner"].get(f"/api/v1/instances/{instance['id']}").json["status"] == "completed"


def test_a_customer_acknowledges_a_change_on_a_phone(app, as_, server, browser):
    deploy_bundled(as_, "customer_change_notification")
    instance = as_["owner"].post("/api/v1/instances", json={"process": "customer_change_notification", "data": {
        "ai_system": "credit-scoring", "version_from": "2.3", "version_to": "3.0", "materiality": "high",
        "change_type": "model update or retraining", "predetermined": False,
        "customers": [{"name": "Bank A", "contact": "ops@bank-a.example", "account_manager": "alice"}]}}).json
    as_["owner"].post(f"/api/v1/tasks/{instance['open_tasks'][0]['id']}/complete", json={"data": {"notice": {
        "summary": "New model", "impact": "none", "actions_required": "none", "effective_date": "2027-06-01"}}})
    [approval] = as_["owner"].get(f"/api/v1/instances/{instance['id']}").json["open_tasks"]
    as_["admin"].post(f"/api/v1/tasks/{approval['id']}/complete", json={"data": {"approved": True}})
    [ask] = as_["owner"].get(f"/api/v1/instances/{instance['id']}").json["open_tasks"]
    path = as_["owner"].post(f"/api/v1/tasks/{ask['id']}/links", json={"party": "ops@bank-a.example"}).json["path"]

    phone = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True).new_page()
    link = server + path.replace("/api/v1/external/", "/x/")
    phone.goto(link)
    expect(phone.get_by_role("heading", name="Customer acknowledges or objects")).to_be_visible()
    expect(phone.get_by_role("heading", name="Notice")).to_be_visible()   # the notice itself, to read first
    expect(phone.get_by_text("New model")).to_be_visible()
    _shot(phone, "external-acknowledgement")
    phone.get_by_label("acknowledge", exact=True).check()
    phone.get_by_role("button", name="Send").click()
    expect(phone.get_by_role("heading", name="Thank you")).to_be_visible()
    _shot(phone, "external-thank-you")
    phone.goto(link)
    expect(phone.get_by_role("heading", name="This link can no longer be used")).to_be_visible()
    _shot(phone, "external-used-link")
    chain = as_["auditor"].get(f"/api/v1/instances/{instance['id']}/evidence").json["items"]
    assert [r["data"]["submitted"]["response"] for r in chain if r["type"] == "message.received"] == ["acknowledge"]


def test_an_auditor_verifies_the_evidence_and_downloads_a_pack(app, as_, purchase, server, browser, tmp_path):
    import zipfile
    as_["alice"].post("/api/v1/instances", json={"process": "purchase"})
    page = _signed_in(app, browser, server, "auditor")
    page.get_by_role("link", name="Audit").click()
    page.get_by_role("link", name="Verify all evidence now").click()
    expect(page.locator("#verdict")).to_have_text("The evidence is intact.")
    _shot(page, "audit-verify")
    page.get_by_role("link", name="← Audit").click()
    page.get_by_label("From").fill("2020-01-01")
    with page.expect_download() as download:
        page.get_by_role("button", name="Download the evidence pack").click()
    path = tmp_path / download.value.suggested_filename
    download.value.save_as(path)
    assert {"records.jsonl", "verify.py", "manifest.sig"} <= set(zipfile.ZipFile(path).namelist())
    _shot(page, "audit")


def test_a_process_owner_edits_a_task_in_the_modeller_and_deploys_it(app, as_, purchase, server, browser):
    page = _signed_in(app, browser, server, "owner", "/definitions/purchase/versions/1/edit",
                      viewport={"width": 1400, "height": 900})
    deploy = page.get_by_role("button", name="Deploy as the next version")
    expect(deploy).to_be_enabled()

    page.locator('.djs-element[data-element-id="request"]').click()
    page.locator(".bio-properties-panel-group-header", has_text="General").click()
    name = page.locator("#bio-properties-panel-name")
    name.fill("Describe the tool you need")
    page.locator(".bio-properties-panel-group-header", has_text="User assignment").click()
    due = page.locator("#bio-properties-panel-dueDate")
    due.fill("${dateTime().plusBananas(2)}")
    _shot(page, "modeller")
    deploy.click()
    expect(page.get_by_role("alert")).to_contain_text("request: due date")
    expect(page.locator(".a10-problem-badge")).to_have_count(1)   # the problem, on the element at fault
    _shot(page, "modeller-problem")

    due.fill("P5D")
    deploy.click()
    expect(page.get_by_role("heading", name="Tool purchase, version 2")).to_be_visible()
    expect(page.get_by_role("status").first).to_contain_text("Deployed purchase version 2.")
    _shot(page, "new-version")
    started = as_["alice"].post("/api/v1/instances", json={"process": "purchase"}).json
    assert started["process"]["version"] == 2 and started["open_tasks"][0]["name"] == "Describe the tool you need"


def test_an_instance_page_shows_what_is_done_and_what_waits(app, as_, purchase, server, browser):
    instance = as_["alice"].post("/api/v1/instances", json={"process": "purchase"}).json
    page = _signed_in(app, browser, server, "owner", f"/instances/{instance['id']}",
                      viewport={"width": 1400, "height": 1000})
    expect(page.locator('.djs-element.a10-open[data-element-id="request"]')).to_have_count(1)
    expect(page.locator('.djs-element.a10-done[data-element-id="start"]')).to_have_count(1)
    _shot(page, "instance")


def test_the_step_that_failed_is_marked_on_the_diagram(app, as_, server, browser):
    from conftest import DATA
    failing = (DATA / "purchase.bpmn").read_bytes().replace(b"recorded = True", b"recorded = 1 / 0")
    as_["owner"].deploy(("purchase.bpmn", failing), DATA / "request.json")
    instance = as_["alice"].post("/api/v1/instances", json={"process": "purchase"}).json
    as_["alice"].post(f"/api/v1/tasks/{instance['open_tasks'][0]['id']}/complete",
                      json={"data": {"tool": "Labeller", "amount": 10}})
    page = _signed_in(app, browser, server, "owner", f"/instances/{instance['id']}",
                      viewport={"width": 1400, "height": 1000})
    expect(page.locator('.djs-element.a10-failed[data-element-id="record"]')).to_have_count(1)
    expect(page.locator('.djs-element.a10-done[data-element-id="request"]')).to_have_count(1)
    _shot(page, "instance-failed-step")


def test_an_owner_moves_a_failed_instance_to_a_fixed_version_and_runs_it_again(app, as_, server, browser):
    as_["owner"].deploy(("probe.bpmn", probe("found = 1 / 0")))
    instance = as_["owner"].post("/api/v1/instances", json={"process": "probe_process"}).json
    as_["owner"].deploy(("probe.bpmn", probe("found = 42")))
    page = _signed_in(app, browser, server, "owner", f"/instances/{instance['id']}")
    expect(page.get_by_role("cell", name="ZeroDivisionError:division by zero")).to_be_visible()
    _shot(page, "instance-incident")   # the incident, its forms and the move to version 2, checked by axe
    page.get_by_label("What lies ahead comes from version 2").check()
    page.get_by_role("button", name="Move this instance to version 2").click()
    expect(page.get_by_text("now runs version 2")).to_be_visible()
    page.get_by_role("button", name="run it again").click()
    expect(page.get_by_text("Probe went through; the instance runs on.")).to_be_visible()
    assert as_["owner"].get(f"/api/v1/instances/{instance['id']}").json["data"]["found"] == 42


def test_a_decision_table_opens_and_is_edited_in_the_browser(app, as_, server, browser):
    deploy_bundled(as_, "supplier_onboarding")
    page = _signed_in(app, browser, server, "owner", "/definitions/supplier_risk_tier/versions/1/edit",
                      viewport={"width": 1400, "height": 900})
    expect(page.locator(".tjs-table")).to_be_visible()
    cell = page.locator("td.annotation").first
    cell.click()
    page.keyboard.type(" (reviewed)")
    _shot(page, "decision-table")
    page.get_by_role("button", name="Deploy as the next version").click()
    expect(page.get_by_role("heading", name="version 2")).to_be_visible()
    deployed = as_["owner"].get("/api/v1/definitions/supplier_risk_tier").json
    assert [v["version"] for v in deployed["versions"]] == [1, 2]
