"""An admin manages people in the browser: adds a colleague and puts them in a group, disables
someone who left, resets a password, issues and revokes tokens, reads the security events; every
change is in the access record, which an auditor reads as "who held which role when"."""
import json
import re
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from helpers import Visitor, signed_in
from test_evidence_integrity import _tamper

from a10flow import clock
from a10flow.models import Evidence, User, db

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)


def _user_id(app, name):
    with app.app_context():
        return db.session.scalar(db.select(User.id).where(User.name == name))


def _access_records(app):
    with app.app_context():
        return [json.loads(r) for r in db.session.scalars(
            db.select(Evidence.record).where(Evidence.instance_id == 0).order_by(Evidence.seq))]


def test_an_admin_adds_a_colleague_who_then_signs_in_and_works_for_their_group(app, as_, purchase):
    clock.set(T0)
    admin = signed_in(app, "admin")
    added = admin.post("/admin/users", {"name": "Nina", "email": "nina@example.org", "role": "staff",
                                        "groups": "procurement, legal", "password": "nina-first-secret"})
    assert added.status_code == 302
    page = admin.get(added.headers["Location"]).text
    assert "Nina was added." in page and "legal, procurement" in page

    started = as_["owner"].post("/api/v1/instances", json={"process": "purchase", "data": {}}).json
    nina = Visitor(app)
    assert nina.sign_in("Nina", "nina-first-secret").status_code == 302
    inbox = nina.get("/inbox?scope=claimable").text
    assert "Describe the tool" in inbox and str(started["id"]) in inbox

    [record] = [r for r in _access_records(app) if r["data"]["subject"]["name"] == "Nina"]
    assert record["actor"]["name"] == "admin" and record["data"]["action"] == "user.created"
    assert record["data"]["holds"] == {"role": "staff", "groups": ["legal", "procurement"], "active": True}
    assert record["data"]["changes"]["email"] == "changed" and "nina@example.org" not in json.dumps(record)


def test_owners_read_the_admin_pages_and_change_nothing_staff_do_not_open_them(app, as_):
    owner, staff = signed_in(app, "owner"), signed_in(app, "alice")
    alice = _user_id(app, "alice")
    for page in ("/admin/users", f"/admin/users/{alice}", "/admin/groups", "/admin/tokens",
                 "/admin/security-events", "/audit/access"):
        shown = owner.get(page)
        assert shown.status_code == 200, page
        assert "Disable alice" not in shown.text and 'id="add-person"' not in shown.text
        assert staff.get(page).status_code == 403, page
    assert owner.post(f"/admin/users/{alice}/disable").status_code == 403
    assert owner.post("/admin/users", {"name": "mallory"}).status_code == 403
    assert _user_id(app, "mallory") is None


def test_someone_who_left_is_disabled_their_task_goes_back_to_the_group_and_their_history_stays(app, as_, purchase):
    clock.set(T0)
    started = as_["owner"].post("/api/v1/instances", json={"process": "purchase", "data": {}}).json
    [task] = as_["bob"].get(f"/api/v1/tasks?scope=claimable&instance={started['id']}").json["items"]
    assert as_["bob"].post(f"/api/v1/tasks/{task['id']}/claim").status_code == 200
    bob_browser = signed_in(app, "bob")

    admin = signed_in(app, "admin")
    bob = _user_id(app, "bob")
    page = admin.post(f"/admin/users/{bob}/disable", follow_redirects=True).text
    assert "bob is disabled" in page and 'id="state">disabled since 2026-03-02 09:00 UTC' in page

    assert as_["bob"].get("/api/v1/tasks").status_code == 401            # his token opens nothing
    assert bob_browser.get("/inbox").status_code == 302                  # his browser is signed out
    assert Visitor(app).sign_in("bob").status_code == 401                # and cannot sign in again
    [back] = as_["alice"].get(f"/api/v1/tasks?scope=claimable&instance={started['id']}").json["items"]
    assert back["assignee"] is None                                      # procurement may take it again
    unclaimed = as_["auditor"].get(f"/api/v1/instances/{started['id']}/evidence").json["items"][-1]
    assert unclaimed["type"] == "task.unclaimed" and unclaimed["actor"]["name"] == "admin"
    assert unclaimed["data"] == {"task_id": task["id"], "previous_assignee": "bob",
                                 "reason": "bob's account was disabled"}
    assert admin.get(f"/admin/users/{bob}").status_code == 200           # he stays, with his history

    clock.set(T0 + timedelta(days=3))
    admin = signed_in(app, "admin")   # a new day, a new session
    assert "bob may sign in again" in admin.post(f"/admin/users/{bob}/enable", follow_redirects=True).text
    assert as_["bob"].get("/api/v1/tasks").status_code == 401            # old tokens stay revoked
    admin.post(f"/admin/users/{bob}/password", {"password": "bobs-new-secret"})
    assert Visitor(app).sign_in("bob", "bobs-new-secret").status_code == 302
    actions = [r["data"]["action"] for r in _access_records(app) if r["data"]["subject"]["name"] == "bob"]
    assert actions == ["user.created", "user.disabled", "user.enabled", "password.set"]


