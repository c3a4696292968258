"""Every web page and form against every role, as tests/test_access.py does for the API: who is
let in, who is refused, who is sent to sign in, and who is not told the thing exists. A route
missing from the table fails the test, so a new page must be placed."""
from datetime import timedelta

import pytest
from helpers import DATA, Visitor, a_document, deploy_bundled, probe, purchase_for_outsiders, signed_in

from a10flow import clock
from a10flow.evidence import engagements
from a10flow.models import Role, User, db
from a10flow.people import directory

ANON, OTHER, STAFF, OWNER, AUDITOR, ADMIN, EXTERNAL = None, "sam", "alice", "owner", "auditor", "admin", "rita"
ROLES = [ANON, OTHER, STAFF, OWNER, AUDITOR, ADMIN, EXTERNAL]

# "ok": let in (any answer but 401/403/404 and no sign-in redirect); "sign-in": sent to sign in;
# "engagements": sent to their engagements; a number: refused with that status. Unless a row says,
# anonymous visitors are sent to sign in, and an external auditor (who reads only the engagements
# granted to her) is sent to her engagements from any page and refused any form.
EVERYONE = {OTHER: "ok", STAFF: "ok", OWNER: "ok", AUDITOR: "ok", ADMIN: "ok"}
WORKERS = {OTHER: "404", STAFF: "ok", OWNER: "ok", AUDITOR: "403", ADMIN: "ok"}
READERS = {OTHER: "403", STAFF: "403", OWNER: "ok", AUDITOR: "ok", ADMIN: "ok"}
OWNERS = {OTHER: "403", STAFF: "403", OWNER: "ok", AUDITOR: "403", ADMIN: "ok"}
ADMINS = {**OWNERS, OWNER: "403"}
PUBLIC = {**EVERYONE, ANON: "ok", EXTERNAL: "ok"}
AUDITED = {**{r: "403" for r in EVERYONE}, EXTERNAL: "ok", ADMIN: "ok"}   # her own engagement
OWN = {**EVERYONE, EXTERNAL: "ok"}   # one's own account
VERSION = "/definitions/purchase/versions/1"
TABLE = [
    ("GET", "/", None, EVERYONE),
    ("GET", "/sign-in", None, PUBLIC),
    ("GET", "/healthz", None, PUBLIC),   # for load balancers: saying nothing of anyone
    ("GET", "/readyz", None, PUBLIC),
    ("POST", "/sign-in", {"name": "nobody", "password": "wrong"}, {r: "401" for r in PUBLIC}),
    # Single sign-on, where no provider is set (tests/test_single_sign_on.py: where one is).
    ("GET", "/sign-in/oidc", None, {r: "404" for r in PUBLIC}),
    ("GET", "/sign-in/oidc/done", None, {r: "404" for r in PUBLIC}),
    ("GET", "/inbox", None, EVERYONE),
    ("GET", "/notifications", None, EVERYONE),
    ("POST", "/notifications/999999/read", None, {r: "404" for r in EVERYONE}),   # only one's own
    ("POST", "/notifications/read", None, EVERYONE),
    ("GET", "/tasks/{task}", None, {**EVERYONE, OTHER: "404"}),
    ("POST", "/tasks/{task}/claim", None, WORKERS),
    ("POST", "/tasks/{task}/unclaim", None, WORKERS),
    ("POST", "/tasks/{task}", {"action": "save"}, WORKERS),
    ("POST", "/tasks/{task}/links", {"party": "anna@acme.example"}, WORKERS),
    ("POST", "/tasks/{task}/reassign", {"to": "group:procurement"}, {**WORKERS, STAFF: "403"}),   # owners, leads
    ("POST", "/tasks/{task}/links/999999/revoke", None, {**WORKERS, STAFF: "404", OWNER: "404", ADMIN: "404"}),
    ("GET", "/documents/{document}", None, {**EVERYONE, OTHER: "404"}),   # who may see its instance
    ("GET", "/documents/expiring", None, EVERYONE),   # each sees what expires in the cases they see
    ("GET", "/outbox", None, OWNERS),
    ("GET", "/definitions", None, READERS),
    ("POST", "/definitions", None, OWNERS),   # 422: no file chosen
    ("GET", "/definitions/purchase", None, READERS),
    # A version's drawing and XML: as the API has it, owners and auditors.
    ("GET", VERSION, None, READERS),
    ("GET", f"{VERSION}/xml", None, READERS),
    ("GET", f"{VERSION}/edit", None, OWNERS),
    ("POST", f"{VERSION}/deploy", None, OWNERS),   # 400/422: no files sent
    ("GET", "/start", None, EVERYONE),
    ("GET", "/start/purchase", None, {**EVERYONE, AUDITOR: "403"}),   # it names nobody: anyone who works on tasks
    ("POST", "/start/purchase", {"action": "start"}, {**EVERYONE, AUDITOR: "403"}),
    ("GET", "/instances", None, EVERYONE),
    ("GET", "/instances/{instance}", None, {**EVERYONE, OTHER: "404"}),
    ("GET", "/audit", None, READERS),
    ("GET", "/audit/verify", None, READERS),
    ("GET", "/audit/pack", None, READERS),
    ("POST", "/audit/checkpoint", None, OWNERS),
    ("GET", "/registers", None, EVERYONE),
    ("GET", "/registers/suppliers", None, EVERYONE),
    ("GET", "/data-stores", None, READERS),
    ("GET", "/data-stores/ledger", None, {**READERS, OWNER: "404", AUDITOR: "404", ADMIN: "404"}),   # none kept
    ("GET", "/x/{token}", None, PUBLIC),   # the link is the credential
    ("GET", "/x/{token}/documents/{document}", None, PUBLIC),   # a file given for the link's own task
    ("POST", "/x/{token}", {}, PUBLIC),    # the form wants more
    ("POST", "/incidents/{incident}/retry", None, OWNERS),
    ("POST", "/incidents/{incident}/resolve", {"comment": "done by hand"}, OWNERS),
    ("POST", "/instances/{instance}/migrate", None, OWNERS),   # it runs the latest version: told so
    ("POST", "/instances/{instance}/cancel", None, OWNERS),
    ("GET", "/audit/engagements", None, {**OWNERS, EXTERNAL: "403"}),
    ("POST", "/audit/engagements", {"auditor": "Rita Roe"}, OWNERS),   # 422: no controls, no period
    ("GET", "/audit/engagements/{engagement}", None, {**OWNERS, EXTERNAL: "403"}),
    ("GET", "/engagements", None, AUDITED),
    ("GET", "/engagements/{engagement}", None, {**AUDITED, ADMIN: "404"}),   # rita's, not the admin's
    ("GET", "/engagements/{engagement}/pack?control=A.10.3", None, {**AUDITED, ADMIN: "404"}),
    ("GET", "/e/{engagement_link}", None, PUBLIC),   # the link is the credential
    ("GET", "/e/{engagement_link}/pack?control=A.10.3", None, PUBLIC),
    ("POST", "/audit/engagements/{engagement}/revoke", None, OWNERS),
    # People: admins change, owners read. Each change is refused for what it holds (422): nothing changes.
    ("GET", "/admin", None, OWNERS),
    ("GET", "/admin/users", None, OWNERS),
    ("POST", "/admin/users", {"name": ""}, ADMINS),
    ("GET", "/admin/users/{user}", None, OWNERS),
    ("POST", "/admin/users/{user}", {"name": ""}, ADMINS),
    ("POST", "/admin/users/{user}/disable", None, ADMINS),
    ("POST", "/admin/users/{user}/enable", None, ADMINS),
    ("POST", "/admin/users/{user}/password", {"password": "short"}, ADMINS),
    ("POST", "/admin/users/{user}/tokens", {"expires": "soon"}, ADMINS),
    ("POST", "/admin/users/{user}/two-factor/off", None, ADMINS),   # it is not on: nothing to do
    ("GET", "/admin/groups", None, OWNERS),
    ("POST", "/admin/groups", {"user": "nobody", "group": "legal"}, ADMINS),
    ("GET", "/admin/tokens", None, OWNERS),
    ("POST", "/admin/tokens/999999/revoke", None, {**ADMINS, ADMIN: "404"}),
    ("GET", "/admin/security-events", None, OWNERS),
    ("GET", "/audit/access", None, READERS),
    # Each person's own account, external auditors' too (who hold no API tokens).
    ("GET", "/sign-in/code", None, {r: "sign-in" for r in PUBLIC}),   # no password given just now
    ("POST", "/sign-in/code", {"code": "123456"}, {r: "sign-in" for r in PUBLIC}),
    ("GET", "/account", None, OWN),
    ("POST", "/account/password", {"current_password": "wrong", "new_password": "x"}, {r: "422" for r in OWN}),
    ("POST", "/account/sessions/999999/end", None, {r: "404" for r in OWN}),   # only one's own
    ("POST", "/account/tokens", {"expires": "9999-12-31"}, {**{r: "422" for r in EVERYONE}, EXTERNAL: "403"}),
    ("POST", "/account/tokens/999999/revoke", None, {r: "404" for r in OWN}),   # only one's own
    ("GET", "/account/two-factor", None, OWN),
    ("POST", "/account/two-factor", {"code": "000000"}, {r: "422" for r in OWN}),
    ("POST", "/account/two-factor/off", {"password": "wrong"}, {r: "409" for r in OWN}),   # it is not on
    ("POST", "/sign-out", None, {r: "sign-in" for r in [*EVERYONE, EXTERNAL]}),   # signed out: back to sign in
]


