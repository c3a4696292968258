"""The Start page for people who may start nothing: it says why, who may start each process,
and whom to ask, instead of showing an empty page (the demo's lee and morgan)."""
from playwright.sync_api import expect

from pages import go, person, shot


def test_someone_who_may_start_nothing_is_told_why_and_whom_to_ask(demo, browser):
    lee = person(browser, demo, "lee")
    go(lee, "Start")
    expect(lee.get_by_text("You may not start any process yet")).to_contain_text("your groups: legal")
    starters = lee.get_by_role("list", name="You may not start any process yet")
    expect(starters.get_by_role("listitem")).to_have_count(3)   # the three bundled processes
    expect(starters).to_contain_text("AI supplier onboarding (A.10.3): members of procurement or ai-system-owners")
    expect(starters).to_contain_text("members of ai-system-owners, account-managers or compliance")
    expect(lee.get_by_text("To start one, ask")).to_contain_text(
        "ask an administrator (admin) to add you to one of its groups, or a process owner (olivia) to name your group")
    shot(lee, "start-nothing-to-start")

    alice = person(browser, demo, "alice")   # procurement and account managers: two of the three
    go(alice, "Start")
    expect(alice.get_by_role("link", name="AI supplier onboarding (A.10.3)")).to_be_visible()
    expect(alice.get_by_text("You may not start")).to_have_count(0)

    audrey = person(browser, demo, "audrey")   # no Start in her menu; an old bookmark, say
    audrey.goto(f"{demo}/start")
    expect(audrey.get_by_text("Auditors read processes, instances and their evidence")).to_be_visible()


def test_before_anything_is_deployed_the_start_page_says_so(app, as_):
    from helpers import signed_in
    page = signed_in(app, "bob").get("/start").text
    assert "No process has been deployed yet: a process owner (owner) deploys them under Processes." in page
