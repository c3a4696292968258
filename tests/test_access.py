"""Every API route against every role: who is let in, who is refused, and who is not even told
the thing exists. A route missing from the table fails the test, so a new one must be placed."""
from datetime import timedelta

import pytest

from a10flow import clock

ANON, OTHER, STAFF, OWNER, AUDITOR, ADMIN, EXTERNAL = None, "sam", "alice", "owner", "auditor", "admin", "rita"
ROLES = [ANON, OTHER, STAFF, OWNER, AUDITOR, ADMIN, EXTERNAL]

# What each role gets: "ok" (let in: any answer but 401, 403 and 404), or the refusal's status.
# "404" means refused without saying the thing exists: staff of another group see no trace of
# instances and tasks outside their groups. Mutating routes come late, in an order that keeps
# the earlier ones meaningful. An external auditor reads her engagements on their pages and
# nothing through the API: she is refused every route that needs a token (403), and public
# routes answer her as anyone.
EVERYONE = {OTHER: "ok", STAFF: "ok", OWNER: "ok", AUDITOR: "ok", ADMIN: "ok"}
WORKERS = {OTHER: "404", STAFF: "ok", OWNER: "ok", AUDITOR: "403", ADMIN: "ok"}       # staff and owners, on a task
READERS = {OTHER: "403", STAFF: "403", OWNER: "ok", AUDITOR: "ok", ADMIN: "ok"}        # owners and auditors
OWNERS = {OTHER: "403", STAFF: "403", OWNER: "ok", AUDITOR: "403", ADMIN: "ok"}
ADMINS = {**OWNERS, OWNER: "403"}
_TODAY = clock.now().date()
GRANT = {"auditor": "Rita Roe", "controls": ["A.10.3"], "from": str(_TODAY - timedelta(days=90)),
         "to": str(_TODAY + timedelta(days=1)), "expires": str(_TODAY + timedelta(days=30))}
