"""Each person's own account (/account): their password, their signed-in browsers, their API
tokens, and two-factor sign-in (TOTP, recovery codes), required for the roles an operator names.
Each person signs in through the pages; codes are computed from the key the page shows, at the
service's clock."""
import re
from datetime import datetime, timedelta, timezone
from html import unescape

import pyotp
import pytest
from helpers import Visitor, set_passwords, signed_in
from pages import person, shot
from playwright.sync_api import expect

from a10flow import clock
from a10flow.config import Config
from a10flow.models import ApiToken, RecoveryCode, Role, User, db
from a10flow.people import directory

T0 = datetime(2026, 11, 2, 9, 0, 10, tzinfo=timezone.utc)   # 10 s into a 30 s TOTP window
CONTROL = "pass\x07word\x1b[2J\n"   # (NUL: refused before any page reads a form)
LONG = "x" * 10_000


def _user(app, name):
    with app.app_context():
        return db.session.scalar(db.select(User).where(User.name == name))


def _browser(app, name, password=None):
    """Another browser signed in as ``name``, whose password is set already."""
    visitor = Visitor(app)
    assert visitor.sign_in(name, password).status_code == 302
    visitor.get("/inbox")
    return visitor


def _signed_out(visitor):
    answer = visitor.get("/account")
    return answer.status_code == 302 and answer.headers["Location"].startswith("/sign-in")


def _problem(page, field):
    """The message the page shows beside ``field``, or None."""
    found = re.search(rf'id="f-{field}-error">([^<]*)<', page.text)
    return found and unescape(found.group(1))


def _enrol(visitor):
    """Turn on two-factor sign-in as the page asks; returns the authenticator (pyotp) and the recovery codes."""
    page = visitor.get("/account/two-factor")
    assert page.status_code == 200 and 'src="data:image/svg+xml' in page.text   # the QR code, no script
    app = pyotp.TOTP(re.search(r'id="secret">([A-Z2-7]+)<', page.text).group(1))
    done = visitor.post("/account/two-factor", {"code": app.at(clock.now())})
    assert done.status_code == 200, done.text
    codes = re.findall(r"<li><code>([a-z0-9-]+)</code></li>", done.text)
    assert len(codes) == 10
    return app, codes


def _code_step(app, name, code):
    """A new browser signs in as ``name``: the password, then ``code``; the answer to the code."""
    visitor = Visitor(app)
    to_code = visitor.sign_in(name)
    assert to_code.status_code == 302 and to_code.headers["Location"] == "/sign-in/code"
    assert _signed_out(visitor)   # the right password alone opens nothing
    visitor.get("/sign-in/code")
    return visitor, visitor.post("/sign-in/code", {"code": code})


# The password.

def test_a_person_changes_their_password_and_every_other_browser_is_signed_out(app, as_):
    here = signed_in(app, "alice")
    elsewhere = _browser(app, "alice")
    refusals = [({"current_password": "wrong", "new_password": "a long new password"}, "current_password"),
                ({"current_password": LONG, "new_password": "a long new password"}, "current_password"),
                ({"current_password": "alice-secret", "new_password": "short"}, "new_password"),
                ({"current_password": "alice-secret", "new_password": CONTROL * 4}, "new_password"),
                ({"current_password": "alice-secret", "new_password": LONG}, "new_password")]
    for form, field in refusals:
        refused = here.post("/account/password", form)
        assert refused.status_code == 422 and _problem(refused, field), (form, field, refused.status_code)
        assert "Nothing was changed" in refused.text
    assert not _signed_out(elsewhere)   # nothing changed

    changed = here.post("/account/password", {"current_password": "alice-secret",
                                              "new_password": "correct horse battery"}, follow_redirects=True)
    assert "Your password is changed" in changed.text
    assert not _signed_out(here) and _signed_out(elsewhere)
    assert Visitor(app).sign_in("alice").status_code == 401
    assert Visitor(app).sign_in("alice", "correct horse battery").status_code == 302


# Signed-in browsers.

