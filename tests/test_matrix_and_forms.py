"""What people meet in a task's form: the A.10.2 matrix as a grid of parties, rule errors beside
their row at submit with nothing changed, drafts that keep every row, long text in a box that
says its limit before it is sent."""
import json
import re

from pages import PHONE, add_row, fits, go, outside_party, person, shot
from playwright.sync_api import expect

DESKTOP = {"viewport": {"width": 1366, "height": 900}}


def _start_matrix(page, ai_system="credit-scoring"):
    go(page, "Start")
    page.get_by_role("link", name="Responsibility sign-off (A.10.2)").click()
    page.get_by_label("AI system").fill(ai_system)
    page.get_by_role("button", name="Start").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Draft the responsibility matrix")


def _table(page, legend):
    return page.locator("fieldset.group", has=page.locator(f"legend:text-is('{legend}')")).locator(
        ":scope > .scroll > table")


def _rows(page, legend):
    return _table(page, legend).locator(":scope > tbody > tr:not(.row-problem)")


def _party(page, number, name, kind, representative):
    row = _rows(page, "Parties").nth(number - 1)
    row.get_by_label(f"Party, row {number}").fill(name)
    row.get_by_label(f"Kind, row {number}").select_option(kind)
    row.get_by_label(f"Representative, row {number}").fill(representative)


def _headers(page):
    return _table(page, "Who does what").locator("thead th")


def test_parties_added_on_the_page_are_columns_of_the_grid_at_once(demo, browser):
    olivia = person(browser, demo, "olivia", **DESKTOP)
    _start_matrix(olivia)
    add_row(olivia, "who does what")
    add_row(olivia, "parties")
    # The new party is a column before it has a name, and takes its name as it is typed.
    expect(_headers(olivia)).to_have_text(["Life-cycle stage", "Activity", "Party 1",
                                           re.compile("^Contract or DPA clause"), "Remove"])
    _party(olivia, 1, "Us", "organisation", "lee")
    expect(_headers(olivia).nth(2)).to_have_text("Us")
    add_row(olivia, "parties")
    _party(olivia, 2, "Bank B", "customer", "risk@bank-b.example")
    expect(_headers(olivia)).to_have_text(["Life-cycle stage", "Activity", "Us", "Bank B",
                                           re.compile("^Contract or DPA clause"), "Remove"])
    row = _rows(olivia, "Who does what").nth(0)
    expect(row.get_by_label("Bank B, row 1").locator("option")).to_have_text(["none", "R", "A", "RA", "C", "I"])
    row.get_by_label("Us, row 1").select_option("A")
    row.get_by_label("Bank B, row 1").select_option("R")
    # Renaming a party keeps its shares: the cell belongs to the party's row, not to its old name.
    _rows(olivia, "Parties").nth(1).get_by_label("Party, row 2").fill("Bank B plc")
    add_row(olivia, "who does what")
    expect(_headers(olivia).nth(3)).to_have_text("Bank B plc")
    expect(_rows(olivia, "Who does what").nth(0).get_by_label("Bank B plc, row 1")).to_have_value("R")
    fits(olivia)
    shot(olivia, "matrix-grid-parties-as-columns")

    # On her phone the same draft: each row a card, each party's cell labelled with the party.
    olivia.get_by_role("button", name="Save draft").click()
    phone = person(browser, demo, "olivia", **PHONE)
    phone.goto(olivia.url)
    expect(_rows(phone, "Who does what").nth(0).get_by_label("Bank B plc, row 1")).to_have_value("R")
    fits(phone)
    shot(phone, "matrix-grid-on-a-phone")


def test_without_javascript_a_party_is_a_column_after_the_round_trip(demo, browser):
    olivia = person(browser, demo, "olivia", java_script_enabled=False, **DESKTOP)
    _start_matrix(olivia)
    add_row(olivia, "parties")
    add_row(olivia, "who does what")
    _party(olivia, 1, "Us", "organisation", "lee")
    expect(_headers(olivia).nth(2)).to_have_text("Party 1")   # no script: the name follows on the next trip
    olivia.get_by_role("button", name="Save draft").click()
    expect(_headers(olivia).nth(2)).to_have_text("Us")