TABLE = [
    ("GET", "/api/v1/definitions", None, EVERYONE),
    ("GET", "/api/v1/definitions/purchase", None, EVERYONE),
    ("GET", "/api/v1/definitions/purchase/versions/1/bpmn", None, READERS),
    ("POST", "/api/v1/definitions", "upload", OWNERS),
    ("GET", "/api/v1/instances", None, EVERYONE),
    ("GET", "/api/v1/instances/{instance}", None, {**EVERYONE, OTHER: "404"}),
    ("GET", "/api/v1/instances/{instance}/evidence", None, READERS),
    ("POST", "/api/v1/instances", {"process": "purchase"}, {**EVERYONE, AUDITOR: "403"}),
    ("GET", "/api/v1/tasks", None, EVERYONE),
    ("GET", "/api/v1/tasks/{task}", None, {**EVERYONE, OTHER: "404"}),
    ("POST", "/api/v1/tasks/{task}/claim", None, WORKERS),
    ("POST", "/api/v1/tasks/{task}/unclaim", None, WORKERS),
    ("POST", "/api/v1/tasks/{task}/complete", {"data": {}}, WORKERS),   # 422: the form wants more
    ("POST", "/api/v1/tasks/{task}/links", {"party": "anna@acme.example"}, WORKERS),
    ("POST", "/api/v1/tasks/{task}/documents?field=quote", None, WORKERS),   # 422: no file sent
    ("POST", "/api/v1/instances/documents?process=purchase&field=quote", None, {**EVERYONE, AUDITOR: "403"}),
    ("GET", "/api/v1/documents/{document}", None, {**EVERYONE, OTHER: "404"}),   # who may see its instance
    ("POST", "/api/v1/tasks/{task}/reassign", {"group": "procurement"}, {**WORKERS, STAFF: "403"}),
    ("GET", "/api/v1/timers", None, READERS),
    ("POST", "/api/v1/messages", {"name": "nothing", "instance": 1},
     {**OWNERS, OWNER: "404", ADMIN: "404"}),   # let in; nothing waits for that message
    ("GET", "/api/v1/notifications", None, EVERYONE),
    ("POST", "/api/v1/notifications/999999/read", None, {r: "404" for r in EVERYONE}),   # only one's own
    ("GET", "/api/v1/registers/suppliers", None, EVERYONE),
    ("GET", "/api/v1/data-stores", None, READERS),
    ("GET", "/api/v1/data-stores/ledger", None,
     {**READERS, OWNER: "404", AUDITOR: "404", ADMIN: "404"}),   # let in; no process keeps a ledger here
    ("GET", "/api/v1/evidence/public-key", None, {**EVERYONE, ANON: "ok"}),
    ("GET", "/api/v1/evidence/checkpoints", None, READERS),
    ("POST", "/api/v1/evidence/checkpoints", None, OWNERS),   # auditors read; signing is the service's
    ("GET", "/api/v1/evidence/verify", None, READERS),
    ("GET", "/api/v1/evidence/coverage", None, READERS),
    ("GET", "/api/v1/evidence/export", None, READERS),
    ("GET", "/api/v1/external/{token}", None, {**EVERYONE, ANON: "ok"}),   # the link is the credential
    ("GET", "/api/v1/external/{token}/documents/{document}", None, {**EVERYONE, ANON: "ok"}),   # its task's
    ("POST", "/api/v1/external/{token}/documents?field=quote", None, {**EVERYONE, ANON: "ok"}),   # 422: no file
    ("POST", "/api/v1/external/{token}", {"data": {}}, {**EVERYONE, ANON: "ok"}),
    ("GET", "/api/v1/tokens", None, EVERYONE),
    ("POST", "/api/v1/tokens", {"days": 7}, EVERYONE),
    ("POST", "/api/v1/tokens/{api_token}/revoke", None, {r: "404" for r in EVERYONE} | {ADMIN: "ok"}),  # one's own
    ("GET", "/api/v1/security-events", None, OWNERS),   # admins; owners read
    # People: admins change them (each change here refused for what it holds, 422), owners read.
    ("GET", "/api/v1/users", None, OWNERS),
    ("POST", "/api/v1/users", {"name": ""}, ADMINS),
    ("GET", "/api/v1/users/{user}", None, OWNERS),
    ("PATCH", "/api/v1/users/{user}", {"role": "nobody"}, ADMINS),
    ("POST", "/api/v1/users/{user}/disable", None, ADMINS),
    ("POST", "/api/v1/users/{user}/enable", None, ADMINS),
    ("POST", "/api/v1/users/{user}/password", {"password": "short"}, ADMINS),
    ("POST", "/api/v1/users/{user}/tokens", {"expires_at": "2001-01-01T00:00:00Z"}, ADMINS),
    ("GET", "/api/v1/users/roles-held", None, READERS),
    ("GET", "/api/v1/engagements", None, OWNERS),
    ("POST", "/api/v1/engagements", "engagement", OWNERS),
    ("GET", "/api/v1/engagements/{engagement}", None, OWNERS),
    ("POST", "/api/v1/engagements/{engagement}/revoke", None, OWNERS),
    ("POST", "/api/v1/tasks/{task}/links/{link}/revoke", None, WORKERS),
    ("GET", "/api/v1/incidents", None, READERS),
    ("GET", "/api/v1/incidents/{incident}", None, READERS),
    ("POST", "/api/v1/incidents/{incident}/retry", {}, OWNERS),   # 422: it fails again
    ("POST", "/api/v1/incidents/{incident}/resolve", {"comment": "done by hand"}, OWNERS),
    ("POST", "/api/v1/instances/{instance}/retry", None, OWNERS),   # 409: it has not failed
    ("POST", "/api/v1/instances/{instance}/migrate", {}, OWNERS),   # 409: it runs the latest version
    ("POST", "/api/v1/instances/{instance}/cancel", {}, OWNERS),
]


