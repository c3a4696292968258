"""Single sign-on with OpenID Connect, through a real provider (tests/identity_provider.py): people
made at their first sign-in, their role and groups from the claims at each one, signing out there
too, and every answer that cannot be trusted refused with a page and a security event."""
import base64
import json
import re
import time
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest
from helpers import Visitor, set_passwords, signed_in
from identity_provider import AtTheProvider, sign_on
from joserfc import jws
from pages import shot
from playwright.sync_api import expect

from a10flow import create_app
from a10flow.config import password_sign_in, single_sign_on
from a10flow.evidence.verifier import ACCESS
from a10flow.models import Evidence, Role, SecurityEvent, User, db
from a10flow.people import directory, sso

ROLES = "a10flow-admins=admin,a10flow-owners=owner,a10flow-auditors=auditor"


@pytest.fixture
def provider(app, identity_provider):
    """The test provider, and the service set to sign people on through it."""
    app.config["A10FLOW_OIDC"] = identity_provider.settings(A10FLOW_OIDC_ROLES=ROLES,
                                                            A10FLOW_OIDC_GROUP_PREFIX="a10flow-")
    return identity_provider


def user(app, name):
    with app.app_context():
        found = db.session.scalar(db.select(User).where(User.name == name))
        return found and {"id": found.id, "role": found.role, "groups": found.groups, "email": found.email,
                          "identity": (found.oidc_issuer, found.oidc_subject)}


def events(app):
    with app.app_context():
        return [(e.status, e.reason) for e in db.session.scalars(db.select(SecurityEvent).order_by(SecurityEvent.id))]


def signed_out(visitor):
    page = visitor.get("/inbox")
    return page.status_code == 302 and page.headers["Location"].startswith("/sign-in")


def test_the_first_sign_in_makes_the_person_with_the_groups_and_role_the_claims_give(app, provider):
    provider.account("u-101", preferred_username="nora", email="nora@example.org",
                     groups=["a10flow-procurement", "a10flow-owners", "mail-everyone"])
    visitor = Visitor(app)
    answer, _ = sign_on(visitor, "u-101")
    assert answer.status_code == 302 and answer.headers["Location"] == "/inbox"
    assert visitor.get("/inbox").status_code == 200
    assert user(app, "nora") == {"id": user(app, "nora")["id"], "role": Role.OWNER, "email": "nora@example.org",
                                 "groups": ["owners", "procurement"], "identity": (provider.issuer, "u-101")}


def test_the_sign_in_page_offers_the_provider_only_when_one_is_set(app, provider):
    assert "Sign in with Test ID" in Visitor(app).get("/sign-in").text
    app.config["A10FLOW_OIDC"] = None
    assert "Sign in with" not in Visitor(app).get("/sign-in").text
    assert Visitor(app).get("/sign-in/oidc").status_code == 404


def test_a_group_or_role_the_claims_no_longer_give_is_gone_at_the_next_sign_in(app, as_, provider):
    provider.account("u-102", preferred_username="omar", groups=["a10flow-legal", "a10flow-security",
                                                                  "a10flow-admins"])
    sign_on(Visitor(app), "u-102")
    first = user(app, "omar")
    assert first["role"] == Role.ADMIN and first["groups"] == ["admins", "legal", "security"]
    provider.account("u-102", preferred_username="omar", groups=["a10flow-legal"])
    answer, _ = sign_on(Visitor(app), "u-102")
    assert answer.status_code == 302
    assert user(app, "omar") == {**first, "role": Role.STAFF, "groups": ["legal"]}   # the same person


def test_each_person_made_or_changed_by_the_provider_is_an_access_record(app, provider):
    provider.account("u-111", preferred_username="vera", email="vera@example.org", groups=["a10flow-legal"])
    sign_on(Visitor(app), "u-111")
    sign_on(Visitor(app), "u-111")   # nothing changed: nothing recorded
    provider.account("u-111", preferred_username="vera", email="vera@example.org",
                     groups=["a10flow-security", "a10flow-owners"])
    sign_on(Visitor(app), "u-111")
    with app.app_context():
        records = [json.loads(r) for r in db.session.scalars(
            db.select(Evidence.record).where(Evidence.instance_id == ACCESS).order_by(Evidence.seq))]
    assert [(r["actor"]["id"], r["data"]["action"], r["data"]["subject"]["name"]) for r in records] == \
        [("system:identity-provider", "user.created", "vera"), ("system:identity-provider", "user.changed", "vera")]
    assert records[1]["data"]["changes"] == {"role": ["staff", "owner"], "groups": [["legal"], ["owners", "security"]]}