def test_the_table_covers_every_page(app):
    rules = {(method, rule.rule) for rule in app.url_map.iter_rules()
             if not rule.rule.startswith(("/api/", "/static/"))
             for method in rule.methods - {"HEAD", "OPTIONS"}}
    placed = {(method, path.replace("{task}", "<task_id>").replace("{instance}", "<int:instance_id>")
               .replace("{token}", "<token>").replace("{document}", "<document_id>").replace("{engagement_link}", "<token>").replace("?control=A.10.3", "")
               .replace("{engagement}", "<int:engagement_id>").replace("/purchase/versions/1", "/<key>/versions/<int:number>")
               .replace("/definitions/purchase", "/definitions/<key>").replace("/start/purchase", "/start/<key>")
               .replace("/links/999999/", "/links/<int:link_id>/").replace("/tokens/999999/", "/tokens/<int:token_id>/")
               .replace("/sessions/999999/", "/sessions/<int:session_id>/")
               .replace("/999999/", "/<int:notification_id>/").replace("{user}", "<int:user_id>")
               .replace("/suppliers", "/<name>").replace("/data-stores/ledger", "/data-stores/<store_id>")
               .replace("/incidents/{incident}/retry", "/incidents/<int:incident_id>/<any(retry, resolve):action>")
               .replace("/incidents/{incident}/resolve", "/incidents/<int:incident_id>/<any(retry, resolve):action>"))
              for method, path, _, _ in TABLE}
    assert rules == placed


