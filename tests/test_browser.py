"""The web UI in a real browser: headless Chromium (Debian's package) driven by Playwright,
against the service on a real HTTP port. Screenshots of each page go to tests/artifacts/."""
import re

from helpers import DATA, deploy_bundled, probe
from pages import shot as _shot
from playwright.sync_api import expect

from a10flow.models import User, db
from a10flow.people import auth, directory


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


def _starts(app, browser, server, name, process):
    """``name`` starts ``process`` from the Start page; the page they land on."""
    page = _signed_in(app, browser, server, name, "/start")
    page.get_by_role("link", name=process).click()
    page.get_by_role("button", name="Start").click()
    expect(page.locator(".flash")).to_contain_text(f"Started {process}")
    return page


def _owner_opens_instance(app, browser, server, **page_options):
    """The owner opens the newest instance from the Instances page."""
    page = _signed_in(app, browser, server, "owner", "/instances", **page_options)
    page.locator("table tbody tr").first.get_by_role("link").first.click()
    return page


def test_staff_find_a_task_fix_the_form_and_complete_it(app, as_, purchase, server, browser):
    alice = _signed_in(app, browser, server, "alice", "/start")
    alice.get_by_role("link", name="Tool purchase").click()
    alice.get_by_label("Reference").fill("PO-7")
    alice.get_by_role("button", name="Start").click()
    expect(alice.get_by_role("status")).to_contain_text("Started Tool purchase")
    [instance] = as_["owner"].get("/api/v1/instances").json["items"]
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


def test_an_auditor_verifies_the_evidence_and_downloads_a_pack(app, as_, purchase, server, browser, tmp_path):
    import zipfile
    _starts(app, browser, server, "alice", "Tool purchase")
    page = _signed_in(app, browser, server, "auditor")
    page.get_by_role("link", name="Audit").click()
    page.get_by_role("link", name="Verify all evidence now").click()
    expect(page.locator("#verdict")).to_have_text("The evidence is intact.")
    expect(page.locator("#uncovered")).not_to_have_text("0 records")   # nothing signed yet, and said so
    expect(page.get_by_role("button", name="Sign a checkpoint now")).to_have_count(0)   # auditors only read
    _shot(page, "audit-verify")

    owner = _signed_in(app, browser, server, "owner", "/audit/verify")
    owner.get_by_role("button", name="Sign a checkpoint now").click()
    expect(owner.locator(".flash")).to_contain_text("Checkpoint 1 signed: every record so far is covered.")
    expect(owner.locator("#uncovered")).to_have_text("0 records")
    _shot(owner, "audit-checkpoint-signed")

    page.reload()
    expect(page.locator("#uncovered")).to_have_text("0 records")
    page.get_by_role("link", name="← Audit").click()
    page.get_by_label("From").fill("2020-01-01")
    with page.expect_download() as download:
        page.get_by_role("button", name="Download the evidence pack").click()
    assert download.value.suggested_filename.startswith("a10flow-evidence_all-controls_2020-01-01_to_now_made_")
    path = tmp_path / download.value.suggested_filename
    download.value.save_as(path)
    pack = zipfile.ZipFile(path)
    assert {"records.jsonl", "verify.py", "manifest.sig", "checkpoint.txt", "proofs.json",
            "statement-of-applicability.json"} <= set(pack.namelist())
    _shot(page, "audit")
    (tmp_path / "report.html").write_bytes(pack.read("report.html"))   # as the auditor opens it from the pack
    page.goto((tmp_path / "report.html").as_uri())
    expect(page.get_by_role("heading", name="Statement of Applicability (extract): ISO/IEC 42001 A.10")).to_be_visible()
    expect(page.locator("#uncovered")).to_contain_text("Every record in this pack is covered by the signed checkpoint")
    _shot(page, "pack-report")