def test_the_provider_cannot_take_the_last_admin_away_nor_sign_in_a_disabled_person(app, provider):
    provider.account("u-112", preferred_username="wes", groups=["a10flow-admins"])
    sign_on(Visitor(app), "u-112")
    provider.account("u-112", preferred_username="wes", groups=[])
    visitor = Visitor(app)
    answer, _ = sign_on(visitor, "u-112")
    assert answer.status_code == 409 and "wes is the last admin" in answer.text and signed_out(visitor)
    assert user(app, "wes")["role"] == Role.ADMIN
    provider.account("u-113", preferred_username="xia", groups=["a10flow-legal"])
    sign_on(Visitor(app), "u-113")
    with app.app_context():
        directory.disable_user(directory.CLI, db.session.scalar(db.select(User).where(User.name == "xia")))
    visitor = Visitor(app)
    answer, _ = sign_on(visitor, "u-113")
    assert answer.status_code == 403 and "account is disabled" in unescape(answer.text) and signed_out(visitor)


def test_the_claims_map_through_a_mapping_the_first_listed_role_winning(app, provider):
    app.config["A10FLOW_OIDC"] = provider.settings(
        A10FLOW_OIDC_ROLES="team-audit=auditor,team-buy=owner", A10FLOW_OIDC_GROUPS="team-buy=procurement",
        A10FLOW_OIDC_ROLE_CLAIM="a10flow_role")
    provider.account("u-103", preferred_username="pia", groups=["team-buy", "team-audit", "unmapped"],
                     a10flow_role=["team-buy", "team-audit"])
    sign_on(Visitor(app), "u-103")
    assert (user(app, "pia")["role"], user(app, "pia")["groups"]) == (Role.AUDITOR, ["procurement"])


@pytest.mark.parametrize("env, words", [
    ({"A10FLOW_OIDC_GROUPS": "a10flow-legal="}, "A10FLOW_OIDC_GROUPS: 'a10flow-legal=' names no group"),
    ({"A10FLOW_OIDC_GROUPS": "legal"}, "A10FLOW_OIDC_GROUPS: 'legal' names no group"),
    ({"A10FLOW_OIDC_ROLES": "=admin"}, "A10FLOW_OIDC_ROLES: '=admin' names no claim value"),
    ({"A10FLOW_OIDC_ROLES": "a10flow-admins=superuser"}, "A10FLOW_OIDC_ROLES: a10flow-admins=superuser names no role"),
    ({"A10FLOW_OIDC_CLIENT_SECRET": ""}, "set A10FLOW_OIDC_CLIENT_ID and A10FLOW_OIDC_CLIENT_SECRET"),
])
def test_a_mapping_that_names_no_group_or_no_role_stops_the_service_at_start(identity_provider, monkeypatch,
                                                                             tmp_path, env, words):
    with pytest.raises(ValueError, match=words):
        identity_provider.settings(**env)
    monkeypatch.setenv("A10FLOW_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("A10FLOW_OIDC_ISSUER", identity_provider.issuer)
    monkeypatch.setenv("A10FLOW_OIDC_CLIENT_ID", "a10flow")
    monkeypatch.setenv("A10FLOW_OIDC_CLIENT_SECRET", "s")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ValueError, match=words):
        create_app()


def test_password_sign_in_is_refused_beside_single_sign_on_unless_it_is_on():
    with pytest.raises(ValueError, match="A10FLOW_PASSWORD_SIGN_IN=admins: set A10FLOW_OIDC_ISSUER"):
        password_sign_in({"A10FLOW_PASSWORD_SIGN_IN": "admins"}, single_sign_on({}))
    with pytest.raises(ValueError, match="A10FLOW_PASSWORD_SIGN_IN='sometimes': one of on, admins, off"):
        password_sign_in({"A10FLOW_PASSWORD_SIGN_IN": "sometimes"}, None)


