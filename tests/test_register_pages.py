"""What auditors and owners read is so: a supplier approved and registered is A.10.3 work completed,
on the audit page, in the pack's Statement of Applicability and on the external auditor's
engagement page alike; legal closing a corrective action moves the register; the register
speaks in the forms' words, names the person who approved, and explains its dates; the instance's
evidence names its controls."""
import json
import re
import zipfile
from datetime import date, timedelta

from playwright.sync_api import expect

from pages import ask_for_a_supplier, choose_file, go, open_task, outside_party, person, shot, supplier_answers, told_done


def _supplier_approved_with_a_gap(browser, demo):
    """Alice asks for a low-risk supplier, Anna answers through the link, Sam assesses, Alice
    approves, and Lee signs off a contract without audit rights: approved with conditions."""
    alice = person(browser, demo, "alice")   # procurement
    ask_for_a_supplier(alice)
    alice.get_by_role("button", name="Start").click()
    supplier_answers(browser, demo)

    sam = person(browser, demo, "sam")   # security
    open_task(sam, "Assess the supplier's risk")
    for label, value in (("Data sensitivity", "low"), ("Business criticality", "low"),
                         ("How easily replaced", "easy"), ("Regulatory exposure", "none")):
        sam.get_by_role("group", name=label).get_by_label(value, exact=True).check()
    sam.get_by_role("button", name="Complete").click()
    told_done(sam, "Assess the supplier's risk")

    open_task(alice, "Approve the supplier")
    expect(alice.get_by_label("Decided by")).to_have_count(0)   # the service fills it in: nothing to ask
    alice.get_by_label("Approve", exact=True).check()
    alice.get_by_role("button", name="Complete").click()
    told_done(alice, "Approve the supplier")

    lee = person(browser, demo, "lee")   # legal
    open_task(lee, "Complete the contract clause checklist")
    for clause in ("AI responsibilities allocated (A.10.2)", "Change and incident notification",
                   "Documentation delivered and kept current", "Limits on training with our data",
                   "EU AI Act Art. 25(4) written agreement"):
        lee.get_by_role("group", name=clause).get_by_label("In the signed contract").check()
    lee.get_by_role("group", name="Audit rights").get_by_label("Missing").check()
    choose_file(lee, "Signed contract (PDF)", "acme-msa.pdf", effective="2026-01-01", expires="2029-12-31")
    lee.get_by_role("button", name="Complete").click()
    told_done(lee, "Complete the contract clause checklist")
    return alice, lee


def _coverage_row(page, control):
    return page.get_by_role("row").filter(has=page.get_by_role("cell", name=control, exact=True)).first