def test_a_matrix_that_breaks_the_rules_is_refused_at_submit_beside_its_row(demo, browser):
    olivia = person(browser, demo, "olivia", **DESKTOP)
    _start_matrix(olivia)
    task_url = olivia.url
    for _ in range(2):
        add_row(olivia, "parties")
    for _ in range(2):
        add_row(olivia, "who does what")
    _party(olivia, 1, "Us", "organisation", "lee")
    _party(olivia, 2, "Acme", "supplier", "anna@acme.example")
    for number, (stage, activity, us, acme) in enumerate([("deployment", "monitoring", "A", "R"),
                                                           ("inception", "impact assessment", "A", "A")], start=1):
        row = _rows(olivia, "Who does what").nth(number - 1)
        row.get_by_label(f"Life-cycle stage, row {number}").select_option(stage)
        row.get_by_label(f"Activity, row {number}").select_option(activity)
        row.get_by_label(f"Us, row {number}").select_option(us)
        row.get_by_label(f"Acme, row {number}").select_option(acme)
    olivia.get_by_role("button", name="Complete").click()

    # Refused on the spot: the problems under row 2, what was entered still there, no "Done".
    expect(olivia.get_by_role("alert")).to_contain_text("The form has 2 problems")
    problems = _table(olivia, "Who does what").locator("tr.row-problem")
    expect(problems).to_have_text(["Row 2: needs exactly one Accountable (A) party, has 2 (Us, Acme); "
                                   "needs at least one Responsible (R) party"])
    cell = _rows(olivia, "Who does what").nth(1).get_by_label("Acme, row 2")
    expect(cell).to_have_value("A")
    expect(cell).to_have_accessible_description(re.compile("needs exactly one Accountable"))   # told when it has focus
    expect(olivia.get_by_role("status")).to_have_count(0)
    shot(olivia, "matrix-rule-error-beside-its-row")

    # Nothing changed: the task is still open, still the draft, with no matrix in the case.
    olivia.goto(task_url)
    expect(olivia.get_by_role("heading", level=1)).to_have_text("Draft the responsibility matrix")
    expect(olivia.locator("section.case")).not_to_contain_text("Problems")
    go(olivia, "Instances")
    expect(olivia.locator("main")).not_to_contain_text("Accept the responsibility matrix")


def test_save_draft_keeps_a_row_just_added(demo, browser):
    olivia = person(browser, demo, "olivia")
    _start_matrix(olivia)
    add_row(olivia, "parties")
    _party(olivia, 1, "Us", "organisation", "lee")
    for _ in range(2):
        add_row(olivia, "who does what")
    _rows(olivia, "Who does what").nth(0).get_by_label("Life-cycle stage, row 1").select_option("deployment")
    olivia.get_by_role("button", name="Save draft").click()
    expect(olivia.get_by_role("status")).to_contain_text("Draft saved")
    expect(_rows(olivia, "Who does what")).to_have_count(2)   # the second, still empty, is kept
    expect(_rows(olivia, "Who does what").nth(0).get_by_label("Life-cycle stage, row 1")).to_have_value("deployment")
    expect(_rows(olivia, "Parties")).to_have_count(1)


def test_a_comment_is_a_box_that_says_its_limit_before_it_is_sent(demo, browser):
    olivia = person(browser, demo, "olivia")
    _start_matrix(olivia)
    for _ in range(2):
        add_row(olivia, "parties")
    add_row(olivia, "who does what")
    _party(olivia, 1, "Us", "organisation", "olivia")
    _party(olivia, 2, "Acme", "supplier", "anna@acme.example")
    row = _rows(olivia, "Who does what").nth(0)
    row.get_by_label("Life-cycle stage, row 1").select_option("deployment")
    row.get_by_label("Activity, row 1").select_option("monitoring")
    row.get_by_label("Us, row 1").select_option("A")
    row.get_by_label("Acme, row 1").select_option("R")
    olivia.get_by_role("button", name="Complete").click()
    expect(olivia.get_by_role("status")).to_contain_text("Done: Draft the responsibility matrix")

    go(olivia, "Outbox")
    link = re.search(r"https?://\S+/x/\S+", olivia.locator("li", has_text="To anna@acme.example").first
                     .locator("pre").inner_text()).group(0)
    anna = outside_party(browser, **PHONE)
    anna.goto(link)
    comment = anna.get_by_label("Comment or counter-proposal")
    expect(comment).to_have_js_property("tagName", "TEXTAREA")
    expect(comment).to_have_attribute("maxlength", "20000")
    expect(anna.locator("main")).to_contain_text("Up to 20,000 characters.")
    comment.fill("x" * 20_050)
    expect(comment).to_have_value("x" * 20_000)   # the box stops at the limit instead of an error after Send
    expect(anna.locator("main")).to_contain_text("20,000 of 20,000 characters.")
    fits(anna)
    shot(anna, "matrix-comment-box-with-its-limit")


def _posted(form, out):
    """What a browser posts for a built form left as it is (unchecked boxes post nothing)."""
    for f in form:
        if f.kind == "table":
            for i, row in enumerate(f.children):
                out.append((f"{f.path}/{i}/_row", "1"))
                _posted(row, out)
        elif f.kind in ("group", "keyed"):
            _posted(f.children, out)
        elif f.kind not in ("checkbox", "radio", "choices"):
            out.append((f.path, ""))
    return out


def _tables(form):
    for f in form:
        if f.kind == "table":
            yield f
        elif f.kind == "group":
            yield from _tables(f.children)


def test_every_bundled_form_keeps_an_empty_row_through_a_saved_draft(app):
    """A row just added and not yet filled is a row the person wants: a draft saved and opened again has it."""
    from pathlib import Path

    from werkzeug.datastructures import MultiDict

    from a10flow.web import fields
    for path in sorted((Path(__file__).parents[1] / "forms").glob("*.json")):
        schema = json.loads(path.read_text())
        data = {}
        for table in list(_tables(fields.build(schema, data))):
            data = fields.change_rows(fields.build(schema, data), data, f"add:{table.path}")
            shown = fields.build(schema, data)
            saved = fields.parse(schema, MultiDict(_posted(shown, [])))
            reopened = fields.build(schema, saved)
            assert [len(t.children) for t in _tables(reopened)] == [len(t.children) for t in _tables(shown)], \
                f"{path.name}: {table.path}"