def test_an_owner_grants_an_external_auditor_a_link_and_sees_what_they_read(app, as_, server, browser, tmp_path):
    """The owner grants an engagement for A.10.3 by link; the auditor, in a browser of their own,
    opens it, downloads the pack and reads its report and PDF; the owner sees both in the access
    log, and revokes it."""
    import re
    import zipfile

    import pypdfium2
    from pages import ARTIFACTS
    from test_supplier_onboarding import LOW, _through_risk
    deploy_bundled(as_, "supplier_onboarding")
    _through_risk(as_, LOW)   # a supplier assessed and tiered, waiting for approval

    owner = _signed_in(app, browser, server, "owner", "/audit")
    owner.get_by_role("link", name="Auditor engagements").click()
    owner.get_by_label("Auditor and firm").fill("Rita Roe, Example Audit LLP")
    owner.get_by_label("A.10.3").check()
    owner.get_by_label("Period from").fill("2026-01-01")
    owner.get_by_label("to (not included)").fill("2027-01-01")
    owner.get_by_label("Access ends on").fill("2026-03-31")
    owner.get_by_role("button", name="Grant the engagement").click()
    expect(owner.locator("#state")).to_have_text("active")
    link = re.search(r"http://\S+/e/[A-Za-z0-9_-]+", owner.locator(".flash").inner_text()).group(0)
    _shot(owner, "engagement-granted")

    auditor = browser.new_page()   # a context of their own, with nothing but the link
    auditor.goto(link)
    expect(auditor.get_by_role("heading", level=1)).to_have_text("Evidence for Rita Roe, Example Audit LLP")
    expect(auditor.get_by_role("navigation")).to_have_count(0)   # nothing else of the service to go to
    _shot(auditor, "engagement-auditor")
    with auditor.expect_download() as download:
        auditor.get_by_role("link", name="Download the evidence pack for A.10.3").click()
    assert download.value.suggested_filename.startswith("a10flow-evidence_A.10.3_2026-01-01_to_2027-01-01_made_")
    download.value.save_as(tmp_path / "pack.zip")
    pack = zipfile.ZipFile(tmp_path / "pack.zip")
    (tmp_path / "report.html").write_bytes(pack.read("report.html"))
    auditor.goto((tmp_path / "report.html").as_uri())
    expect(auditor.get_by_role("heading", name="Evidence report: A.10.3")).to_be_visible()
    diagram = auditor.get_by_role("img", name=re.compile("the path instance 1 took"))
    expect(diagram).to_be_visible()
    expect(auditor.locator("tr.decision-evaluated")).to_contain_text("rule_low")
    _shot(auditor, "pack-report-instance")
    diagram.screenshot(path=str(ARTIFACTS / "pack-report-diagram.png"))
    pdf = pypdfium2.PdfDocument(pack.read("report.pdf"))
    for number in range(min(len(pdf), 4)):   # the pages as filed: looked at, as the rest
        pdf[number].render(scale=1.5).to_pil().save(ARTIFACTS / f"pack-report-pdf-{number + 1}.png")

    owner.reload()
    log = owner.locator("#access-log")
    expect(log).to_contain_text("opened the engagement")
    expect(log).to_contain_text("downloaded the evidence pack a10flow-evidence_A.10.3_2026-01-01")
    _shot(owner, "engagement-access-log")
    owner.get_by_role("button", name="Revoke the engagement now").click()
    expect(owner.locator("#state")).to_contain_text("revoked, by owner")
    auditor.goto(link)
    expect(auditor.get_by_role("main")).to_contain_text("this engagement was revoked")