def test_a_person_sees_their_browsers_and_signs_one_out(app, as_):
    here, admin = signed_in(app, "alice"), signed_in(app, "admin")
    elsewhere = _browser(app, "alice")
    page = here.get("/account").text
    assert page.count("this browser") == 1
    ends = re.findall(r'action="/account/sessions/(\d+)/end"', page)
    assert len(ends) == 1   # the other one; this one signs out with Sign out
    admins = re.findall(r'action="/account/sessions/(\d+)/end"', admin.get("/account").text)
    assert admins == []   # the admin's page lists only the admin's browsers
    with app.app_context():
        from a10flow.models import WebSession
        admin_session = db.session.scalar(db.select(WebSession.id).join(User).where(User.name == "admin"))
    assert here.post(f"/account/sessions/{admin_session}/end").status_code == 404   # not hers
    assert not _signed_out(admin)

    assert here.post(f"/account/sessions/{ends[0]}/end").status_code == 302
    assert _signed_out(elsewhere) and not _signed_out(here)
    assert here.post(f"/account/sessions/{ends[0]}/end").status_code == 404   # ended already


# API tokens.

def test_a_person_issues_a_token_sees_its_last_use_to_the_minute_and_revokes_it(app, as_):
    clock.set(T0)
    alice = signed_in(app, "alice")
    for expires in ("2026-11-01", "9999-12-31", "2027-11-03", "tomorrow", CONTROL, LONG, ""):
        refused = alice.post("/account/tokens", {"expires": expires})
        assert refused.status_code == 422 and _problem(refused, "expires_at"), (expires[:20], refused.status_code)
    with app.app_context():
        mine = db.select(ApiToken).join(User).where(User.name == "alice")
        assert len(db.session.scalars(mine).all()) == 1   # only the one the tests' client speaks with

    issued = alice.post("/account/tokens", {"expires": "2027-11-02"})   # a year: the most (through that day)
    token = re.search(r'id="new-token">([^<]+)<', issued.text).group(1)
    assert "shown only now" in issued.text and token not in alice.get("/account").text
    api = {"Authorization": f"Bearer {token}"}
    assert as_[None].get("/api/v1/tasks", headers=api).status_code == 200
    with app.app_context():
        row = db.session.scalars(mine.order_by(ApiToken.id.desc())).first()
        assert row.last_used_at == T0 and row.expires_at == datetime(2027, 11, 3, tzinfo=timezone.utc)
    clock.set(T0 + timedelta(seconds=50))
    as_[None].get("/api/v1/tasks", headers=api)   # within the minute: nothing written
    with app.app_context():
        assert db.session.get(ApiToken, row.id).last_used_at == T0
    clock.set(T0 + timedelta(seconds=70))
    as_[None].get("/api/v1/tasks", headers=api)
    with app.app_context():
        assert db.session.get(ApiToken, row.id).last_used_at == T0 + timedelta(seconds=70)
    assert "2026-11-02 09:01 UTC" in alice.get("/account").text
    assert as_["alice"].get("/api/v1/tokens").json["items"][0]["last_used_at"].startswith("2026-11-02T09:01:20")

    assert signed_in(app, "bob").post(f"/account/tokens/{row.id}/revoke").status_code == 404   # not his
    assert alice.post(f"/account/tokens/{row.id}/revoke").status_code == 302
    assert as_[None].get("/api/v1/tasks", headers=api).status_code == 401
    assert "revoked 2026-11-02 09:01 UTC" in alice.get("/account").text


def test_an_external_auditor_has_an_account_page_but_no_tokens(app, as_):
    with app.app_context():
        directory.create_user(directory.CLI, "rita", Role.EXTERNAL_AUDITOR)
    rita = signed_in(app, "rita")
    page = rita.get("/engagements")
    assert 'href="/account"' in page.text
    assert "API tokens" not in rita.get("/account").text
    assert rita.post("/account/tokens", {"expires": "2026-12-01"}).status_code == 403


# Two-factor sign-in.