def test_an_admin_issues_a_token_for_a_service_account_and_revokes_it(app, as_):
    clock.set(T0)
    admin = signed_in(app, "admin")
    admin.post("/admin/users", {"name": "erp-sync", "role": "staff", "groups": "procurement"})
    robot = _user_id(app, "erp-sync")
    page = admin.post(f"/admin/users/{robot}/tokens", {"expires": "2026-06-30"}, follow_redirects=True).text
    token = re.search(r"shown only this once: (\S+)</p>", page).group(1)
    bearer = {"Authorization": f"Bearer {token}"}
    assert app.test_client().get("/api/v1/tasks", headers=bearer).status_code == 200
    listed = admin.get("/admin/tokens").text
    assert "erp-sync" in listed and "2026-07-01 00:00 UTC" in listed

    [token_id] = re.findall(r"Revoke token (\d+)", admin.get(f"/admin/users/{robot}").text)
    admin.post(f"/admin/tokens/{token_id}/revoke", {"back": "person"})
    assert app.test_client().get("/api/v1/tasks", headers=bearer).status_code == 401
    actions = [r["data"]["action"] for r in _access_records(app) if r["data"]["subject"]["name"] == "erp-sync"]
    assert actions == ["user.created", "token.issued", "token.revoked"]


def test_a_group_shows_its_members_its_leads_and_what_uses_it(app, as_):
    from helpers import deploy_bundled
    deploy_bundled(as_, "supplier_onboarding")
    admin = signed_in(app, "admin")
    page = " ".join(admin.get("/admin/groups").text.split())
    security = page[page.index('">security</h2>'):]
    security = security[:security.index("</section>")]
    assert "sam" in security and "leah" in security                       # a member, and its lead
    assert "AI supplier onboarding" in security                             # the bundled process offers it tasks

    sam = _user_id(app, "sam")
    moved = admin.post("/admin/groups", {"user": "sam", "group": "legal", "action": "add"}, follow_redirects=True)
    assert "sam joined legal." in moved.text
    admin.post("/admin/groups", {"user": "sam", "group": "security", "action": "remove"})
    with app.app_context():
        assert db.session.get(User, sam).groups == ["legal"]
    changes = [r["data"]["changes"] for r in _access_records(app) if r["data"]["subject"]["name"] == "sam"][1:]
    assert changes == [{"groups": [["security"], ["legal", "security"]]},
                       {"groups": [["legal", "security"], ["legal"]]}]


@pytest.mark.parametrize("field, value, says", [
    ("name", "eve\x00", "name: text may not contain NUL characters"),
    ("name", "eve\nadmin", "line breaks"),
    ("name", "x" * 10_000, "at most 120 characters"),
    ("name", "  ", "required"),
    ("name", "ALICE", "already called"),
    ("groups", "legal, sec\u0007urity", "control characters"),
    ("role", "superuser", "one of admin, owner"),
    ("email", "not an address", "email"),
    ("password", "short", "8 to 1024 characters"),
])
def test_bad_input_for_a_new_person_is_refused_naming_the_field_and_changes_nothing(app, as_, field, value, says):
    admin = signed_in(app, "admin")
    before = _access_records(app)
    form = {"name": "eve", "role": "staff", "groups": "", "email": "", "password": ""} | {field: value}
    refused = admin.post("/admin/users", form)
    assert refused.status_code in (409, 422) and says in refused.text
    assert f'id="f-{field}-error"' in refused.text or "\x00" in value   # NUL is refused before any page
    assert _access_records(app) == before
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(User)) == 8


