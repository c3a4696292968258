"""Sign-in throttling as an office meets it: many people behind one address (a NAT), one of them
mistyping. Failures are counted per name and per address apart, and whoever is held back is
told for how long."""
import pytest

from a10flow.config import Config
from helpers import Visitor, set_passwords

OFFICE = "203.0.113.7"


def _at(app, address):
    visitor = Visitor(app)
    visitor.client.environ_base["REMOTE_ADDR"] = address
    return visitor


def test_one_persons_wrong_passwords_hold_back_their_name_not_their_office(app, as_):
    set_passwords(app, "alice", "bob", "sam", "lee")
    typist = _at(app, OFFICE)
    for _ in range(5):
        assert typist.sign_in("alice", "summer2026").status_code == 401

    held = typist.sign_in("alice")   # even the right password waits now
    assert held.status_code == 429
    assert "Too many attempts with this name: try again in 5 minutes." in held.text
    assert 290 <= int(held.headers["Retry-After"]) <= 300
    assert 'value="alice"' in held.text   # the form is there again, name kept, to try later
    assert _at(app, "198.51.100.9").sign_in("alice").status_code == 429   # from home too: it is the name that waits

    for colleague in ("bob", "sam", "lee"):   # the rest of the office signs in as usual
        assert _at(app, OFFICE).sign_in(colleague).status_code == 302
    assert _at(app, OFFICE).sign_in("Alice", "guess").status_code == 429   # the name as typed in another case

    events = as_["admin"].get("/api/v1/security-events").json["items"]
    assert [(e["status"], e["user_name"], e["address"]) for e in events[:3]] == [
        (429, "Alice", OFFICE), (429, "alice", "198.51.100.9"), (429, "alice", OFFICE)]
    assert events[0]["reason"] == "too many failed sign-ins for this name"
    assert sum(e["status"] == 401 for e in events) == 5


def test_signing_in_right_never_counts(app, as_):
    set_passwords(app, "bob")
    for _ in range(12):
        assert _at(app, OFFICE).sign_in("bob").status_code == 302


def test_a_spray_over_many_names_from_one_address_is_stopped(app, as_):
    app.config["A10FLOW_SIGN_IN_ADDRESS_LIMIT"] = "6 per minute"   # the default's 100 would take a while here
    set_passwords(app, "bob")
    sprayer = _at(app, "192.0.2.66")
    for name in ("alice", "bob", "sam", "lee", "leah", "nobody"):   # one guess per name: no name's limit is near
        assert sprayer.sign_in(name, "Spring2026!").status_code == 401

    stopped = sprayer.sign_in("owner", "Spring2026!")
    assert stopped.status_code == 429 and "Too many attempts from your network" in stopped.text
    wait = int(stopped.headers["Retry-After"])   # until the oldest of those guesses is a minute old
    assert 30 <= wait <= 60 and (f"try again in {wait} seconds." in stopped.text or wait == 60)
    assert sprayer.sign_in("bob").status_code == 429            # everyone at that address waits
    assert _at(app, OFFICE).sign_in("bob").status_code == 302   # elsewhere nobody does
    reason = as_["admin"].get("/api/v1/security-events").json["items"][0]["reason"]
    assert reason == "too many failed sign-ins from this address"


@pytest.mark.parametrize("value", ["five a minute", "", "0 per minute"])
def test_a_limit_that_is_no_limit_stops_the_service_at_start(tmp_path, monkeypatch, value):
    monkeypatch.setenv("A10FLOW_SIGN_IN_LIMIT", value)
    with pytest.raises(ValueError, match="A10FLOW_SIGN_IN_LIMIT=.* is not a rate limit such as '5 per 5 minutes'"):
        Config(str(tmp_path), A10FLOW_SECRET_KEY="x")



def test_in_the_browser_the_held_back_name_is_told_how_long(app, as_, server, browser):
    from playwright.sync_api import expect

    from pages import shot
    set_passwords(app, "alice")
    page = browser.new_page()
    page.goto(f"{server}/sign-in")
    for _ in range(5):
        page.get_by_label("Name").fill("alice")
        page.get_by_label("Password").fill("wrong")
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("alert")).to_have_text("That name and password do not match an account.")
    page.get_by_label("Password").fill("alice-secret")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_have_text("Too many attempts with this name: try again in 5 minutes.")
    expect(page.get_by_label("Name")).to_have_value("alice")
    shot(page, "sign-in-held-back")
