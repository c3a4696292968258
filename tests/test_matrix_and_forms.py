"""What people meet in a task's form: the A.10.2 matrix as a grid of parties, rule errors beside
their row at submit, drafts that keep every row, long text in a box that says its limit."""
from playwright.sync_api import expect

from pages import PHONE, fits, go, outside_party, person, shot


def _start_matrix(page, ai_system="credit-scoring"):
    go(page, "Start")
    page.get_by_role("link", name="Responsibility sign-off (A.10.2)").click()
    page.get_by_label("AI system").fill(ai_system)
    page.get_by_role("button", name="Start").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Draft the responsibility matrix")


def _rows(page, table):
    return page.locator("fieldset.group", has=page.locator(f"legend:text-is('{table}')")).locator(
        ":scope > .scroll > table > tbody > tr:not(.row-problem)")


def test_save_draft_keeps_a_row_just_added(demo, browser):
    olivia = person(browser, demo, "olivia")
    _start_matrix(olivia)
    olivia.get_by_role("button", name="Add a row to who does what").click()
    olivia.get_by_role("button", name="Add a row to who does what").click()
    _rows(olivia, "Who does what").nth(0).get_by_label("Life-cycle stage, row 1").select_option("deployment")
    olivia.get_by_role("button", name="Save draft").click()
    expect(olivia.get_by_role("status")).to_contain_text("Draft saved")
    expect(_rows(olivia, "Who does what")).to_have_count(2)   # the second, still empty, is kept
    expect(_rows(olivia, "Who does what").nth(0).get_by_label("Life-cycle stage, row 1")).to_have_value("deployment")
