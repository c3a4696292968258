"""The built-in modeller as a process owner meets it: nothing alarming on opening, and a
properties panel that offers what a10flow runs (forms, assignment, due dates, extension
properties, who may start...) and not the Camunda 7 features it does not (history clean-up,
job execution, asynchronous continuations, listeners, follow-up dates, priorities...)."""
from playwright.sync_api import expect

from pages import person, shot

# Groups of Camunda 7 features a10flow does not run: none is offered, whatever is selected.
NOT_RUN = {"History cleanup", "Job execution", "Asynchronous continuations", "Execution listeners",
           "Task listeners", "External task", "Start initiator", "Outputs", "Connector inputs",
           "Field injections", "Tasklist", "In mappings", "Out mappings", "Business key"}


def _panel(page, element=None):
    """Select ``element`` (None: the process itself); the titles of the panel's groups."""
    if element:
        page.locator(f'.djs-element[data-element-id="{element}"]').click()
    else:
        page.locator(".djs-container > svg").first.click(position={"x": 500, "y": 450})   # empty canvas
    return set(page.locator(".bio-properties-panel-group-header-title").all_inner_texts())


def _open(page, group):
    page.locator(".bio-properties-panel-group-header", has_text=group).click()
    return page.locator(".bio-properties-panel-group-header.open", has_text=group).locator("xpath=..")


def test_the_modeller_opens_quietly_and_offers_only_what_a10flow_runs(demo, browser):
    page = person(browser, demo, "olivia", viewport={"width": 1400, "height": 900})
    page.goto(f"{demo}/definitions/supplier_onboarding/versions/1/edit")
    expect(page.get_by_role("button", name="Deploy as the next version")).to_be_enabled()
    expect(page.locator(".problems")).to_be_hidden()   # no empty red bar: nothing is wrong yet
    expect(page.get_by_role("alert")).to_have_count(0)

    groups = _panel(page, "assess_risk")
    assert {"General", "Documentation", "User assignment", "Forms", "Extension properties"} <= groups
    assert not groups & NOT_RUN
    assignment = _open(page, "User assignment")
    for kept in ("Assignee", "Candidate groups", "Candidate users", "Due date"):
        expect(assignment.get_by_label(kept, exact=True)).to_have_count(1)
    expect(assignment.get_by_text("Follow up date")).to_have_count(0)
    expect(assignment.get_by_text("Priority")).to_have_count(0)
    shot(page, "modeller-user-task")

    groups = _panel(page, "approve_supplier")   # one task per approver
    assert "Multi-instance" in groups and not groups & NOT_RUN
    expect(_open(page, "Multi-instance").get_by_text("Asynchronous before")).to_have_count(0)

    groups = _panel(page)
    assert "Candidate starter" in groups and not groups & NOT_RUN
    expect(_open(page, "General").get_by_text("Version tag")).to_have_count(0)   # a10flow numbers versions itself
    shot(page, "modeller-process")
