"""An owner lets an external auditor read the evidence of chosen controls over a period, until a
date, by a link or by the auditor's own account; the auditor sees that and nothing else, and the
owner sees everything the auditor opened or downloaded, and can end it at any time."""
import io
import json
import re
import zipfile
from datetime import datetime, timezone

from helpers import Visitor, deploy_bundled, set_passwords, signed_in
from test_customer_change_notification import CHANGE
from test_supplier_onboarding import REQUEST, T0

from a10flow import clock
from a10flow.models import Engagement, Role, User, db
from a10flow.people import auth, directory

GRANT = {"auditor": "Rita Roe, Example Audit LLP", "controls": ["A.10.3"], "from": "2026-01-01", "to": "2027-01-01",
         "expires": "2026-03-31", "account": ""}


def _two_controls(as_):
    """A supplier being onboarded (A.10.3) and a customer change (A.10.4)."""
    clock.set(T0)
    deploy_bundled(as_, "supplier_onboarding")
    deploy_bundled(as_, "customer_change_notification")
    supplier = as_["alice"].post("/api/v1/instances", json={"process": "supplier_onboarding", "data": REQUEST}).json
    change = as_["owner"].post("/api/v1/instances", json={"process": "customer_change_notification",
                                                          "data": dict(CHANGE, materiality="low")}).json
    return supplier["id"], change["id"]


def _grant(owner, **changes):
    owner.get("/audit/engagements")
    answer = owner.post("/audit/engagements", dict(GRANT, **changes))
    assert answer.status_code == 302, answer.text
    page = owner.get(answer.headers["Location"])
    return answer.headers["Location"], page


def _zip(answer):
    assert answer.status_code == 200 and answer.mimetype == "application/zip", answer.text[:300]
    return zipfile.ZipFile(io.BytesIO(answer.data))


def test_an_auditor_with_a_link_reads_one_control_over_the_period_and_the_owner_sees_what_they_opened(app, as_):
    supplier, _ = _two_controls(as_)
    owner = signed_in(app, "owner")
    engagement_page, page = _grant(owner)
    [link] = re.findall(r"http://[^\s<]+/e/[A-Za-z0-9_-]+", page.text)   # shown once
    assert link not in owner.get(engagement_page).text

    auditor = Visitor(app)   # no account: the link is all they have
    view = auditor.get(link.split("localhost", 1)[-1])
    assert view.status_code == 200
    assert "A.10.3" in view.text and "A.10.4" not in view.text and "Your engagements" not in view.text
    pack = _zip(auditor.get(link.split("localhost", 1)[-1] + "/pack?control=A.10.3"))
    manifest = json.loads(pack.read("manifest.json"))
    assert manifest["scope"]["control"] == "A.10.3" and manifest["instances"] == [supplier]
    assert manifest["scope"]["from"].startswith("2026-01-01") and manifest["scope"]["to"].startswith("2027-01-01")
    # A wider period asked for in the address is refused, saying why: the engagement's period holds.
    widened = auditor.get(link.split("localhost", 1)[-1] + "/pack?control=A.10.3&from=2000-01-01&to=2100-01-01")
    assert widened.status_code == 422 and "the engagement&#39;s period" in widened.text
    # The pack's Statement of Applicability says nothing of the controls outside the engagement.
    soa = {row["control"]: row for row in json.loads(pack.read("statement-of-applicability.json"))}
    assert soa["A.10.4"] == {"control": "A.10.4", "title": "Customers", "outside_engagement": True}
    assert soa["A.10.3"]["implemented_by"] and "Outside this engagement" in pack.read("report.html").decode()
    # The other control, or every control, stays closed however the address is written.
    for query in ("?control=A.10.4", "?control=ISO/IEC%2042001%20A.10.4", "", "?control=", "?control=A.10.3;A.10.4"):
        refused = auditor.get(link.split("localhost", 1)[-1] + "/pack" + query)
        assert refused.status_code in (403, 422) and refused.mimetype == "text/html", query
    assert auditor.get("/audit").status_code == 302 and auditor.get("/api/v1/evidence/export").status_code == 401

    log = owner.get(engagement_page).text
    assert log.count("opened the engagement") == 1 and "downloaded the evidence pack a10flow-evidence_A.10.3_2026-01-01" in log
    assert "was refused the evidence pack for &#39;A.10.4&#39;: this engagement does not cover A.10.4" in log