def test_an_external_auditor_with_an_account_sees_only_her_engagement(app, as_, server, browser, tmp_path):
    """The owner grants rita's account A.10.3; rita signs in, in a browser of her own, lands on her
    engagement, downloads its pack, and finds nothing else of the service opens to her."""
    from test_supplier_onboarding import LOW, _through_risk

    from a10flow.models import Role
    deploy_bundled(as_, "supplier_onboarding")
    _through_risk(as_, LOW)
    with app.app_context():
        directory.create_user(directory.CLI, "rita", Role.EXTERNAL_AUDITOR)
        db.session.commit()

    owner = _signed_in(app, browser, server, "owner", "/audit/engagements")
    owner.get_by_label("Auditor and firm").fill("Rita Roe, Example Audit LLP")
    owner.get_by_label("A.10.3").check()
    owner.get_by_label("Period from").fill("2026-01-01")
    owner.get_by_label("to (not included)").fill("2027-01-01")
    owner.get_by_label("Access ends on").fill("2026-03-31")
    owner.get_by_label("How they sign in").select_option(label="Their account: rita")
    owner.get_by_role("button", name="Grant the engagement").click()
    expect(owner.locator("#state")).to_have_text("active")
    expect(owner.locator(".flash")).to_have_count(0)   # no link to send: she signs in

    rita = _signed_in(app, browser, server, "rita", "/inbox")
    expect(rita.get_by_role("heading", level=1)).to_have_text("Your engagements")   # not the inbox
    expect(rita.get_by_role("navigation", name="Main").get_by_role("link")).to_have_count(2)
    rita.get_by_role("link", name=re.compile("A.10.3")).click()
    with rita.expect_download() as download:
        rita.get_by_role("link", name="Download the evidence pack for A.10.3").click()
    assert download.value.suggested_filename.startswith("a10flow-evidence_A.10.3_2026-01-01_to_2027-01-01_")
    _shot(rita, "engagement-by-account")
    rita.goto(f"{server}/instances")
    expect(rita.get_by_role("heading", level=1)).to_have_text("Your engagements")

    owner.reload()
    expect(owner.locator("#access-log")).to_contain_text("downloaded the evidence pack")
    expect(owner.locator("#access-log")).to_contain_text("rita")


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
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Start").click()
    page.get_by_role("link", name="Tool purchase").click()
    page.get_by_role("button", name="Start").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Describe the tool you need")   # version 2


def test_an_instance_page_shows_what_is_done_and_what_waits(app, as_, purchase, server, browser):
    _starts(app, browser, server, "alice", "Tool purchase")
    page = _owner_opens_instance(app, browser, server, viewport={"width": 1400, "height": 1000})
    expect(page.locator('.djs-element.a10-open[data-element-id="request"]')).to_have_count(1)
    expect(page.locator('.djs-element.a10-done[data-element-id="start"]')).to_have_count(1)
    _shot(page, "instance")


def test_the_step_that_failed_is_marked_on_the_diagram(app, as_, server, browser):
    failing = (DATA / "purchase.bpmn").read_bytes().replace(b"recorded = True", b"recorded = 1 / 0")
    as_["owner"].deploy(("purchase.bpmn", failing), DATA / "request.json")
    alice = _starts(app, browser, server, "alice", "Tool purchase")   # lands on her first task
    alice.get_by_label("Tool").fill("Labeller")
    alice.get_by_label("Price (EUR)").fill("10")
    alice.get_by_role("button", name="Complete").click()
    expect(alice.get_by_role("status")).to_have_text("Done: Describe the tool.")   # her part; the next step fails
    page = _owner_opens_instance(app, browser, server, viewport={"width": 1400, "height": 1000})
    expect(page.locator('.djs-element.a10-failed[data-element-id="record"]')).to_have_count(1)
    expect(page.locator('.djs-element.a10-done[data-element-id="request"]')).to_have_count(1)
    _shot(page, "instance-failed-step")


def test_an_owner_moves_a_failed_instance_to_a_fixed_version_and_runs_it_again(app, as_, server, browser):
    as_["owner"].deploy(("probe.bpmn", probe("found = 1 / 0")))
    _starts(app, browser, server, "owner", "probe_process")
    as_["owner"].deploy(("probe.bpmn", probe("found = 42")))   # the owner's fix, deployed as they would
    page = _owner_opens_instance(app, browser, server)
    expect(page.get_by_role("cell", name="the script failed: division by zero")).to_be_visible()
    _shot(page, "instance-incident")   # the incident, its forms and the move to version 2, checked by axe
    page.get_by_label("What lies ahead comes from version 2").check()
    page.get_by_role("button", name="Move this instance to version 2").click()
    expect(page.get_by_text("now runs version 2")).to_be_visible()
    page.get_by_role("button", name="run it again").click()
    expect(page.get_by_text("Probe went through; the instance runs on.")).to_be_visible()
    found = page.locator("dl.case dt", has_text="Found").locator("xpath=following-sibling::dd[1]")
    expect(found).to_have_text("42")   # what the fixed step computed, in the instance's data


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


CAMUNDA_FORM = (DATA / "vendor-check.bpmn").read_bytes()