def test_no_admin_locks_the_service_or_themselves_out(app, as_):
    admin = signed_in(app, "admin")
    me = _user_id(app, "admin")
    refused = admin.post(f"/admin/users/{me}", {"name": "admin", "role": "staff", "groups": ""})
    assert refused.status_code == 403 and "another admin must do this to you" in refused.text
    refused = admin.post(f"/admin/users/{me}/disable")
    assert refused.status_code == 403 and "you cannot disable yourself" in refused.text

    admin.post("/admin/users", {"name": "ada", "role": "admin", "password": "ada-secret-1"})
    ada = Visitor(app)
    ada.sign_in("ada", "ada-secret-1")
    ada.get("/admin/users")
    assert ada.post(f"/admin/users/{me}/disable").status_code == 302    # another admin may
    # Now ada is the last admin standing: nobody can take that away from her but another admin.
    refused = ada.post(f"/admin/users/{_user_id(app, 'ada')}", {"name": "ada", "role": "owner", "groups": ""})
    assert refused.status_code == 403
    with app.app_context():
        from a10flow.errors import Conflict
        from a10flow.people import directory
        with pytest.raises(Conflict, match="the last admin"):
            directory.change_user(directory.CLI, db.session.get(User, _user_id(app, "ada")), role="owner")


@pytest.mark.parametrize("expires, status", [("2026-03-01", 422), ("9999-12-31", 422), ("soon", 422)])
def test_a_token_that_would_never_or_already_expire_is_refused(app, as_, expires, status):
    clock.set(T0)
    admin = signed_in(app, "admin")
    alice = _user_id(app, "alice")
    refused = admin.post(f"/admin/users/{alice}/tokens", {"expires": expires})
    assert refused.status_code == status and 'id="f-expires_at-error"' in refused.text
    assert "shown only this once" not in refused.text


def test_security_events_are_filtered_and_paged(app, as_):
    clock.set(T0)
    client = app.test_client()
    for n in range(55):   # fewer than a minute's events one by one from an address (security_events.PER_MINUTE)
        client.get("/api/v1/tasks", headers={"Authorization": f"Bearer wrong-{n}"})
    as_["alice"].post("/api/v1/definitions")
    admin = signed_in(app, "admin")
    first = admin.get("/admin/security-events").text
    assert first.count("<tr>") == 51 and "Older events" in first        # a header and 50 rows
    older = re.search(r'href="(/admin/security-events\?[^"]+)">Older events', first).group(1)
    assert "<td>GET /api/v1/tasks</td>" in admin.get(older.replace("&amp;", "&")).text
    mine = admin.get("/admin/security-events?who=alice").text
    assert mine.count("<tr>") == 2 and "POST /api/v1/definitions" in mine
    assert admin.get("/admin/security-events?what=403").text.count("<tr>") == 2
    assert admin.get("/admin/security-events?from=2026-03-03").text.count("<tr>") == 0
    assert admin.get("/admin/security-events?from=someday").status_code == 422
    assert admin.get("/admin/security-events?from=2026-03-05&to=2026-03-01").status_code == 422   # ends before it starts


def _verified(app):
    from a10flow import evidence
    with app.app_context():
        return evidence.verify(app.config["A10FLOW_SIGNING_KEY"]).as_dict()


def test_an_auditor_reads_who_held_which_role_when_and_the_verifier_checks_the_record(app):
    from a10flow.models import Role
    from a10flow.people import directory
    clock.set(T0)
    with app.app_context():
        for name, role in (("admin", Role.ADMIN), ("auditor", Role.AUDITOR), ("sam", Role.STAFF)):
            directory.create_user(directory.CLI, name, role, ["security"] if name == "sam" else [])
    admin = signed_in(app, "admin")
    sam = _user_id(app, "sam")
    clock.set(T0 + timedelta(days=10))
    admin = signed_in(app, "admin")
    admin.post(f"/admin/users/{sam}", {"name": "sam", "role": "owner", "groups": "security"})
    clock.set(T0 + timedelta(days=20))
    admin = signed_in(app, "admin")
    admin.post(f"/admin/users/{sam}/disable")

    auditor = signed_in(app, "auditor")
    page = re.sub(r">\s+<", "><", auditor.get("/audit/access?from=2026-03-01&to=2026-04-01").text)
    rows = re.findall(r"<tr><td>sam</td>(.*?)</tr>", page)
    assert rows == ["<td>staff</td><td>security</td><td>2026-03-02 09:00 UTC</td><td>2026-03-12 09:00 UTC</td>",
                    "<td>owner</td><td>security</td><td>2026-03-12 09:00 UTC</td><td>2026-03-22 09:00 UTC</td>",
                    "<td>owner (disabled)</td><td>security</td><td>2026-03-22 09:00 UTC</td><td>now</td>"]
    before_change = re.sub(r">\s+<", "><", auditor.get("/audit/access?from=2026-03-03&to=2026-03-05").text)
    assert re.findall(r"<tr><td>sam</td><td>(\w+)", before_change) == ["staff"]
    assert auditor.get("/audit/access?from=2026-04-01&to=2026-03-01").status_code == 422

    verified = _verified(app)
    assert verified["ok"] and verified["access_records"] == 5          # 3 people, a change, a disabling
    with _tamper(app) as conn:   # someone with the database's keys makes sam staff all along
        conn.execute(sa.text("UPDATE evidence SET record = replace(record, '\"owner\"', '\"staff\"') "
                             "WHERE instance_id = 0 AND seq = 4"))
    tampered = _verified(app)
    assert not tampered["ok"] and tampered["first_problem"]["instance_id"] == 0


