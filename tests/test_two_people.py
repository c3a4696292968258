"""Two people at one task, each in a browser of their own: whoever loses the race keeps what they
typed, is told who has the task (and since when) and what they can do."""
import re

from pages import (
    ask_for_a_supplier,
    field,
    go,
    link_in_outbox,
    open_task,
    outside_party,
    person,
    shot,
    supplier_answers,
)
from playwright.sync_api import expect

NOTE = ("Sub-processor list checked against the DPA annex; two hosting regions outside the EU, "
        "both covered by SCCs. Model card promised for next quarter. " * 4).strip()


def _risk_task_waits(browser, demo):
    """alice asks for a supplier, its contact answers by link: the risk assessment waits for security."""
    alice = person(browser, demo, "alice")
    ask_for_a_supplier(alice)
    alice.get_by_role("button", name="Start").click()
    expect(alice.get_by_role("status")).to_contain_text("waits for anna@acme.example on the Outbox page")
    supplier_answers(browser, demo)


def _assess(page):
    for label, value in (("Data sensitivity", "high"), ("Business criticality", "medium"),
                         ("How easily replaced", "hard"), ("Regulatory exposure", "moderate")):
        page.get_by_role("group", name=label).get_by_label(value, exact=True).check()
    field(page, "Notes").fill(NOTE)


def _still_typed(page):
    expect(page.get_by_role("group", name="Data sensitivity").get_by_label("high", exact=True)).to_be_checked()
    expect(page.get_by_role("group", name="Regulatory exposure").get_by_label("moderate", exact=True)).to_be_checked()
    expect(field(page, "Notes")).to_have_value(NOTE)


def test_sam_types_sofia_claims_sam_submits_and_keeps_his_work(demo, browser):
    _risk_task_waits(browser, demo)
    sam, sofia = person(browser, demo, "sam"), person(browser, demo, "sofia")
    open_task(sam, "Assess the supplier's risk")
    _assess(sam)

    open_task(sofia, "Assess the supplier's risk")   # meanwhile, in her own browser
    sofia.get_by_role("button", name="Claim").click()
    expect(sofia.get_by_role("status")).to_contain_text("The task is yours now")

    sam.get_by_role("button", name="Complete").click()
    refused = sam.get_by_role("alert")
    expect(refused).to_contain_text(re.compile(r"Not done: sofia claimed this task at \d{4}-\d\d-\d\d \d\d:\d\d UTC"))
    expect(refused).to_contain_text("saved as your draft")
    expect(refused).to_contain_text("Ask sofia to give it back")
    expect(refused).to_contain_text("Ask morgan to hand it to you")   # security's lead
    _still_typed(sam)
    expect(sam.get_by_role("button", name="Complete")).to_have_count(0)
    shot(sam, "two-people-sam-refused")

    open_task(sam, "Assess the supplier's risk")
    _still_typed(sam)   # kept as his draft: opening the task again, it is still there

    # sofia gives it back; sam's typing is there when he opens it again, and he finishes it.
    sofia.get_by_role("button", name="Give it back").click()
    open_task(sam, "Assess the supplier's risk")
    _still_typed(sam)
    sam.get_by_role("button", name="Complete").click()
    expect(sam.get_by_role("status")).to_contain_text("Done: Assess the supplier's risk")


def test_save_draft_is_kept_too_and_the_lead_hands_the_task_back(demo, browser):
    _risk_task_waits(browser, demo)
    sam, sofia = person(browser, demo, "sam"), person(browser, demo, "sofia")
    open_task(sam, "Assess the supplier's risk")
    open_task(sofia, "Assess the supplier's risk")
    sofia.get_by_role("button", name="Claim").click()
    _assess(sam)
    sam.get_by_role("button", name="Save draft").click()
    refused = sam.get_by_role("alert")
    expect(refused).to_contain_text("sofia claimed this task")
    expect(refused).to_contain_text("Ask morgan to hand it to you")
    _still_typed(sam)

    # morgan leads security: told what happened, he hands the task to sam, who finds his work there.
    morgan = person(browser, demo, "morgan")
    open_task(morgan, "Assess the supplier's risk")
    morgan.get_by_text("Hand this task on to someone else").click()
    morgan.get_by_label("To").select_option("user:sam")
    morgan.get_by_label("Why").fill("sam had it nearly done")
    morgan.get_by_role("button", name="Hand on").click()
    expect(morgan.get_by_role("status")).to_contain_text("is with sam now")
    open_task(sam, "Assess the supplier's risk")
    _still_typed(sam)
    sam.get_by_role("button", name="Complete").click()
    expect(sam.get_by_role("status")).to_contain_text("Done: Assess the supplier's risk")