def test_a_diagram_from_camunda_modeler_is_deployed_and_worked_through_the_pages(app, as_, server, browser, tmp_path):
    # The owner uploads a file another tool made: a self-calling draft is refused saying why,
    # the fixed one deploys with a warning about the listener it will not run.
    owner = _signed_in(app, browser, server, "owner", "/definitions")
    looping = tmp_path / "looping.bpmn"
    looping.write_bytes(CAMUNDA_FORM.replace(b'<bpmn:endEvent id="e"/>', b'<bpmn:callActivity id="e" '
                                             b'name="Check again" calledElement="vendor_check"/>'))
    owner.get_by_label("BPMN, DMN and form files").set_input_files(str(looping))
    owner.get_by_role("button", name="Deploy").click()
    expect(owner.locator("#deploy-problems")).to_contain_text("call activity calls itself")
    checked = tmp_path / "vendor-check.bpmn"
    checked.write_bytes(CAMUNDA_FORM)
    owner.get_by_label("BPMN, DMN and form files").set_input_files(str(checked))
    owner.get_by_role("button", name="Deploy").click()
    expect(owner.locator("#deployed")).to_have_text("Deployed: vendor_check version 1.")
    expect(owner.get_by_text("check: a10flow does not run Camunda's task listeners")).to_be_visible()
    _shot(owner, "deploy-camunda-file")

    alice = _starts(app, browser, server, "alice", "Vendor check")
    alice.goto(f"{server}/inbox")
    alice.get_by_role("link", name="Check the vendor").click()
    alice.get_by_role("button", name="Complete").click()
    expect(alice.get_by_role("alert")).to_contain_text("1 problem")   # the vendor's name is required
    alice.get_by_label("Vendor name").fill("Acme Models")
    alice.get_by_label("High").check()
    alice.get_by_label("Contract signed").check()
    _shot(alice, "camunda-generated-form")
    alice.get_by_role("button", name="Complete").click()
    expect(alice.get_by_role("status")).to_have_text("Done: Check the vendor.")
    [instance] = as_["owner"].get("/api/v1/instances").json["items"]
    assert instance["status"] == "completed"


LEDGER = (DATA / "ledger.bpmn").read_bytes()
SUPPLIER_FORM = b'{"type": "object", "properties": {"supplier": {"type": "string", "title": "Supplier"}}}'


def test_an_owner_and_an_auditor_read_what_a_process_keeps_in_its_data_store(app, as_, server, browser, tmp_path):
    # The owner deploys a SpiffArena-style process keeping a supplier ledger; alice starts it; the
    # owner and the auditor each read the ledger and find who wrote it; staff are shown no way there.
    owner = _signed_in(app, browser, server, "owner", "/definitions")
    (tmp_path / "ledger.bpmn").write_bytes(LEDGER)
    (tmp_path / "s.schema.json").write_bytes(SUPPLIER_FORM)
    owner.get_by_label("BPMN, DMN and form files").set_input_files([str(tmp_path / "ledger.bpmn"),
                                                                    str(tmp_path / "s.schema.json")])
    owner.get_by_role("button", name="Deploy").click()
    expect(owner.locator("#deployed")).to_have_text("Deployed: register_supplier version 1.")

    alice = _signed_in(app, browser, server, "alice", "/start")
    alice.get_by_role("link", name="Register a supplier").click()
    alice.get_by_label("Supplier").fill("Acme Models")
    alice.get_by_role("button", name="Start").click()
    expect(alice.locator(".flash")).to_contain_text("Started Register a supplier. It ran to its end.")
    alice.get_by_role("navigation", name="Main").get_by_role("link", name="Registers").click()
    expect(alice.get_by_role("link", name="Data stores")).to_have_count(0)

    owner.get_by_role("navigation", name="Main").get_by_role("link", name="Registers").click()
    owner.get_by_role("link", name="Data stores").click()
    expect(owner.get_by_role("heading", name="ledger, revision 1")).to_be_visible()
    expect(owner.locator("pre.document")).to_contain_text('"Acme Models"')
    _shot(owner, "data-store-ledger")
    owner.get_by_role("link", name=re.compile(r"^instance \d+$")).click()
    expect(owner.get_by_role("row", name=re.compile("data_store.written Add to the ledger"))).to_be_visible()

    auditor = _signed_in(app, browser, server, "auditor", "/registers")
    auditor.get_by_role("link", name="Data stores").click()
    auditor.get_by_role("link", name="ledger").click()
    expect(auditor.locator("pre.document")).to_contain_text('"suppliers"')