def test_a_supplier_approved_and_registered_is_a10_3_work_completed_wherever_an_auditor_reads(
        demo, browser, tmp_path):
    _, _ = _supplier_approved_with_a_gap(browser, demo)
    audrey = person(browser, demo, "audrey")   # the internal auditor
    go(audrey, "Audit")
    audrey.get_by_label("Control").select_option("A.10.3")
    audrey.get_by_role("button", name="Show coverage").click()
    row = _coverage_row(audrey, "A.10.3")
    # Control, instances, completed, on time, overdue, escalated: the instance waits to re-assess.
    expect(row.get_by_role("cell")).to_have_text(["A.10.3", "1", "1", "1", "0", "0"])
    expect(audrey.locator(".coverage-key")).to_contain_text("milestone")
    shot(audrey, "coverage-audit-page")
    with audrey.expect_download() as download:
        audrey.get_by_role("button", name="Download the evidence pack").click()
    download.value.save_as(tmp_path / "pack.zip")
    pack = zipfile.ZipFile(tmp_path / "pack.zip")
    soa = {r["control"]: r for r in json.loads(pack.read("statement-of-applicability.json"))}
    assert (soa["A.10.3"]["coverage"]["completed"], soa["A.10.3"]["coverage"]["completed_on_time"]) == (1, 1)
    (tmp_path / "report.html").write_bytes(pack.read("report.html"))
    audrey.goto((tmp_path / "report.html").as_uri())
    soa_row = audrey.get_by_role("row").filter(has_text="A.10.3 Suppliers").first
    expect(soa_row.get_by_role("cell").nth(3)).to_have_text("1")   # instances
    expect(soa_row.get_by_role("cell").nth(4)).to_have_text("1")   # completed
    shot(audrey, "coverage-pack-statement-of-applicability")

    # The owner grants an external auditor the same control; her page counts the same.
    olivia = person(browser, demo, "olivia")
    go(olivia, "Audit")
    olivia.get_by_role("link", name="Auditor engagements").click()
    olivia.get_by_label("Auditor and firm").fill("Rita Roe, Example Audit LLP")
    olivia.get_by_label("A.10.3").check()
    olivia.get_by_label("Period from").fill((date.today() - timedelta(days=30)).isoformat())
    olivia.get_by_label("to (not included)").fill((date.today() + timedelta(days=1)).isoformat())
    olivia.get_by_label("Access ends on").fill((date.today() + timedelta(days=60)).isoformat())
    olivia.get_by_role("button", name="Grant the engagement").click()
    link = re.search(r"http://\S+/e/[A-Za-z0-9_-]+", olivia.locator(".flash").inner_text()).group(0)
    rita = outside_party(browser)
    rita.goto(link)
    expect(_coverage_row(rita, "A.10.3").get_by_role("cell").nth(2)).to_have_text("1")   # completed
    expect(_coverage_row(rita, "A.10.3").get_by_role("cell").nth(3)).to_have_text("1")   # on time
    shot(rita, "coverage-engagement-page")


def test_legal_closes_a_gap_and_the_register_moves_in_words(demo, browser):
    _, lee = _supplier_approved_with_a_gap(browser, demo)
    go(lee, "Registers")
    entry = lee.locator("table.register tbody tr", has_text="Acme Data").first
    expect(entry).to_contain_text("Approved with conditions (corrective actions open)")
    lee.get_by_text("All of Acme Data").click()
    details = lee.locator("tr.details").first
    expect(details).to_contain_text("Audit rights")          # the checklist's words, not audit_rights
    expect(details).to_contain_text("EU AI Act Art. 25(4) written agreement")
    expect(details).not_to_contain_text("audit_rights")
    expect(details).not_to_contain_text("Art 25 4 agreement")
    expect(details).to_contain_text("Decided by")             # a person, beside the group asked
    expect(details.get_by_role("cell", name="Approve", exact=True)).to_be_visible()   # the decision's title
    expect(details).to_contain_text("alice")
    expect(lee.locator(".register-key")).to_contain_text("30 days before a certificate or the contract expires")
    shot(lee, "register-before-closing")

    open_task(lee, "Close the corrective action: Get the contract clause agreed: audit rights")
    lee.get_by_label("What was done").fill("Audit rights addendum signed.")
    lee.get_by_label("Where the proof is").fill("DMS-4410")
    lee.get_by_role("button", name="Complete").click()
    told_done(lee, "Close the corrective action")

    go(lee, "Registers")
    entry = lee.locator("table.register tbody tr", has_text="Acme Data").first
    expect(entry).to_contain_text("Approved")
    expect(entry).not_to_contain_text("with conditions")
    lee.get_by_text("All of Acme Data").first.click()
    details = lee.locator("tr.details").first
    expect(details).to_contain_text("closed")
    expect(details).to_contain_text("DMS-4410")
    shot(lee, "register-after-closing")
    lee.get_by_label("Include superseded entries").check()
    lee.get_by_role("button", name="Filter").click()
    expect(lee.locator("table.register tbody tr", has_text="(superseded)")).not_to_have_count(0)

    # The owner reads the instance: its evidence names the controls; its data keeps no loop variable.
    olivia = person(browser, demo, "olivia")
    go(olivia, "Instances")
    olivia.get_by_role("link", name="1", exact=True).click()
    evidence = olivia.get_by_role("row").filter(has_text="Approve the supplier").first
    expect(evidence).to_contain_text("A.10.3, ISO/IEC 27001 A.5.19")
    expect(olivia.locator("main")).not_to_contain_text("Corrective action Action")
    shot(olivia, "instance-evidence-controls")