def test_someone_handed_out_of_sight_of_a_task_still_sees_what_they_typed(demo, browser):
    _risk_task_waits(browser, demo)
    sam, morgan = person(browser, demo, "sam"), person(browser, demo, "morgan")
    open_task(sam, "Assess the supplier's risk")
    _assess(sam)
    open_task(morgan, "Assess the supplier's risk")
    morgan.get_by_text("Hand this task on to someone else").click()
    morgan.get_by_label("To").select_option("group:legal")
    morgan.get_by_role("button", name="Hand on").click()
    sam.get_by_role("button", name="Complete").click()
    expect(sam.locator("main")).to_contain_text("no longer one you can see")
    expect(sam.locator("section.unsent")).to_contain_text(NOTE)
    shot(sam, "two-people-handed-out-of-sight")


def test_a_task_completed_meanwhile_says_by_whom_and_shows_what_was_typed(demo, browser):
    _risk_task_waits(browser, demo)
    sam, sofia = person(browser, demo, "sam"), person(browser, demo, "sofia")
    open_task(sam, "Assess the supplier's risk")
    _assess(sam)
    open_task(sofia, "Assess the supplier's risk")
    for label, value in (("Data sensitivity", "low"), ("Business criticality", "low"),
                         ("How easily replaced", "easy"), ("Regulatory exposure", "none")):
        sofia.get_by_role("group", name=label).get_by_label(value, exact=True).check()
    sofia.get_by_role("button", name="Complete").click()
    expect(sofia.get_by_role("status")).to_contain_text("Done")

    sam.get_by_role("button", name="Complete").click()
    expect(sam.get_by_role("alert")).to_contain_text("Not done: sofia completed this task")
    unsent = sam.locator("section.unsent")
    expect(unsent).to_contain_text("What you typed (not submitted)")
    expect(unsent).to_contain_text(NOTE)
    expect(sam.locator("section.submitted")).to_contain_text("By sofia")
    shot(sam, "two-people-completed-meanwhile")

    # What told him of the task asks nothing of him any more: it no longer counts as unread.
    expect(sam.get_by_role("navigation", name="Main")).not_to_contain_text("unread")
    go(sam, "Notifications")
    expect(sam.locator("li", has_text="Assess the supplier's risk")).to_contain_text(
        "Nothing to do any more: the task was done by sofia")
    shot(sam, "two-people-notification-of-a-done-task")


def test_an_answer_sent_through_a_link_after_the_task_was_done_is_shown_back(demo, browser):
    alice = person(browser, demo, "alice")
    ask_for_a_supplier(alice)
    alice.get_by_role("button", name="Start").click()
    olivia = person(browser, demo, "olivia")
    anna = outside_party(browser)
    anna.goto(link_in_outbox(olivia, "anna@acme.example"))
    anna.get_by_label("Legal name").fill("Acme Data Ltd")
    anna.get_by_label("Country").fill("IE")
    anna.get_by_label("Where the training data comes from").fill("Licensed credit bureau data, 2019-2025")

    # Meanwhile procurement withdraws the link (the answer came by phone).
    go(olivia, "Instances")
    olivia.get_by_role("link", name="1", exact=True).click()
    sent = olivia.get_by_role("region", name="Links sent")
    sent.get_by_role("link", name="Supplier details and due diligence").click()
    olivia.get_by_role("region", name="Links sent").get_by_role("button", name="Withdraw").click()

    anna.get_by_role("button", name="Send").click()
    expect(anna.get_by_role("heading", level=1)).to_have_text("This link can no longer be used")
    expect(anna.locator("section.unsent")).to_contain_text("Licensed credit bureau data, 2019-2025")
    shot(anna, "two-people-link-withdrawn")