@pytest.mark.parametrize("role", ROLES, ids=lambda r: r or "anonymous")
def test_every_page_lets_in_and_refuses_the_right_roles(app, as_, purchase, role):
    purchase_for_outsiders(as_)
    instance = as_["alice"].post("/api/v1/instances", json={"process": "purchase"}).json
    task = instance["open_tasks"][0]["id"]
    link = as_["admin"].post(f"/api/v1/tasks/{task}/links", json={"party": "anna@acme.example"}).json
    as_["admin"].deploy(("probe.bpmn", probe("found = 1 / 0")))
    [incident] = as_["admin"].post("/api/v1/instances", json={"process": "probe_process"}).json["incidents"]
    deploy_bundled(as_, "supplier_onboarding")   # A.10.3 has evidence to grant
    with app.app_context():
        rita = directory.create_user(directory.CLI, EXTERNAL, Role.EXTERNAL_AUDITOR)
        zed = directory.create_user(directory.CLI, "zed", Role.STAFF)   # whom the admin pages change
        owner = db.session.scalar(db.select(User).where(User.name == OWNER))
        today = clock.now().date()
        period = (today - timedelta(days=90), today + timedelta(days=1), today + timedelta(days=30))
        by_account, _ = engagements.grant(owner, "Rita Roe", ["A.10.3"], *period, rita.name)
        _, token = engagements.grant(owner, "Rita Roe", ["A.10.3"], *period)
        ids = {"instance": instance["id"], "task": task, "token": link["path"].rsplit("/", 1)[1],
               "incident": incident["id"], "engagement": by_account.id, "engagement_link": token, "user": zed.id}
    ids["document"] = a_document(app, instance["id"], task)
    visitor = signed_in(app, role) if role else Visitor(app)
    if role is None:
        visitor.get("/sign-in")   # a form token, so that what refuses is the missing sign-in, not CSRF
    for method, path, body, expected in TABLE:
        url = path.format(**ids)
        response = visitor.get(url) if method == "GET" else visitor.post(url, body)
        want = expected.get(role, "sign-in" if role != EXTERNAL else "engagements" if method == "GET" else "403")
        got, where = response.status_code, response.headers.get("Location", "")
        assert got != 500, (method, url, role)
        if want == "sign-in":
            assert got == 302 and where.startswith("/sign-in"), (method, url, got, where)
        elif want == "engagements":
            assert got == 302 and where == "/engagements", (method, url, got, where)
        elif want == "ok":
            assert got not in (401, 403, 404) and not where.startswith("/sign-in"), (method, url, role, got, where)
        else:
            assert got == int(want), (method, url, role, got, want)


def test_the_owner_moves_an_instance_to_the_new_version_from_its_page(app, as_, purchase):
    instance = as_["alice"].post("/api/v1/instances", json={"process": "purchase"}).json
    owner = signed_in(app, "owner")
    assert "Move this instance" not in owner.get(f"/instances/{instance['id']}").text
    changed = (DATA / "purchase.bpmn").read_bytes() + b"<!-- version 2 -->"
    assert as_["owner"].deploy(("purchase.bpmn", changed), DATA / "request.json").status_code == 201
    page = owner.get(f"/instances/{instance['id']}").text
    assert "Move this instance to version 2" in page
    assert "Nothing was done" in owner.post(f"/instances/{instance['id']}/migrate", follow_redirects=True).text
    moved = owner.post(f"/instances/{instance['id']}/migrate", {"confirm": "yes"}, follow_redirects=True)
    assert "now runs version 2" in moved.text
    assert as_["owner"].get(f"/api/v1/instances/{instance['id']}").json["process"]["version"] == 2