def test_two_factor_sign_in_asks_for_the_code_after_the_password_and_takes_each_code_once(app, as_):
    clock.set(T0)
    app.config["A10FLOW_SIGN_IN_LIMIT"] = "50 per 5 minutes"   # more refusals than the default allows (see below)
    alice = signed_in(app, "alice")
    page = alice.get("/account/two-factor").text
    secret = re.search(r'id="secret">([A-Z2-7]+)<', page).group(1)
    assert secret in alice.get("/account/two-factor").text   # a page reloaded shows the same key
    assert secret not in (_user(app, "alice").totp_secret or "")   # kept encrypted
    for code in ("000000", "12345", LONG, CONTROL):
        refused = alice.post("/account/two-factor", {"code": code})
        assert refused.status_code == 422 and "still off" in refused.text
    authenticator, codes = _enrol(alice)
    assert "On since 2026-11-02 09:00 UTC" in alice.get("/account").text
    with app.app_context():
        kept = db.session.scalars(db.select(RecoveryCode.code_hash)).all()
        assert len(kept) == 10 and not set(kept) & {c.replace("-", "") for c in codes}   # hashes only

    # The code the enrolment took is used: the same code, in the same window, is refused.
    visitor, replayed = _code_step(app, "alice", authenticator.at(clock.now()))
    assert replayed.status_code == 401 and "used already" in replayed.text
    clock.set(T0 + timedelta(seconds=30))
    for wrong in ("999999", LONG, CONTROL):
        assert visitor.post("/sign-in/code", {"code": wrong}).status_code == 401
    code = authenticator.at(clock.now())
    assert visitor.post("/sign-in/code", {"code": code}).headers["Location"] == "/inbox"
    assert not _signed_out(visitor)
    assert _code_step(app, "alice", code)[1].status_code == 401   # replayed from another browser

    # A recovery code, typed as people type them, works once.
    recovery = codes[3].upper().replace("-", " ")
    assert _code_step(app, "alice", recovery)[1].status_code == 302
    again = _code_step(app, "alice", codes[3])[1]
    assert again.status_code == 401 and "used already" in again.text
    assert "Recovery codes left: 9" in alice.get("/account").text

    # The password step is good for five minutes.
    late = Visitor(app)
    late.sign_in("alice")
    late.get("/sign-in/code")
    clock.set(T0 + timedelta(minutes=6))
    expired = late.post("/sign-in/code", {"code": authenticator.at(clock.now())})
    assert expired.headers["Location"] == "/sign-in" and _signed_out(late)


def test_the_code_step_counts_against_the_sign_in_limit(app, as_):
    clock.set(T0)
    authenticator, _ = _enrol(signed_in(app, "alice"))
    visitor, _ = _code_step(app, "alice", "000000")
    for _ in range(4):
        assert visitor.post("/sign-in/code", {"code": "000000"}).status_code == 401
    clock.set(T0 + timedelta(seconds=30))
    held = visitor.post("/sign-in/code", {"code": authenticator.at(clock.now())})
    assert held.status_code == 429 and "Too many attempts with this name" in held.text
    assert Visitor(app).sign_in("alice").status_code == 429   # the password too: one count for both steps


def test_turning_two_factor_off_needs_the_password_or_a_code(app, as_):
    clock.set(T0)
    app.config["A10FLOW_SIGN_IN_LIMIT"] = "50 per 5 minutes"   # more refusals than the default allows (see below)
    alice = signed_in(app, "alice")
    assert alice.post("/account/two-factor/off", {"password": "alice-secret"}).status_code == 409   # not on
    authenticator, codes = _enrol(alice)
    for form, field in (({"password": "wrong"}, "password"), ({}, "password"), ({"password": LONG}, "password"),
                        ({"code": "123456"}, "code"), ({"code": CONTROL}, "code")):
        refused = alice.post("/account/two-factor/off", form)
        assert refused.status_code == 422 and _problem(refused, field), (form, refused.status_code)
    assert "Recovery codes left: 10" in alice.get("/account").text
    assert alice.post("/account/two-factor/off", {"code": codes[0]}).status_code == 302
    assert "Off: your password alone" in alice.get("/account").text
    assert Visitor(app).sign_in("alice").headers["Location"] == "/inbox"
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(RecoveryCode)) == 0


def test_roles_that_must_have_a_second_factor_enrol_before_anything_else(app, as_):
    clock.set(T0)
    app.config["A10FLOW_TWO_FACTOR_REQUIRED"] = frozenset({Role.ADMIN, Role.OWNER})
    set_passwords(app, "admin", "alice")
    admin = Visitor(app)
    assert admin.sign_in("admin").headers["Location"] == "/account/two-factor"
    for page in ("/inbox", "/account", "/audit"):
        assert admin.get(page).headers["Location"] == "/account/two-factor"
    admin.get("/account/two-factor")
    assert admin.post("/account/tokens", {"expires": "2026-12-01"}).status_code == 403
    assert Visitor(app).sign_in("alice").headers["Location"] == "/inbox"   # staff: not required
    held = as_["admin"].get("/api/v1/tasks")   # a token held from before does not step round it
    assert held.status_code == 403 and "second factor" in held.json["error"]["message"]
    assert as_["alice"].get("/api/v1/tasks").status_code == 200

    authenticator, _ = _enrol(admin)
    assert admin.get("/inbox").status_code == 200
    assert as_["admin"].get("/api/v1/tasks").status_code == 200
    assert "it stays on" in admin.get("/account").text
    assert admin.post("/account/two-factor/off", {"password": "admin-secret"}).status_code == 403
    clock.set(T0 + timedelta(seconds=30))
    assert _code_step(app, "admin", authenticator.at(clock.now()))[1].headers["Location"] == "/inbox"