def test_signed_out_in_another_tab_sam_still_sees_what_he_typed(demo, browser):
    _risk_task_waits(browser, demo)
    sam = person(browser, demo, "sam")
    open_task(sam, "Assess the supplier's risk")
    _assess(sam)
    other_tab = sam.context.new_page()
    other_tab.goto(demo)
    other_tab.get_by_role("button", name="Sign out").click()

    sam.get_by_role("button", name="Complete").click()
    expect(sam.get_by_role("heading", level=1)).to_have_text("This form has expired")
    expect(sam.locator("main")).to_contain_text("you were signed out")
    expect(sam.locator("section.unsent")).to_contain_text(NOTE)
    expect(sam.locator("section.unsent")).not_to_contain_text("csrf")
    shot(sam, "two-people-signed-out-meanwhile")


def test_a_session_ended_elsewhere_shows_back_what_was_typed(app, as_, purchase):
    """alice's session ends on the server (a new password, set on another device) while she fills
    in a task: the page she sends it from answers with what she typed, not a bare sign-in page."""
    from helpers import signed_in

    from a10flow.models import User, db
    from a10flow.people import auth
    alice = signed_in(app, "alice")
    task = as_["alice"].post("/api/v1/instances", json={"process": "purchase"}).json["open_tasks"][0]["id"]
    alice.get(f"/tasks/{task}")
    with app.app_context():
        auth.set_password(db.session.scalar(db.select(User).where(User.name == "alice")), "a-new-secret")
        db.session.commit()
    sent = alice.post(f"/tasks/{task}", {"action": "complete", "tool": "Label Studio", "amount": "1200"})
    assert sent.status_code == 401 and "You are signed out" in sent.text
    assert "Label Studio" in sent.text and "1200" in sent.text and "csrf" not in sent.text.lower().split("<main")[1]
    assert as_["alice"].get(f"/api/v1/tasks/{task}").json["status"] == "open"   # nothing was done


def test_a_link_whose_sender_lost_the_task_keeps_the_answer_on_its_page(app, as_):
    """alice hands the questionnaire to anna by link; bob claims the task before anna sends it: anna's
    answer is refused (alice may no longer have it done) and stays on her page, told why."""
    from helpers import DATA, Visitor
    as_["owner"].deploy(DATA / "review.bpmn", DATA / "supplier.json")
    task = as_["alice"].post("/api/v1/instances", json={"process": "review"}).json["open_tasks"][0]
    made = as_["alice"].post(f"/api/v1/tasks/{task['id']}/links", json={"party": "anna@acme.example"}).json
    page = made["path"].replace("/api/v1/external/", "/x/")
    anna = Visitor(app)
    anna.get(page)
    assert as_["bob"].post(f"/api/v1/tasks/{task['id']}/claim").status_code == 200
    sent = anna.post(page, {"action": "submit", "legal_name": "Acme Data Ltd", "reviewer": "lee"}, csrf=False)
    assert sent.status_code == 403
    assert "Not sent: the person who sent you this link may no longer have this task done" in sent.text
    assert 'value="Acme Data Ltd"' in sent.text   # still in its field, to send again through a new link
    assert as_["bob"].get(f"/api/v1/tasks/{task['id']}").json["status"] == "open"


def test_an_auditor_posting_to_a_task_keeps_nothing_and_is_on_record(app, as_, purchase):
    from helpers import signed_in
    task = as_["alice"].post("/api/v1/instances", json={"process": "purchase"}).json["open_tasks"][0]["id"]
    auditor = signed_in(app, "auditor")
    auditor.get(f"/tasks/{task}")
    for action in ("complete", "save", "claim"):
        refused = auditor.post(f"/tasks/{task}", {"action": action, "tool": "Label Studio", "amount": "1"})
        assert refused.status_code == 403 and "saved as your draft" not in refused.text
    assert "Label Studio" not in auditor.get(f"/tasks/{task}").text   # no draft of theirs was kept
    events = as_["admin"].get("/api/v1/security-events").json["items"]
    assert len([e for e in events if e["path"] == f"/tasks/{task}"]) == 3


def test_claiming_from_the_inbox_after_someone_else_says_who_has_it(app, as_, purchase):
    from helpers import signed_in
    task = as_["owner"].post("/api/v1/instances", json={"process": "purchase"}).json["open_tasks"][0]["id"]
    alice = signed_in(app, "alice")
    alice.get("/inbox")
    assert as_["bob"].post(f"/api/v1/tasks/{task}/claim").status_code == 200
    late = alice.post(f"/tasks/{task}/claim")
    assert late.status_code == 302 and late.headers["Location"] == f"/tasks/{task}"
    assert "It is not yours: bob claimed this task at" in alice.get(late.headers["Location"]).text
