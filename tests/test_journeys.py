"""Every A.10 journey as the people in it live it: each in a browser of their own, through the
pages only, from the first click on Start to the entry in the register. The service is set up
as `make run` sets it up (`a10flow init --demo`: the bundled processes, the demo users); outside
parties have no account and only the e-mail we sent them, read here off the Outbox page."""
import hashlib
from datetime import date, timedelta
from pathlib import Path

from helpers import pdf
from pages import (PHONE, add_row, ask_for_a_supplier, choose_file, field, fits, go, link_in_outbox, open_task,
                   outside_party, person, shot, start, told_done)
from playwright.sync_api import expect


def _row(page, table, number):
    """Row ``number`` (from 1) of the form table whose legend is ``table``."""
    return page.locator("fieldset.group", has=page.locator(f"legend:text-is('{table}')")).locator(
        ":scope > .scroll > table > tbody > tr").nth(number - 1)


def test_a10_2_responsibilities_are_drafted_sent_back_and_accepted_by_every_party(demo, browser):
    olivia = person(browser, demo, "olivia")   # AI system owner
    start(olivia, "Responsibility sign-off (A.10.2)")
    olivia.get_by_label("AI system").fill("credit-scoring")
    shot(olivia, "a10-2-start")
    olivia.get_by_role("button", name="Start").click()
    expect(olivia.get_by_role("heading", level=1)).to_have_text("Draft the responsibility matrix")
    expect(olivia).to_have_title("Draft the responsibility matrix · a10flow")   # the tab says which task

    # The parties first; the matrix is a grid with a column for each of them.
    olivia.set_viewport_size({"width": 1366, "height": 900})
    for _ in range(2):
        add_row(olivia, "parties")
    add_row(olivia, "who does what")
    for number, (name, kind, rep) in enumerate([("Us", "organisation", "lee"),
                                                ("Acme", "supplier", "anna@acme.example")], start=1):
        row = _row(olivia, "Parties", number)
        row.get_by_label(f"Party, row {number}").fill(name)
        row.get_by_label(f"Kind, row {number}").select_option(kind)
        row.get_by_label(f"Representative, row {number}").fill(rep)
    grid = olivia.locator("table.grid")
    expect(grid.locator("thead th")).to_have_text(["Life-cycle stage", "Activity", "Us", "Acme",
                                                   "Contract or DPA clause e.g. MSA §7.2", "Remove"])
    row = _row(olivia, "Who does what", 1)
    row.get_by_label("Life-cycle stage, row 1").select_option("deployment")
    row.get_by_label("Activity, row 1").select_option("monitoring")
    row.get_by_label("Us, row 1").select_option("A")
    row.get_by_label("Acme, row 1").select_option("R")
    row.get_by_label("Contract or DPA clause, row 1").fill("MSA 7.2")
    expect(row.get_by_label("Contract or DPA clause, row 1")).to_be_in_viewport()   # not cut off at 1366 px
    fits(olivia)
    shot(olivia, "a10-2-draft")
    olivia.get_by_role("button", name="Complete").click()
    told_done(olivia, "Draft the responsibility matrix")

    # Acme's contact reads the matrix on a phone and objects.
    anna = outside_party(browser, **PHONE)
    anna.goto(link_in_outbox(olivia, "anna@acme.example"))
    expect(anna.get_by_role("heading", level=1)).to_have_text("Accept the responsibility matrix")
    grid = anna.locator("table.case", has_text="Life-cycle stage")
    # Her own column first, beside the row's stage and activity, on screen without scrolling.
    expect(grid.locator("thead th")).to_have_text(["Life-cycle stage and activity", "Acme (you)", "Us",
                                                   "Contract or DPA clause"])
    expect(grid.locator("tbody td").nth(1)).to_have_text("R")
    expect(grid.locator("tbody td").nth(1)).to_be_in_viewport(ratio=1)
    fits(anna)
    shot(anna, "a10-2-supplier-reads-the-matrix")
    anna.get_by_label("reject").check()
    anna.get_by_label("Comment or counter-proposal").fill("We monitor; you are accountable only for oversight.")
    anna.get_by_role("button", name="Send").click()
    expect(anna.get_by_role("heading", name="Thank you")).to_be_visible()

    # Our own signer accepts in the app, from the inbox.
    lee = person(browser, demo, "lee")
    open_task(lee, "Accept the responsibility matrix")
    expect(lee.locator("section.case")).to_contain_text("MSA 7.2")
    lee.get_by_label("accept", exact=True).check()
    shot(lee, "a10-2-our-signer")
    lee.get_by_role("button", name="Complete").click()
    told_done(lee, "Accept the responsibility matrix")

    # Not agreed: the matrix comes back to its author, as it was, with the objection beside it.
    open_task(olivia, "Draft the responsibility matrix")
    expect(olivia.locator("section.case")).to_contain_text("We monitor; you are accountable")
    row = _row(olivia, "Who does what", 1)
    expect(row.get_by_label("Acme, row 1")).to_have_value("R")
    shot(olivia, "a10-2-redraft")
    row.get_by_label("Contract or DPA clause, row 1").fill("MSA 7.2 and DPA 4")
    olivia.get_by_role("button", name="Complete").click()
    told_done(olivia, "Draft the responsibility matrix")

    open_task(lee, "Accept the responsibility matrix")   # round 2: everyone decides afresh
    lee.get_by_label("accept", exact=True).check()
    lee.get_by_role("button", name="Complete").click()
    told_done(lee, "Accept the responsibility matrix")
    anna = outside_party(browser, **PHONE)
    anna.goto(link_in_outbox(olivia, "anna@acme.example"))   # a new link, for the new version
    expect(anna.locator("main")).to_contain_text("MSA 7.2 and DPA 4")
    anna.get_by_label("accept", exact=True).check()
    anna.get_by_role("button", name="Send").click()
    expect(anna.get_by_role("heading", name="Thank you")).to_be_visible()

    # The agreed version is the effective allocation, for anyone to read in the register.
    audrey = person(browser, demo, "audrey")
    go(audrey, "Registers")
    audrey.get_by_role("link", name="Responsibilities").click()
    expect(audrey.locator("tr", has_text="credit-scoring").first.locator("td").nth(2)).to_have_text("2")   # the round
    audrey.get_by_text("All of credit-scoring").click()
    expect(audrey.get_by_text("MSA 7.2 and DPA 4")).to_be_visible()
    shot(audrey, "a10-2-register")