def test_under_a_new_secret_key_the_app_s_codes_fail_in_words_and_recovery_codes_still_work(app, as_):
    clock.set(T0)
    authenticator, codes = _enrol(signed_in(app, "alice"))
    app.config["SECRET_KEY"] = "a new secret key"   # the operator lost the old one
    clock.set(T0 + timedelta(seconds=30))
    assert _code_step(app, "alice", authenticator.at(clock.now()))[1].status_code == 401
    assert _code_step(app, "alice", codes[0])[1].headers["Location"] == "/inbox"


@pytest.mark.parametrize("value, roles", [("", set()), ("admin, owner", {Role.ADMIN, Role.OWNER})])
def test_the_roles_that_must_have_a_second_factor_are_read_from_the_environment(tmp_path, monkeypatch, value, roles):
    monkeypatch.setenv("A10FLOW_TWO_FACTOR_REQUIRED", value)
    assert Config(str(tmp_path), A10FLOW_SECRET_KEY="x").A10FLOW_TWO_FACTOR_REQUIRED == roles


def test_a_role_that_does_not_exist_stops_the_service_at_start(tmp_path, monkeypatch):
    monkeypatch.setenv("A10FLOW_TWO_FACTOR_REQUIRED", "admin,wizard")
    with pytest.raises(ValueError, match="A10FLOW_TWO_FACTOR_REQUIRED names no such role: wizard"):
        Config(str(tmp_path), A10FLOW_SECRET_KEY="x")


# In the browser.

def _sign_in(page, server, password, code=None):
    """Sign in as alice through the pages: the password, then (when asked) ``code``."""
    page.goto(f"{server}/sign-in")
    page.get_by_label("Name").fill("alice")
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    if code is not None:
        expect(page.get_by_role("heading", level=1)).to_have_text("Sign in: your code")
        page.get_by_label("Code").fill(code)
        page.get_by_role("button", name="Sign in").click()


def _sign_out(page):
    page.get_by_role("button", name="Sign out", exact=True).click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()


def test_in_the_browser_a_person_enrols_signs_in_with_codes_and_looks_after_their_account(app, as_, server,
                                                                                          browser):
    """Alice, in her own browser, turns on two-factor sign-in from the key her account page shows,
    signs in with password and code, uses a recovery code once (and is refused it the second
    time), signs out her other browser, and changes her password."""
    clock.set(T0)
    set_passwords(app, "alice")
    other = person(browser, server, "alice", "alice-secret")   # the laptop at home, say
    alice = person(browser, server, "alice", "alice-secret")
    alice.get_by_role("link", name="Account", exact=True).click()
    expect(alice.get_by_role("heading", level=1)).to_have_text("Your account")
    shot(alice, "account")

    alice.get_by_role("link", name="Turn on two-factor sign-in").click()
    authenticator = pyotp.TOTP(alice.locator("#secret").inner_text())
    expect(alice.get_by_role("img", name="QR code of the key for a10flow")).to_be_visible()
    shot(alice, "two-factor-enrol")
    alice.get_by_label("Code from the app").fill(authenticator.at(clock.now()))
    alice.get_by_role("button", name="Turn on").click()
    expect(alice.get_by_role("heading", level=1)).to_have_text("Two-factor sign-in is on")
    codes = alice.locator("#recovery-codes li").all_inner_texts()
    assert len(codes) == 10
    shot(alice, "two-factor-recovery-codes")

    _sign_out(alice)
    clock.set(T0 + timedelta(seconds=30))
    _sign_in(alice, server, "alice-secret", "000000")
    expect(alice.get_by_role("alert")).to_contain_text("That code is not right")
    shot(alice, "sign-in-code-refused")
    alice.get_by_label("Code").fill(authenticator.at(clock.now()))
    alice.get_by_role("button", name="Sign in").click()
    expect(alice.get_by_role("heading", name="Inbox")).to_be_visible()

    for attempt in ("first", "second"):
        _sign_out(alice)
        _sign_in(alice, server, "alice-secret", codes[0])
        if attempt == "first":
            expect(alice.get_by_role("heading", name="Inbox")).to_be_visible()
    expect(alice.get_by_role("alert")).to_contain_text("That recovery code was used already")
    clock.set(T0 + timedelta(seconds=60))
    alice.get_by_label("Code").fill(authenticator.at(clock.now()))
    alice.get_by_role("button", name="Sign in").click()

    alice.get_by_role("link", name="Account", exact=True).click()
    expect(alice.locator("#two-factor-state")).to_contain_text("Recovery codes left: 9")
    sessions = alice.locator("#sessions + p + table tbody tr")
    expect(sessions).to_have_count(2)   # this browser, and the other one
    alice.get_by_role("button", name=re.compile("^End the session")).click()
    expect(alice.get_by_role("status")).to_have_text("That browser is signed out.")
    expect(sessions).to_have_count(1)
    other.reload()
    expect(other.get_by_role("heading", name="Sign in")).to_be_visible()

    alice.get_by_label("Current password").fill("not it")
    alice.get_by_label("New password").fill("correct horse battery")
    alice.get_by_role("button", name="Change the password").click()
    expect(alice.locator("#f-current_password-error")).to_have_text("not your current password")
    shot(alice, "account-password-refused")
    alice.get_by_label("Current password").fill("alice-secret")
    alice.get_by_label("New password").fill("correct horse battery")
    alice.get_by_role("button", name="Change the password").click()
    expect(alice.get_by_role("status")).to_contain_text("Your password is changed")
    shot(alice, "account-after")

    _sign_out(alice)
    clock.set(T0 + timedelta(seconds=90))
    _sign_in(alice, server, "correct horse battery", authenticator.at(clock.now()))
    expect(alice.get_by_role("heading", name="Inbox")).to_be_visible()


