"""A certificate's validity, kept beside the file: procurement gives the supplier's ISO/IEC 42001
certificate with the days it takes effect and expires; the evidence keeps them apart from the
upload time; a renewed certificate is the next version and the old one stays; owners see what
expires soon, first; and whoever keeps the case is reminded 30, 7 and 1 days before and on the
day, each once."""
import io
from datetime import datetime, timedelta, timezone

import pytest
from helpers import CAMUNDA, bpmn, flow, form, pdf, signed_in

from a10flow import clock
from a10flow.models import Document, Notification, User, db
from a10flow.work import expiring

CERTIFICATE = {"type": "string", "format": "binary", "title": "Certificate", "x-accept": ["application/pdf"],
               "x-dates": ["effective", "expires"]}
ANNEX = {"type": "string", "format": "binary", "title": "Annex"}
T0 = datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)


def _case(as_, key="Nimbus"):
    """A case in which procurement gives the supplier's certificate, then renews it."""
    body = ('<bpmn:startEvent id="s"/>'
            '<bpmn:userTask id="give" name="Give the certificate" camunda:candidateGroups="procurement"/>'
            '<bpmn:userTask id="renew" name="Renew the certificate" camunda:candidateGroups="procurement"/>'
            '<bpmn:endEvent id="e"/>' + flow("s", "give", 1) + flow("give", "renew", 2) + flow("renew", "e", 3))
    deployed = as_["owner"].deploy(bpmn(body, process="certified", ns=CAMUNDA),
                                   form("give", ["certificate"], certificate=CERTIFICATE, annex=ANNEX),
                                   form("renew", ["certificate"], certificate=CERTIFICATE))
    assert deployed.status_code in (200, 201), deployed.json
    started = as_["alice"].post("/api/v1/instances", json={"process": "certified", "business_key": key}).json
    return started["id"], started["open_tasks"][0]["id"]


def _give(as_, task_id, field="certificate", content=None, **dates):
    query = "&".join([f"field={field}", *(f"{k}={v}" for k, v in dates.items())])
    return as_["alice"].post(f"/api/v1/tasks/{task_id}/documents?{query}",
                             data={"file": (io.BytesIO(content or pdf()), "ISO 42001 certificate.pdf")})


def _certify(as_, task_id, expires, effective="2026-01-01", content=None):
    """Give a certificate on task ``task_id`` and complete it; returns the next open task's id."""
    given = _give(as_, task_id, content=content, effective=effective, expires=expires)
    assert given.status_code == 201, given.json
    done = as_["alice"].post(f"/api/v1/tasks/{task_id}/complete",
                             json={"data": {"certificate": given.json["document"]}})
    assert done.status_code == 200, done.json
    after = as_["alice"].get(f"/api/v1/instances/{done.json['instance_id']}").json["open_tasks"]
    return after[0]["id"] if after else None


def _submitted(as_, instance_id):
    chain = as_["auditor"].get(f"/api/v1/instances/{instance_id}/evidence").json["items"]
    return [r["data"]["submitted"]["certificate"] for r in chain if r["type"] == "task.completed"]


@pytest.mark.parametrize("dates, words", [
    ({"effective": "2026-01-01"}, "Expires on"),
    ({"effective": "2026-01-01", "expires": "2027-02-30"}, "is no date"),
    ({"effective": "2027-01-01", "expires": "2026-06-30"}, "expire before it takes effect"),
])
def test_a_certificate_without_good_dates_is_refused_naming_the_field_and_nothing_is_kept(app, as_, dates, words):
    _, task_id = _case(as_)
    refused = _give(as_, task_id, **dates)
    assert refused.status_code == 422 and words in refused.json["error"]["message"]
    assert refused.json["error"]["details"][0]["field"] == "certificate"
    undated = _give(as_, task_id, field="annex", expires="2027-01-01")   # the annex takes no date
    assert undated.status_code == 422 and "takes no date" in undated.json["error"]["message"]
    with app.app_context():
        assert db.session.scalars(db.select(Document)).all() == []


def test_the_dates_are_evidence_apart_from_the_upload_and_a_renewal_is_the_next_version(app, as_):
    clock.set(T0)
    instance_id, task_id = _case(as_)
    renew = _certify(as_, task_id, expires="2027-01-15", content=pdf("first certificate"))
    clock.set(T0 + timedelta(days=30))
    _certify(as_, renew, effective="2027-01-10", expires="2030-01-09", content=pdf("renewed certificate"))

    first, renewed = _submitted(as_, instance_id)
    assert (first["effective"], first["expires"], first["version"]) == ("2026-01-01", "2027-01-15", 1)
    assert (renewed["effective"], renewed["expires"], renewed["version"]) == ("2027-01-10", "2030-01-09", 2)
    with app.app_context():   # the upload time is when it was given, whatever the document says of itself
        kept = {d.version: d for d in db.session.scalars(db.select(Document))}
        assert kept[1].given_at == T0 and kept[2].given_at == T0 + timedelta(days=30)
    old = as_["bob"].get(f"/api/v1/documents/{first['document']}")
    assert old.status_code == 200 and old.data == pdf("first certificate")   # the replaced one stays

    case = signed_in(app, "bob").get(f"/instances/{instance_id}").text
    assert "version 2" in case and "expires 2030-01-09" in case and "expires 2027-01-15" in case


