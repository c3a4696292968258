"""People in a real browser, each in a context of their own: the admin adds a colleague, who signs
in and takes a task; the colleague leaves, the admin disables them, their open browser is signed
out and their task is back with the group; the auditor reads who held which role when."""
import re

from helpers import set_passwords
from pages import person, shot
from playwright.sync_api import expect


def test_an_admin_adds_a_colleague_then_disables_them_and_the_auditor_reads_it(app, as_, purchase, server, browser):
    as_["alice"].post("/api/v1/instances", json={"process": "purchase", "data": {}}).json
    set_passwords(app, "admin", "auditor", "alice")
    admin = person(browser, server, "admin", "admin-secret")
    admin.get_by_role("link", name="People").click()
    admin.get_by_label("Name (they sign in with it)").fill("Nina Novak")
    admin.get_by_label("E-mail", exact=True).fill("nina@example.org")
    admin.get_by_label("Groups").fill("procurement")
    admin.get_by_label("First password").fill("nina-first-secret")
    admin.get_by_role("button", name="Add").click()
    expect(admin.locator(".flash")).to_have_text("Nina Novak was added.")
    shot(admin, "people-person")

    nina = person(browser, server, "Nina Novak", "nina-first-secret")
    nina.get_by_role("link", name="Describe the tool").first.click()
    nina.get_by_role("button", name="Claim").click()
    expect(nina.locator(".flash")).to_have_text("The task is yours now.")

    admin.get_by_role("button", name="Disable Nina Novak").click()
    expect(admin.locator(".flash")).to_contain_text("Nina Novak is disabled")
    expect(admin.locator("#state")).to_contain_text("disabled since")
    admin.get_by_role("link", name="Groups", exact=True).click()
    expect(admin.get_by_role("heading", name="procurement", exact=True)).to_be_visible()
    shot(admin, "people-groups")
    nina.reload()
    expect(nina.get_by_role("button", name="Sign in")).to_be_visible()   # her browser is signed out

    alice = person(browser, server, "alice", "alice-secret")
    alice.goto(f"{server}/inbox?show=claimable")
    expect(alice.get_by_role("link", name="Describe the tool")).to_have_count(1)   # back with procurement
    alice.get_by_role("link", name="Describe the tool").click()
    expect(alice.get_by_role("button", name="Claim")).to_be_visible()

    auditor = person(browser, server, "auditor", "auditor-secret")
    auditor.get_by_role("link", name="Audit").click()
    auditor.get_by_role("link", name="Who held which role when").click()
    rows = auditor.locator("#held tbody tr", has_text="Nina Novak")
    expect(rows).to_have_count(2)
    expect(rows.nth(1)).to_contain_text("staff (disabled)")
    expect(auditor.get_by_role("row", name=re.compile(r"UTC admin Nina Novak disabled$"))).to_have_count(1)
    shot(auditor, "people-access-record")