@pytest.mark.parametrize("mode", ["admins", "off"])
def test_beside_single_sign_on_only_an_admin_signs_in_with_a_password(app, as_, provider, mode):
    app.config["A10FLOW_PASSWORD_SIGN_IN"] = mode
    page = Visitor(app).get("/sign-in")
    assert ('name="password"' in page.text) == (mode == "admins")
    assert 'name="password"' in Visitor(app).get("/sign-in?password").text   # the break-glass form
    set_passwords(app, "alice", "admin")
    staff, admin = Visitor(app), Visitor(app)
    for visitor in (staff, admin):
        visitor.get("/sign-in?password")
    answer = staff.post("/sign-in", {"name": "alice", "password": "alice-secret"})   # the right password
    assert answer.status_code == 401 and "sign in with Test ID" in answer.text and signed_out(staff)
    assert admin.post("/sign-in", {"name": "admin", "password": "admin-secret"}).status_code == 302
    assert admin.get("/inbox").status_code == 200


def test_signing_out_ends_the_session_here_and_at_the_provider(app, provider):
    provider.account("u-104", preferred_username="quinn", groups=[])
    visitor, there = Visitor(app), AtTheProvider()
    sign_on(visitor, "u-104", there)
    visitor.get("/inbox")
    out = visitor.post("/sign-out")
    ending = urlsplit(out.headers["Location"])
    assert out.status_code == 302 and f"{ending.scheme}://{ending.netloc}{ending.path}" == \
        provider.issuer + "/session/end"
    asked = parse_qs(ending.query)
    assert asked["client_id"] == ["a10flow"] and asked["post_logout_redirect_uri"] == \
        ["http://127.0.0.1:8000/sign-in"]
    assert signed_out(visitor)
    assert there.follow(out.headers["Location"]).startswith("/sign-in")   # the provider signed out too:
    started = Visitor(app).get("/sign-in/oidc")
    login_page = there.http.get(started.headers["Location"], timeout=10)   # it asks who is there again
    assert 'name="login"' in login_page.text


def test_a_local_account_signs_out_without_the_provider(app, as_, provider):
    visitor = signed_in(app, "alice")
    out = visitor.post("/sign-out")
    assert out.headers["Location"] == "/sign-in" and signed_out(visitor)


def test_a_name_a_local_account_has_is_refused_not_taken_over(app, as_, provider):
    provider.account("u-105", preferred_username="Alice", groups=["a10flow-admins"])
    before = user(app, "alice")
    visitor = Visitor(app)
    answer, _ = sign_on(visitor, "u-105")
    assert answer.status_code == 409 and "exists already and was not made by single sign-on" in answer.text
    assert user(app, "alice") == before and signed_out(visitor)
    assert events(app)[-1][0] == 409


@pytest.mark.parametrize("claims, field", [
    ({"preferred_username": "eve\nadmin"}, "'preferred_username'"),
    ({"preferred_username": "x" * 10_000}, "'preferred_username'"),
    ({"preferred_username": "zoe", "groups": ["a10flow-le\x00gal"]}, "'groups'"),
    ({"groups": ["a10flow-legal"]}, "'preferred_username'"),   # no name at all
])
def test_a_claim_a10flow_cannot_take_is_refused_naming_it(app, provider, claims, field):
    provider.account("u-106", **claims)
    visitor = Visitor(app)
    answer, _ = sign_on(visitor, "u-106")
    assert answer.status_code == 422 and f"The identity provider's claim {field}" in unescape(answer.text)
    with app.app_context():
        assert db.session.scalar(db.select(User).where(User.oidc_subject == "u-106")) is None
    assert signed_out(visitor)


def mischief(provider, id_token, kind):
    """``id_token`` as the provider issued it, made wrong one way."""
    claims = json.loads(jws.extract_compact(id_token.encode()).payload)
    if kind == "tampered":   # another subject, the provider's signature kept
        header, _, signature = id_token.split(".")
        payload = base64.urlsafe_b64encode(json.dumps({**claims, "sub": "u-admin"}).encode()).rstrip(b"=").decode()
        return f"{header}.{payload}.{signature}"
    changed = {"wrong audience": {"aud": "another-client"},
               "expired": {"exp": int(time.time()) - 600, "iat": int(time.time()) - 4200},
               "unknown issuer": {"iss": "http://127.0.0.1:9/elsewhere"}}[kind]
    return provider.sign({**claims, **changed})