def test_each_access_fact_of_ones_own_account_is_recorded(app, as_, monkeypatch):
    """Turning two-factor sign-in on and off, recovery codes made and used, a browser signed out:
    each goes into the access record, naming who did it and for whom."""
    recorded = []
    monkeypatch.setattr(directory, "record", lambda actor, user, action, **details: recorded.append(
        (actor.name, user.name, action, details)))
    clock.set(T0)
    alice = signed_in(app, "alice")
    _, codes = _enrol(alice)
    assert _code_step(app, "alice", codes[0])[1].status_code == 302
    [end, *_] = re.findall(r'action="/account/sessions/(\d+)/end"', alice.get("/account").text)
    alice.post(f"/account/sessions/{end}/end")
    alice.post("/account/two-factor/off", {"password": "alice-secret"})
    assert [r[2] for r in recorded] == ["two_factor.on", "recovery_codes.made", "recovery_code.used",
                                        "sessions.ended", "two_factor.off"]
    assert {r[:2] for r in recorded} == {("alice", "alice")}
    assert recorded[1][3] == {"count": 10} and recorded[2][3] == {"left": 9}


def test_a_browser_left_open_cannot_guess_the_password_at_the_account_page(app, as_):
    clock.set(T0)
    alice = signed_in(app, "alice")
    for _ in range(5):   # A10FLOW_SIGN_IN_LIMIT: 5 per 5 minutes
        assert alice.post("/account/password", {"current_password": "guess", "new_password": "long-enough-1"}) \
            .status_code == 422
    held = alice.post("/account/password", {"current_password": "alice-secret", "new_password": "long-enough-1"})
    assert held.status_code == 429 and "Retry-After" in held.headers
    assert "try again in 5 minutes" in held.text
    assert alice.post("/account/two-factor/off", {"password": "alice-secret"}).status_code == 429   # the same count
    assert signed_in(app, "alice").post("/account/password", {   # another browser of hers is not held back
        "current_password": "alice-secret", "new_password": "long-enough-1"}).status_code == 302


def test_an_admin_turns_off_the_second_factor_of_someone_who_lost_their_phone(app, as_):
    clock.set(T0)
    alice = signed_in(app, "alice")
    _enrol(alice)
    admin = signed_in(app, "admin")
    page = admin.get(f"/admin/users/{_user(app, 'alice').id}")
    assert "Turn off alice's two-factor sign-in" in page.text
    done = admin.post(f"/admin/users/{_user(app, 'alice').id}/two-factor/off", follow_redirects=True)
    assert "two-factor sign-in is off" in done.text
    assert Visitor(app).sign_in("alice").headers["Location"] == "/inbox"   # the password alone again
    with app.app_context():
        from a10flow.evidence import access as record
        last = record.history(_user(app, "alice").id, limit=1)[0]
    assert last["data"]["action"] == "two_factor.off" and last["actor"]["name"] == "admin"