def test_the_command_line_leaves_the_same_record(app, as_):
    from click.testing import CliRunner

    from a10flow.cli import main
    with app.app_context():
        said = CliRunner().invoke(main, ["users", "add", "carol", "--groups", "legal,security", "--role", "owner"])
        assert said.exit_code == 0, said.output
        refused = CliRunner().invoke(main, ["users", "add", "dave\tx"])
        assert refused.exit_code == 1 and "control characters" in refused.output
    [record] = [r for r in _access_records(app) if r["data"]["subject"]["name"] == "carol"]
    assert record["actor"] == {"id": "system:cli", "name": "the a10flow command"}
    assert record["data"]["holds"] == {"role": "owner", "groups": ["legal", "security"], "active": True}


def test_packs_of_all_evidence_or_of_access_carry_the_record_and_verify_alone(app, as_, purchase, tmp_path):
    import io
    import zipfile

    from a10flow.evidence import engagements
    from test_evidence_packs import _pack, _run_verifier
    started = as_["owner"].post("/api/v1/instances", json={"process": "purchase", "data": {}}).json
    as_["owner"].post("/api/v1/evidence/checkpoints")
    key_id = as_[None].get("/api/v1/evidence/public-key").json["key_id"]
    for query in ("", "?control=A.3.2", "?control=ISO 27001 A.5.18&from=2026-01-01"):
        data = _pack(as_, query)
        code, result = _run_verifier(tmp_path, data, "--key-id", key_id)
        assert code == 0 and result["access_records"] == 8, (query, result)
        pack = zipfile.ZipFile(io.BytesIO(data))
        assert json.loads(pack.read("manifest.json"))["access_record"] is True
        report = " ".join(pack.read("report.html").decode().split())
        assert "Who held which role when" in report and "<td>leah</td>" in report
    alone = zipfile.ZipFile(io.BytesIO(_pack(as_, f"?instance={started['id']}")))
    assert json.loads(alone.read("manifest.json"))["access_record"] is False
    assert {json.loads(line)["instance_id"] for line in alone.read("records.jsonl").splitlines()} == {started["id"]}

    with app.app_context():   # an engagement that covers access: its auditor's pack holds the record
        owner = db.session.scalar(db.select(User).where(User.name == "owner"))
        today = clock.now().date()
        _, token = engagements.grant(owner, "Rita Roe", ["A.3.2"], today - timedelta(days=9), today + timedelta(days=1),
                                     today + timedelta(days=9))
    page = app.test_client().get(f"/e/{token}")
    assert "Download the evidence pack for A.3.2" in page.text
    granted = zipfile.ZipFile(io.BytesIO(app.test_client().get(f"/e/{token}/pack?control=A.3.2").data))
    assert json.loads(granted.read("manifest.json"))["access_record"] is True