def test_a10_3_a_high_risk_supplier_is_assessed_approved_by_three_and_registered(demo, browser):
    review_by = (date.today() + timedelta(days=30)).isoformat()
    alice = person(browser, demo, "alice")   # procurement
    ask_for_a_supplier(alice, personal_data="Yes")
    alice.get_by_label("processor", exact=True).check()
    shot(alice, "a10-3-start")
    alice.get_by_role("button", name="Start").click()
    # The process sends the supplier's contact a link; procurement lands on the case, the link on it.
    # With no mail server set (as `make run` leaves it), the link waits on the Outbox page, and she is told so.
    expect(alice.get_by_role("status")).to_contain_text(
        "a link to “Supplier details and due diligence” waits for anna@acme.example on the Outbox page")
    expect(alice.get_by_role("region", name="Links sent")).to_contain_text("anna@acme.example")
    shot(alice, "a10-3-waiting-for-the-supplier")

    # The supplier's contact starts on a phone, saves, and finishes later from another device.
    olivia = person(browser, demo, "olivia")
    link = link_in_outbox(olivia, "anna@acme.example")
    anna = outside_party(browser, **PHONE)
    anna.goto(link)
    expect(anna.locator("main")).to_contain_text("Acme Data")   # what it is about
    anna.get_by_label("Legal name").fill("Acme Data Ltd")
    anna.get_by_label("Country").fill("IE")
    add_row(anna, "certifications")
    anna.get_by_label("Certificate, row 1").fill("ISO/IEC 42001")
    choose_file(anna, "Certificate (PDF), row 1", "iso42001.pdf", expires=(date.today() + timedelta(days=400)).isoformat())
    fits(anna)
    shot(anna, "a10-3-supplier-questionnaire")
    anna.get_by_role("button", name="Save and finish later").click()
    expect(anna.get_by_role("status")).to_contain_text("Saved")
    anna = outside_party(browser, **PHONE)
    anna.goto(link)
    expect(anna.get_by_label("Legal name")).to_have_value("Acme Data Ltd")
    expect(anna.get_by_label("Certificate, row 1")).to_have_value("ISO/IEC 42001")
    expect(anna.locator("main")).to_contain_text("1 file received")   # the certificate was kept with the draft
    for promise in ("Data processing agreement signed", "Commits to notify incidents", "Commits to notify changes"):
        anna.get_by_role("group", name=promise).get_by_label("Yes").check()
    choose_file(anna, "Signed data processing agreement (PDF)", "acme-dpa.pdf", effective=date.today().isoformat())
    anna.get_by_role("button", name="Send").click()
    expect(anna.get_by_role("heading", name="Thank you")).to_be_visible()
    anna.goto(link)
    expect(anna.get_by_text("was recorded on")).to_be_visible()   # never "nothing was recorded"
    shot(anna, "a10-3-link-after-the-answer")
    shot(olivia, "a10-3-outbox")
    go(olivia, "Instances")
    olivia.get_by_role("link", name="1", exact=True).click()
    sent = olivia.get_by_role("region", name="Links sent").get_by_role("row", name="anna@acme.example")
    expect(sent.get_by_role("cell").nth(4)).to_contain_text("UTC")   # answered, and when
    shot(olivia, "a10-3-instance")

    # Security hears of it, and assesses what the supplier said.
    sam = person(browser, demo, "sam")
    go(sam, "Notifications")
    expect(sam.get_by_role("heading", name="Assess the supplier's risk")).to_be_visible()
    shot(sam, "a10-3-notifications")
    open_task(sam, "Assess the supplier's risk")
    expect(sam.locator("section.case .steps")).to_contain_text("Supplier details and due diligence")
    sam.locator("section.case .steps summary", has_text="Supplier details").click()
    expect(sam.locator("section.case .steps")).to_contain_text("ISO/IEC 42001")
    for label, value in (("Data sensitivity", "high"), ("Business criticality", "high"),
                         ("How easily replaced", "hard"), ("Regulatory exposure", "high")):
        sam.get_by_role("group", name=label).get_by_label(value, exact=True).check()
    shot(sam, "a10-3-risk-assessment")
    sam.get_by_role("button", name="Complete").click()
    told_done(sam, "Assess the supplier's risk")

    # High risk: procurement, security and legal approve; the assessor may not be security's approver.
    open_task(sam, "Approve the supplier")
    expect(sam.get_by_role("note")).to_contain_text("Separation of duties")
    expect(sam.get_by_role("button", name="Complete")).to_have_count(0)
    expect(sam.get_by_role("button", name="Claim")).to_have_count(0)
    shot(sam, "a10-3-separation-of-duties")

    sofia = person(browser, demo, "sofia")
    open_task(sofia, "Approve the supplier")
    expect(sofia.locator("section.case")).to_contain_text("high")   # the tier the decision table set
    sofia.get_by_label("Approve with conditions").check()
    add_row(sofia, "conditions")
    sofia.get_by_label("Action, row 1").fill("Deliver the model card")
    sofia.get_by_label("Owner, row 1").select_option("sam")
    sofia.get_by_label("Due, row 1").fill(review_by)
    shot(sofia, "a10-3-approval-with-a-condition")
    sofia.get_by_role("button", name="Complete").click()
    told_done(sofia, "Approve the supplier")
    for name in ("alice", "lee"):
        approver = alice if name == "alice" else person(browser, demo, "lee")
        open_task(approver, "Approve the supplier")
        approver.get_by_label("Approve", exact=True).check()
        approver.get_by_role("button", name="Complete").click()
        told_done(approver, "Approve the supplier")

    # Legal checks the contract: a missing clause is no pass, it becomes legal's corrective action.
    # Each clause is answered: one left unanswered is asked for, never taken as missing.
    lee = approver
    open_task(lee, "Complete the contract clause checklist")
    for clause in ("AI responsibilities allocated (A.10.2)", "Audit rights", "Change and incident notification",
                   "Documentation delivered and kept current", "Limits on training with our data"):
        lee.get_by_role("group", name=clause).get_by_label("In the signed contract").check()
    choose_file(lee, "Signed contract (PDF)", "acme-msa.pdf", effective=date.today().isoformat(),
                expires=(date.today() + timedelta(days=3 * 365)).isoformat())
    lee.get_by_role("button", name="Complete").click()
    expect(lee.locator("#f-clauses-art_25_4_agreement-error")).to_have_text("this field is required")
    lee.get_by_role("group", name="EU AI Act Art. 25(4) written agreement").get_by_label("Missing").check()
    expect(lee.locator("main")).to_contain_text("1 file received")   # the contract stays with the form
    shot(lee, "a10-3-contract-checklist")
    lee.get_by_role("button", name="Complete").click()
    told_done(lee, "Complete the contract clause checklist")

    go(lee, "Registers")
    entry = lee.locator("tr", has_text="Acme Data").first
    expect(entry).to_contain_text("Approved with conditions")
    expect(entry).to_contain_text("high")
    lee.get_by_text("All of Acme Data").click()
    expect(lee.locator("tr.details")).to_contain_text("EU AI Act Art. 25(4) written agreement")   # the gap, in words
    expect(lee.locator("tr.details")).not_to_contain_text("Art 25 4 agreement")   # never the field's name
    # The documents are in the register too: the signed DPA, the certificate and the contract, with their days.
    expect(lee.locator("tr.details")).to_contain_text("expires " + (date.today() + timedelta(days=400)).isoformat())
    for name in ("acme-dpa.pdf", "acme-msa.pdf"):
        expect(lee.locator("tr.details").get_by_role("link", name=name)).to_be_visible()
    shot(lee, "a10-3-register")
    with lee.expect_download() as got:   # legal reads the certificate the supplier gave
        lee.locator("tr.details").get_by_role("link", name="iso42001.pdf").click()
    assert Path(got.value.path()).read_bytes() == pdf("iso42001.pdf")
    lee.get_by_role("link", name="Documents expiring").click()   # what runs out, soonest first
    lee.get_by_label("Within (days)").fill("500")
    lee.get_by_role("button", name="Show").click()
    expect(lee.locator("tbody tr").first).to_contain_text("iso42001.pdf")
    expect(lee.locator("tbody tr").first).to_contain_text("in 400 days")
    shot(lee, "a10-3-documents-expiring")

    # Each corrective action is someone's task, named for what it is, closed with what was done.
    open_task(sam, "Close the corrective action: Deliver the model card")
    sam.get_by_label("What was done").fill("Model card v2 received and filed.")
    sam.get_by_role("button", name="Complete").click()
    told_done(sam, "Close the corrective action")
    open_task(lee, "Close the corrective action: Get the contract clause agreed: EU AI Act Art. 25(4) written agreement")
    lee.get_by_label("What was done").fill("Art. 25(4) addendum signed.")
    lee.get_by_label("Where the proof is").fill("DMS-4411")
    lee.get_by_role("button", name="Complete").click()
    told_done(lee, "Close the corrective action")
    # Every action closed: the register moves to approved, the actions closed on record.
    go(lee, "Registers")
    entry = lee.locator("table.register tbody tr", has_text="Acme Data").first
    expect(entry.get_by_role("cell").nth(1)).to_have_text("Approved")