def test_owners_see_what_expires_soon_first_and_only_what_is_in_force(app, as_):
    clock.set(T0)
    soon_id, task_id = _case(as_, "Soon GmbH")
    _certify(as_, task_id, expires="2027-01-15")
    later_id, task_id = _case(as_, "Later Ltd")
    _certify(as_, task_id, expires="2026-12-20")
    renewed_id, task_id = _case(as_, "Renewed SA")
    renew = _certify(as_, task_id, expires="2026-12-10")
    _certify(as_, renew, expires="2028-01-01")   # the old one, expiring first, is replaced

    page = signed_in(app, "owner").get("/documents/expiring").text
    assert page.index("Later Ltd") < page.index("Soon GmbH") and "Renewed SA" not in page
    assert "in 19 days" in page and "2026-12-10" not in page
    assert "Renewed SA" in signed_in(app, "owner").get("/documents/expiring?within=800").text
    assert "Soon GmbH" in signed_in(app, "alice").get("/documents/expiring").text   # she started the case
    others = signed_in(app, "sam").get("/documents/expiring")   # security: not his cases
    assert others.status_code == 200 and "No document in force expires" in others.text
    for nonsense in ("lots", "9" * 5000, "-1", "3661", "٣"):
        bad = signed_in(app, "owner").get(f"/documents/expiring?within={nonsense}")
        assert bad.status_code == 422 and "within" in bad.text, nonsense
    damaged = signed_in(app, "owner").get("/documents/expiring?after=yesterday/x")
    assert damaged.status_code == 422 and "damaged" in damaged.text


def _reminders(app):
    with app.app_context():
        rows = db.session.execute(db.select(Notification.subject, User.name).outerjoin(User)
                                  .where(Notification.subject.startswith("ISO 42001 certificate"))).all()
        return sorted({subject for subject, _ in rows}), sorted({name for _, name in rows})


def test_whoever_keeps_the_case_is_reminded_30_7_and_1_days_before_and_on_the_day_once_each(app, as_):
    clock.set(T0)
    _, task_id = _case(as_)
    _certify(as_, task_id, expires="2027-01-15")
    expiry = datetime(2027, 1, 15, 6, 0, tzinfo=timezone.utc)
    with app.app_context():
        told = []
        for day in range(-45, 3):
            clock.set(expiry + timedelta(days=day))
            told += [day] * expiring.remind()
            assert expiring.remind() == 0   # a second sweep that day, or another process: nothing more
    assert told == [-30, -7, -1, 0]
    subjects, people = _reminders(app)
    assert subjects == ["ISO 42001 certificate.pdf expires in 1 day, on 2027-01-15",
                        "ISO 42001 certificate.pdf expires in 30 days, on 2027-01-15",
                        "ISO 42001 certificate.pdf expires in 7 days, on 2027-01-15",
                        "ISO 42001 certificate.pdf expires today"]
    assert people == ["alice", "owner"]   # who started the case and gave it, and the owners


def test_a_reminder_missed_while_the_service_was_down_comes_once_not_in_a_burst(app, as_):
    clock.set(T0)
    _, task_id = _case(as_)
    _certify(as_, task_id, expires="2027-01-15")
    with app.app_context():
        clock.set(datetime(2027, 1, 11, 12, 0, tzinfo=timezone.utc))   # down from 40 days before to 4 days before
        assert expiring.remind() == 1
        clock.set(datetime(2027, 1, 20, 12, 0, tzinfo=timezone.utc))   # and again over the day itself
        assert expiring.remind() == 1 and expiring.remind() == 0
    subjects, _ = _reminders(app)
    assert subjects == ["ISO 42001 certificate.pdf expired on 2027-01-15",
                        "ISO 42001 certificate.pdf expires in 4 days, on 2027-01-15"]


def test_the_lead_times_are_a_setting_refused_when_they_are_not_days():
    from a10flow.config import lead_days
    assert lead_days({"X": "14, 60,0"}, "X", "30") == (60, 14, 0)
    for bad in ("", "soon", "-1", "7,,x"):
        with pytest.raises(ValueError, match="whole days"):
            lead_days({"X": bad}, "X", "30")


def test_on_the_task_page_the_dates_are_asked_for_beside_the_file(app, as_):
    instance_id, task_id = _case(as_)
    alice = signed_in(app, "alice")
    page = alice.get(f"/tasks/{task_id}").text
    assert 'type="date"' in page and 'name="certificate:expires"' in page and "Expires on" in page
    undated = alice.post(f"/tasks/{task_id}", {"action": "complete", "certificate": (io.BytesIO(pdf()), "cert.pdf"),
                                               "certificate:effective": "2026-01-01"})
    assert undated.status_code == 422 and "Expires on" in undated.text
    done = alice.post(f"/tasks/{task_id}", {"action": "complete", "certificate": (io.BytesIO(pdf()), "cert.pdf"),
                                            "certificate:effective": "2026-01-01", "certificate:expires": "2027-01-15"})
    assert done.status_code == 302, done.text
    [given] = _submitted(as_, instance_id)
    assert (given["effective"], given["expires"]) == ("2026-01-01", "2027-01-15")


def test_a_document_kept_from_an_earlier_step_is_carried_as_it_is_and_no_other_case_s_can_be(app, as_):
    instance_id, task_id = _case(as_)
    renew = _certify(as_, task_id, expires="2027-01-15")
    [first] = _submitted(as_, instance_id)
    _, elsewhere = _case(as_, "Other Ltd")
    theirs = _give(as_, elsewhere, effective="2026-03-01", expires="2027-03-01").json["document"]
    refused = as_["alice"].post(f"/api/v1/tasks/{renew}/complete", json={"data": {"certificate": theirs}})
    assert refused.status_code == 422 and refused.json["error"]["details"][0]["field"] == "certificate"
    carried = as_["alice"].post(f"/api/v1/tasks/{renew}/complete", json={"data": {"certificate": first["document"]}})
    assert carried.status_code == 200, carried.json
    assert _submitted(as_, instance_id) == [first, first]   # the same document, the same version