def test_the_api_lists_security_events_by_who_what_and_when_a_page_at_a_time(app, as_):
    clock.set(T0)
    client = app.test_client()
    for n in range(5):
        client.get("/api/v1/tasks", headers={"Authorization": f"Bearer wrong-{n}"})
    as_["alice"].post("/api/v1/definitions")
    admin = as_["admin"]
    page = admin.get("/api/v1/security-events?limit=2").json["items"]
    assert [e["status"] for e in page] == [403, 401]
    rest = admin.get(f"/api/v1/security-events?limit=10&before={page[-1]['id']}").json["items"]
    assert len(rest) == 4 and all(e["id"] < page[-1]["id"] for e in rest)
    assert [e["user_name"] for e in admin.get("/api/v1/security-events?who=ALI").json["items"]] == ["alice"]
    assert len(admin.get("/api/v1/security-events?what=401").json["items"]) == 5
    assert admin.get("/api/v1/security-events?until=2026-03-02T09:00:00Z").json["items"] == []
    assert admin.get("/api/v1/security-events?limit=501").status_code == 422
    assert admin.get("/api/v1/security-events?before=99999999999").status_code == 422


def test_the_api_manages_people_as_the_pages_do(app, as_):
    clock.set(T0)
    admin = as_["admin"]
    made = admin.post("/api/v1/users", json={"name": "erp-sync", "groups": ["procurement"]})
    assert made.status_code == 201 and made.json["role"] == "staff" and made.json["disabled_at"] is None
    robot = made.json["id"]
    token = admin.post(f"/api/v1/users/{robot}/tokens", json={"expires_at": "2026-04-01T00:00:00Z"}).json
    assert token["expires_at"].startswith("2026-04-01") and token["token"]
    assert app.test_client().get("/api/v1/tasks", headers={"Authorization": f"Bearer {token['token']}"}).status_code \
        == 200
    changed = admin.patch(f"/api/v1/users/{robot}", json={"groups": ["procurement", "legal"]}).json
    assert changed["groups"] == ["legal", "procurement"] and changed["name"] == "erp-sync"
    assert admin.post(f"/api/v1/users/{robot}/disable").json["disabled_at"].startswith("2026-03-02")
    assert app.test_client().get("/api/v1/tasks", headers={"Authorization": f"Bearer {token['token']}"}).status_code \
        == 401
    assert [u["name"] for u in as_["owner"].get("/api/v1/users?limit=2&after=bob").json["items"]] == ["erp-sync", "leah"]
    refused = admin.patch(f"/api/v1/users/{robot}", json={"name": "a\nb", "role": "root"})
    assert refused.status_code == 422 and refused.json["error"]["details"][0]["field"] in ("name", "role")
    assert as_["owner"].patch(f"/api/v1/users/{robot}", json={"role": "admin"}).status_code == 403

    held = as_["auditor"].get("/api/v1/users/roles-held?from=2026-01-01T00:00:00Z").json["items"]
    assert [(h["name"], h["active"]) for h in held if h["name"] == "erp-sync"] == [("erp-sync", True)] * 3 + [
        ("erp-sync", False)]
    assert as_["auditor"].get("/api/v1/users/roles-held?from=2026-05-01T00:00:00Z&to=2026-04-01T00:00:00Z") \
        .status_code == 422


def test_work_offered_by_name_to_someone_disabled_is_shown_for_handing_on_and_nobody_hands_them_more(app, as_):
    from helpers import CAMUNDA, bpmn, flow
    body = ('<bpmn:startEvent id="s"/>' + flow("s", "t", 1) +
            '<bpmn:userTask id="t" name="Review the DPA" camunda:candidateUsers="bob"/>' + flow("t", "e", 2) +
            '<bpmn:endEvent id="e"/>')
    assert as_["owner"].deploy(bpmn(body, process="dpa_review", ns=CAMUNDA)).status_code == 201
    as_["owner"].post("/api/v1/instances", json={"process": "dpa_review"})
    admin = signed_in(app, "admin")
    bob = _user_id(app, "bob")
    admin.post(f"/admin/users/{bob}/disable")
    page = admin.get(f"/admin/users/{bob}").text
    assert "Tasks offered to bob by name" in page and "Review the DPA" in page and "Nobody else may take these" in page

    [task] = as_["owner"].get("/api/v1/tasks?process=dpa_review").json["items"]
    refused = as_["owner"].post(f"/api/v1/tasks/{task['id']}/reassign", json={"user": "bob"})
    assert refused.status_code == 422 and "nobody called 'bob'" in refused.json["error"]["message"]
    assert as_["owner"].post(f"/api/v1/tasks/{task['id']}/reassign", json={"user": "alice"}).status_code == 200
    assert "Tasks offered to bob by name" not in admin.get(f"/admin/users/{bob}").text