def _operations(app):
    doc = app.test_client().get("/api/v1/openapi.json").json
    return {(method.upper(), path) for path, item in doc["paths"].items() for method in item
            if method in ("get", "post", "put", "patch", "delete")}


def test_the_table_covers_every_route(app):
    covered = set()
    for method, path, _, _ in TABLE:
        template = path.replace("{instance}", "{instance_id}").replace("{task}", "{task_id}") \
            .replace("?field=quote", "").replace("?process=purchase&field=quote", "").replace("{document}", "{document_id}") \
            .replace("{link}", "{link_id}").replace("/purchase/versions/1/", "/{key}/versions/{number}/") \
            .replace("/definitions/purchase", "/definitions/{key}").replace("/999999/", "/{notification_id}/") \
            .replace("/suppliers", "/{register}").replace("{api_token}", "{token_id}") \
            .replace("{incident}", "{incident_id}").replace("{engagement}", "{engagement_id}") \
                .replace("/data-stores/ledger", "/data-stores/{store_id}").replace("{user}", "{user_id}")
        covered.add((method, template))
    assert _operations(app) == covered


def _external_auditor(app, as_):
    from helpers import Speaker

    from a10flow.models import Role, db
    from a10flow.people import auth, directory
    with app.app_context():
        token = auth.issue_token(directory.create_user(directory.CLI, EXTERNAL, Role.EXTERNAL_AUDITOR))
        db.session.commit()
    return Speaker(as_[None].client, token, EXTERNAL)


@pytest.mark.parametrize("role", ROLES, ids=lambda r: r or "anonymous")
def test_every_route_lets_in_and_refuses_the_right_roles(app, as_, purchase, role):
    from helpers import DATA, a_document, deploy_bundled, probe, purchase_for_outsiders
    purchase_for_outsiders(as_)
    instance = as_["alice"].post("/api/v1/instances", json={"process": "purchase"}).json
    task = instance["open_tasks"][0]["id"]
    made = as_["admin"].post(f"/api/v1/tasks/{task}/links", json={"party": "anna@acme.example"}).json
    spare = as_["admin"].post("/api/v1/tokens", json={}).json["id"]   # revoked by the table, not the fixture's
    as_["admin"].deploy(("probe.bpmn", probe("found = 1 / 0")))
    [incident] = as_["admin"].post("/api/v1/instances", json={"process": "probe_process"}).json["incidents"]
    deploy_bundled(as_, "supplier_onboarding")   # A.10.3 has evidence to grant
    engagement = as_["owner"].post("/api/v1/engagements", json=GRANT).json["id"]
    zed = as_["admin"].post("/api/v1/users", json={"name": "zed"}).json["id"]   # whom the table's changes are to
    ids = {"instance": instance["id"], "task": task, "link": made["id"], "token": made["path"].rsplit("/", 1)[1],
           "api_token": spare, "incident": incident["id"], "engagement": engagement, "user": zed,
           "document": a_document(app, instance["id"], task)}
    speaker = as_[role] if role != EXTERNAL else _external_auditor(app, as_)
    for method, path, body, expected in TABLE:
        url = path.format(**ids)
        if body == "engagement":
            response = speaker.post(url, json=GRANT)
        elif body == "upload":
            response = speaker.deploy(DATA / "purchase.bpmn", DATA / "request.json")
        elif method == "GET":
            response = speaker.get(url)
        elif method == "PATCH":
            response = speaker.patch(url, json=body)
        else:
            response = speaker.post(url, json=body if body is not None else {})
        want = expected.get(role, "401") if role != EXTERNAL else expected.get(ANON, "403")
        got = response.status_code
        assert got != 500, (method, url, role, response.json)
        if want == "ok":
            assert got not in (401, 403, 404), (method, url, role, got, response.json)
        else:
            assert got == int(want), (method, url, role, got, want, response.json)