def test_a10_4_a_change_notice_is_sent_back_approved_and_answered_by_each_customer(demo, browser):
    olivia = person(browser, demo, "olivia")   # AI system owner
    start(olivia, "Customer change notification (A.10.4)")
    field(olivia, "AI system").fill("credit-scoring")
    field(olivia, "Version before the change").fill("2.3")
    field(olivia, "Version after the change").fill("3.0")
    field(olivia, "What changed").select_option("model update or retraining")
    olivia.get_by_role("group", name="Materiality").get_by_label("high").check()
    olivia.get_by_role("group", name="A pre-determined change, already disclosed to customers").get_by_label("No").check()
    for number, (name, contact) in enumerate([("Bank A", "ops@bank-a.example"),
                                              ("Bank B", "risk@bank-b.example")], start=1):
        add_row(olivia, "affected customers")
        field(olivia, f"Customer, row {number}").fill(name)
        field(olivia, f"Contact's e-mail, row {number}").fill(contact)
        field(olivia, f"Account manager, row {number}").select_option("alice")
    shot(olivia, "a10-4-start")
    olivia.get_by_role("button", name="Start").click()

    # High materiality: 30 days' notice, which the effective date must respect.
    expect(olivia.get_by_role("heading", level=1)).to_have_text("Draft the change notice")
    field(olivia, "What changes").fill("Version 3.0 retrains the model on 2026 data.")
    field(olivia, "How it affects the customer").fill("Scores shift by up to 2 points.")
    field(olivia, "Effective from").fill((date.today() + timedelta(days=7)).isoformat())
    # The updated model card goes with the notice: the service computes its SHA-256, nobody types one.
    add_row(olivia, "updated documents")
    olivia.get_by_label("Document, row 1").fill("Model card")
    olivia.get_by_label("Version, row 1").fill("3.0")
    choose_file(olivia, "File, row 1", "model-card-3.0.pdf")
    olivia.get_by_role("button", name="Complete").click()
    expect(olivia.locator("#f-notice-effective_date-error")).to_contain_text("at least 30 days from today")
    field(olivia, "Effective from").fill((date.today() + timedelta(days=45)).isoformat())
    olivia.get_by_role("button", name="Complete").click()
    told_done(olivia, "Draft the change notice")

    # The drafter may not approve their own notice (an owner sees it, but may not take it);
    # compliance sends it back, saying why.
    go(olivia, "Inbox")
    expect(olivia.locator("tr", has_text="Approve the change notice").get_by_role("button", name="Claim")).to_have_count(0)
    sam = person(browser, demo, "sam")
    open_task(sam, "Approve the change notice")
    case = sam.locator("section.case")
    expect(case).to_contain_text("Version 3.0 retrains the model")
    expect(case).to_contain_text("Bank B")
    sam.get_by_role("button", name="Complete").click()   # a decision is a choice made, never a default
    expect(sam.locator("#f-notice_decision-error")).to_have_text("this field is required")
    sam.get_by_role("group", name="Decision").get_by_label("Send it back with changes").check()
    sam.get_by_role("button", name="Complete").click()   # sent back without saying why: not enough
    expect(sam.locator("#f-approval_comment-error")).to_be_visible()
    field(sam, "Comment (required to send it back)").fill("Tell them what they must do, and by when.")
    shot(sam, "a10-4-send-back")
    sam.get_by_role("button", name="Complete").click()
    told_done(sam, "Approve the change notice")

    open_task(olivia, "Draft the change notice")
    expect(olivia.locator("main")).to_contain_text("Tell them what they must do, and by when.")
    expect(field(olivia, "What changes")).to_have_value("Version 3.0 retrains the model on 2026 data.")
    field(olivia, "What the customer must do").fill("Re-validate cut-offs before the effective date.")
    shot(olivia, "a10-4-redraft")
    olivia.get_by_role("button", name="Complete").click()
    told_done(olivia, "Draft the change notice")
    open_task(sam, "Approve the change notice")
    sam.get_by_role("group", name="Decision").get_by_label("Approve: send it to the customers").check()
    sam.get_by_role("button", name="Complete").click()
    told_done(sam, "Approve the change notice")

    # The account manager sees each customer's answer pending, by name and by when.
    alice = person(browser, demo, "alice")
    go(alice, "Inbox")
    for bank in ("Bank A", "Bank B"):
        expect(alice.get_by_role("row", name=f"Customer acknowledges or objects: {bank}")).to_contain_text("UTC")
    shot(alice, "a10-4-account-manager-inbox")

    bank_a = outside_party(browser, **PHONE)
    bank_a.goto(link_in_outbox(olivia, "ops@bank-a.example"))
    expect(bank_a.locator("main")).to_contain_text("Re-validate cut-offs")
    card = hashlib.sha256(pdf("model-card-3.0.pdf")).hexdigest()   # what the customer compares with their copy
    expect(bank_a.locator("main")).to_contain_text("model-card-3.0.pdf")
    expect(bank_a.locator(f'code[title="{card}"]')).to_be_visible()
    with bank_a.expect_download() as got:   # and the card itself, from the link, to compare
        bank_a.get_by_role("link", name="model-card-3.0.pdf").click()
    assert hashlib.sha256(Path(got.value.path()).read_bytes()).hexdigest() == card
    expect(bank_a.locator("main")).not_to_contain_text("Bank B")   # nobody sees the other customers
    fits(bank_a)
    shot(bank_a, "a10-4-customer-reads-the-notice")
    bank_a.get_by_label("We acknowledge the change").check()
    bank_a.get_by_role("button", name="Send").click()
    expect(bank_a.get_by_role("heading", name="Thank you")).to_be_visible()

    bank_b = outside_party(browser, **PHONE)
    bank_b.goto(link_in_outbox(olivia, "risk@bank-b.example"))
    bank_b.get_by_label("We object to it").check()
    bank_b.get_by_role("button", name="Send").click()   # an objection without a reason is not enough
    expect(bank_b.locator("#f-response_comment-error")).to_be_visible()
    field(bank_b, "Comment (required with an objection)").fill("We need 60 days to re-validate.")
    bank_b.get_by_role("button", name="Send").click()
    expect(bank_b.get_by_role("heading", name="Thank you")).to_be_visible()

    open_task(alice, "Address the customer's objection: Bank B")
    expect(alice.locator("main")).to_contain_text("We need 60 days to re-validate.")
    field(alice, "What was agreed with the customer").fill("Bank B keeps 2.3 for 30 more days.")
    shot(alice, "a10-4-objection")
    alice.get_by_role("button", name="Complete").click()
    told_done(alice, "Address the customer's objection")

    go(alice, "Registers")
    alice.get_by_role("link", name="Change notices").click()
    alice.get_by_text("All of credit-scoring:3.0").click()
    for outcome in ("acknowledged", "objected", "Bank B keeps 2.3 for 30 more days."):
        expect(alice.get_by_text(outcome, exact=True)).to_be_visible()
    shot(alice, "a10-4-register")