@pytest.mark.parametrize("kind, why", [
    ("tampered", "bad_signature"), ("wrong audience", "Invalid claim: 'aud'"), ("expired", "The token is expired"),
    ("unknown issuer", "Invalid claim: 'iss'")])
def test_an_id_token_that_cannot_be_trusted_signs_nobody_in(app, provider, monkeypatch, kind, why):
    provider.account("u-107", preferred_username="rex", groups=["a10flow-admins"])
    with app.test_request_context():
        client = sso._client()
    fetch = client.fetch_access_token

    def fetch_and_spoil(**params):
        token = fetch(**params)
        return {**token, "id_token": mischief(provider, token["id_token"], kind)}
    monkeypatch.setattr(client, "fetch_access_token", fetch_and_spoil)
    visitor = Visitor(app)
    answer, _ = sign_on(visitor, "u-107")
    assert answer.status_code == 401 and f"ID token is not valid ({why})" in unescape(answer.text)
    assert user(app, "rex") is None and signed_out(visitor)
    assert events(app)[-1][0] == 401 and "single sign-on" in events(app)[-1][1]


def test_an_answer_naming_another_issuer_is_refused(app, provider):
    provider.account("u-108", preferred_username="sid")
    visitor = Visitor(app)
    started = visitor.get("/sign-in/oidc")
    back = AtTheProvider().follow(started.headers["Location"], "u-108")
    answer = visitor.get(back.replace("iss=", "iss=http%3A%2F%2Fevil.example%2F&was="))
    assert answer.status_code == 401 and "another identity provider" in answer.text
    assert user(app, "sid") is None and signed_out(visitor)


def test_a_replayed_answer_signs_nobody_in(app, provider):
    provider.account("u-109", preferred_username="tess")
    first = Visitor(app)
    answer, back = sign_on(first, "u-109")
    assert answer.status_code == 302
    for replay in (Visitor(app), first):   # another browser (the link stolen), and the same one again
        again = replay.get(back)
        assert again.status_code == 401 and "used already" in again.text
    assert signed_out(Visitor(app))
    assert [status for status, _ in events(app)][-2:] == [401, 401]


def test_a_provider_that_does_not_answer_is_said_so(app, provider):
    app.config["A10FLOW_OIDC"] = {**app.config["A10FLOW_OIDC"], "issuer": "http://127.0.0.1:9"}
    page = Visitor(app).get("/sign-in/oidc")
    assert page.status_code == 503 and "does not answer" in page.text


def test_a_provider_calling_itself_otherwise_is_refused(app, provider):
    app.config["A10FLOW_OIDC"] = {**app.config["A10FLOW_OIDC"], "issuer": provider.issuer.replace("127.0.0.1",
                                                                                                 "localhost")}
    page = Visitor(app).get("/sign-in/oidc")
    assert page.status_code == 401 and "calls itself" in page.text


def test_a_person_signs_in_on_the_providers_own_page_and_out_of_both(app, provider, server, browser):
    provider.account("u-110", preferred_username="uma", email="uma@example.org",
                     groups=["a10flow-procurement", "a10flow-owners"])
    page = browser.new_context().new_page()
    page.goto(f"{server}/sign-in")
    shot(page, "sign-in-with-single-sign-on")
    page.get_by_role("link", name="Sign in with Test ID").click()
    page.locator("input[name=login]").fill("u-110")   # the provider's own login page
    page.locator("input[name=password]").fill("anything")
    page.get_by_role("button", name="Sign-in").click()
    expect(page).to_have_url(f"{server}/inbox")
    expect(page.locator("header")).to_contain_text("uma")
    assert (user(app, "uma")["role"], user(app, "uma")["groups"]) == (Role.OWNER, ["owners", "procurement"])
    page.get_by_role("button", name="Sign out").click()
    page.get_by_role("button", name="Yes, sign me out").click()   # the provider's session ends too
    expect(page).to_have_url(re.compile(re.escape(f"{server}/sign-in")))
    page.goto(f"{server}/inbox")
    expect(page).to_have_url(re.compile(re.escape(f"{server}/sign-in")))