def test_a_revoked_or_ended_engagement_opens_nothing(app, as_):
    _two_controls(as_)
    owner = signed_in(app, "owner")
    engagement_page, page = _grant(owner)
    [path] = re.findall(r"/e/[A-Za-z0-9_-]+", page.text)
    auditor = Visitor(app)
    assert auditor.get(path).status_code == 200
    clock.set(datetime(2026, 3, 31, 23, 59, tzinfo=timezone.utc))   # the last day of access, to its end
    assert auditor.get(path).status_code == 200
    clock.set(datetime(2026, 4, 1, tzinfo=timezone.utc))
    ended = auditor.get(path)
    assert ended.status_code == 410 and "ended on 2026-03-31" in ended.text
    clock.set(T0)
    owner.get(engagement_page)
    assert owner.post(engagement_page + "/revoke").status_code == 302
    assert "revoked, by owner" in owner.get(engagement_page).text
    for gone in (path, path + "/pack?control=A.10.3"):
        answer = auditor.get(gone)
        assert answer.status_code == 410 and "revoked" in answer.text
    assert "was refused the engagement&#39;s page: this engagement was revoked" in owner.get(engagement_page).text
    for wrong in ("/e/" + "x" * 43, "/e/" + "a" * 5000, path[:-1]):
        assert auditor.get(wrong).status_code == 404, wrong
    assert auditor.get("/e/%00").status_code == 422   # refused before it reaches the database


def test_an_auditors_account_opens_its_engagements_and_nothing_else(app, as_):
    supplier, _ = _two_controls(as_)
    with app.app_context():
        directory.create_user(directory.CLI, "rita", Role.EXTERNAL_AUDITOR)
        db.session.commit()
        other = directory.create_user(directory.CLI, "otto", Role.EXTERNAL_AUDITOR)
        db.session.commit()
        token = auth.issue_token(db.session.scalar(db.select(User).where(User.name == "rita")))
        db.session.commit()
    owner = signed_in(app, "owner")
    engagement_page, _ = _grant(owner, account="rita", controls=["A.10.3", "A.10.4"])
    _grant(owner, account="otto")
    mine = int(engagement_page.rsplit("/", 1)[1])

    set_passwords(app, "rita")
    rita = Visitor(app)
    assert rita.sign_in("rita").headers["Location"] == "/engagements"
    listed = rita.get("/engagements")
    assert f"/engagements/{mine}" in listed.text and "Inbox" not in listed.text and "/audit" not in listed.text
    view = rita.get(f"/engagements/{mine}")
    assert "A.10.3" in view.text and "A.10.4" in view.text
    assert json.loads(_zip(rita.get(f"/engagements/{mine}/pack?control=A.10.3")).read("manifest.json"))[
        "instances"] == [supplier]
    # Nothing else of the service opens to her: pages take her back, forms and the API refuse.
    for page in ("/inbox", "/instances", f"/instances/{supplier}", "/audit", "/audit/verify", "/registers",
                 "/definitions", "/audit/engagements", f"/audit/engagements/{mine}"):
        answer = rita.get(page)
        assert answer.status_code in (302, 403) and "/sign-in" not in answer.headers.get("Location", ""), page
        assert answer.status_code == 403 or answer.headers["Location"] == "/engagements", page
    assert rita.post(f"/instances/{supplier}/cancel").status_code == 403
    assert rita.post("/audit/engagements", dict(GRANT, account="rita")).status_code == 403
    api = app.test_client().get("/api/v1/instances", headers={"Authorization": f"Bearer {token}"})
    assert api.status_code == 403 and "engagement" in api.json["error"]["message"]
    # Another auditor's engagement is not hers to open.
    with app.app_context():
        others = db.session.scalar(db.select(Engagement.id).where(Engagement.user_id == other.id))
    assert rita.get(f"/engagements/{others}").status_code == 404
    assert rita.get(f"/engagements/{others}/pack?control=A.10.3").status_code == 404
    assert "rita" in owner.get(engagement_page).text   # her accesses, by name


def test_a_grant_that_cannot_work_is_refused_naming_the_field_and_nothing_is_kept(app, as_):
    _two_controls(as_)
    owner = signed_in(app, "owner")
    owner.get("/audit/engagements")
    for changes, field in (({"auditor": "  "}, "auditor"), ({"auditor": "x" * 256}, "auditor"),
                           ({"controls": []}, "controls"), ({"controls": ["SOC 2 CC1.1"]}, "controls"),
                           ({"from": ""}, "from"), ({"to": "2025-12-31"}, "to"), ({"from": "2026-13-45"}, "from"),
                           ({"expires": "2026-01-01"}, "expires"), ({"expires": ""}, "expires"),
                           ({"account": "alice"}, "account"), ({"account": "nobody"}, "account"),
                           ({"expires": "9999-12-31"}, "expires"), ({"from": "2026-06-01"}, "from"),
                           ({"auditor": "Rita Roe\r\nX-Injected: 1"}, "auditor"),
                           ({"controls": ["A.10.9"]}, "controls"), ({"controls": ["A." + "1" * 3000]}, "controls")):
        answer = owner.post("/audit/engagements", dict(GRANT, **changes))
        assert answer.status_code == 422, changes
        assert f'id="f-{field}-error"' in answer.text or "not a date" in answer.text, (changes, answer.text[:500])
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Engagement.id))) == 0


def test_only_owners_and_admins_grant_and_watch_engagements(app, as_):
    _two_controls(as_)
    for name in ("alice", "auditor"):
        person = signed_in(app, name)
        assert person.get("/audit/engagements").status_code == 403
        assert person.post("/audit/engagements", GRANT).status_code == 403
    admin = signed_in(app, "admin")
    assert _grant(admin)[1].status_code == 200


def test_owners_grant_list_and_revoke_engagements_through_the_api_with_clear_refusals(app, as_):
    _two_controls(as_)
    grant = {"auditor": "Rita Roe, Example Audit LLP", "controls": ["A.10.3", "ISO 27001 A.5.19"],
             "from": "2026-01-01", "to": "2027-01-01", "expires": "2026-03-31"}
    made = as_["owner"].post("/api/v1/engagements", json=grant)
    assert made.status_code == 201, made.json
    assert made.json["controls"] == ["A.10.3", "ISO/IEC 27001 A.5.19"] and made.json["state"] == "active"
    assert made.json["link"].startswith("http") and "/e/" in made.json["link"] and made.json["account"] is None
    path = made.json["link"].split("localhost", 1)[-1]
    assert Visitor(app).get(path).status_code == 200
    [listed] = as_["admin"].get("/api/v1/engagements").json["items"]
    assert "link" not in listed and listed["accesses"][0]["who"] == "link"   # shown once, and logged
    for changes, field in (({"controls": ["SOC 2 CC1.1"]}, "controls"), ({"to": "2025-01-01"}, "to"),
                           ({"expires": "2020-01-01"}, "expires"), ({"account": "alice"}, "account")):
        refused = as_["owner"].post("/api/v1/engagements", json=dict(grant, **changes))
        assert refused.status_code == 422 and refused.json["error"]["details"][0]["field"] == field, refused.json
    for broken in ({**grant, "from": "soon"}, {**grant, "controls": "A.10.3"}, {k: v for k, v in grant.items()
                                                                               if k != "auditor"}):
        assert as_["owner"].post("/api/v1/engagements", json=broken).status_code == 422
    revoked = as_["owner"].post(f"/api/v1/engagements/{made.json['id']}/revoke")
    assert revoked.json["state"] == "revoked" and revoked.json["revoked_by"] == "owner"
    assert Visitor(app).get(path).status_code == 410
    assert as_["owner"].get("/api/v1/engagements/999999").status_code == 404
    assert as_["auditor"].get("/api/v1/engagements").status_code == 403
