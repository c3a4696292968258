"""Closing a corrective action moves the supplier register: a new entry supersedes the current
one, the action closed with what was done and the proof, the clause it was about agreed; once
every action is closed the supplier is approved without conditions."""
from helpers import deploy_bundled
from test_supplier_onboarding import CLAUSES, LOW, _do, _open, _through_risk


def _entry(as_, history=False):
    return as_["auditor"].get(f"/api/v1/registers/suppliers?key=Acme Data&history={str(history).lower()}") \
        .json["items"]


def test_closing_a_contract_gap_moves_the_register(as_):
    deploy_bundled(as_, "supplier_onboarding")
    instance_id = _through_risk(as_, LOW)
    _do(as_, "bob", _open(as_, instance_id, "approve_supplier")[0], {"approval": {"decision": "approve"}})
    _do(as_, "lee", _open(as_, instance_id, "check_contract")[0],
        dict(CLAUSES, clauses=dict(CLAUSES["clauses"], audit_rights="missing", art_25_4_agreement="missing")))
    [entry] = _entry(as_)
    assert entry["data"]["status"] == "approved with conditions"
    assert entry["data"]["contract_clauses"]["audit_rights"] == "missing"
    assert entry["data"]["contract_gaps"] == {"art_25_4_agreement": "open", "audit_rights": "open"}
    assert {a["status"] for a in entry["data"]["corrective_actions"].values()} == {"open"}

    audit = next(t for t in _open(as_, instance_id, "close_corrective_action") if "audit rights" in t["name"])
    _do(as_, "lee", audit, {"done": "Audit clause signed.", "evidence_reference": "DMS-4410"})
    [entry] = _entry(as_)
    assert entry["data"]["status"] == "approved with conditions"   # one gap is still open
    assert entry["data"]["contract_clauses"]["audit_rights"] == "in the contract"
    assert entry["data"]["contract_gaps"] == {"art_25_4_agreement": "open", "audit_rights": "closed"}
    closed = entry["data"]["corrective_actions"]["Get the contract clause agreed: audit rights"]
    assert (closed["status"], closed["done"], closed["evidence_reference"]) == \
        ("closed", "Audit clause signed.", "DMS-4410")
    assert len(_entry(as_, history=True)) == 2   # the old entry is kept, superseded

    [last] = _open(as_, instance_id, "close_corrective_action")
    _do(as_, "lee", last, {"done": "Art. 25(4) addendum signed."})
    [entry] = _entry(as_)
    assert entry["data"]["status"] == "approved"
    assert entry["data"]["contract_gaps"] == {"art_25_4_agreement": "closed", "audit_rights": "closed"}
    assert "evidence_reference" not in entry["data"]["corrective_actions"][last["name"].split(": ", 1)[1]]
    # The loop's variables stay out of the instance's data.
    data = as_["owner"].get(f"/api/v1/instances/{instance_id}").json["data"]
    assert not {"corrective_action", "done", "evidence_reference", "approver", "approval"} & set(data), " ".join(sorted(data))


def test_an_approvers_group_is_the_approval_tasks_own_not_the_instances_data(as_):
    deploy_bundled(as_, "supplier_onboarding")
    instance_id = _through_risk(as_, LOW)   # the approval waits
    assert "approver" not in as_["owner"].get(f"/api/v1/instances/{instance_id}").json["data"]


def test_a_supplier_without_actions_gets_no_second_entry(as_):
    deploy_bundled(as_, "supplier_onboarding")
    instance_id = _through_risk(as_, LOW)
    _do(as_, "bob", _open(as_, instance_id, "approve_supplier")[0], {"approval": {"decision": "approve"}})
    _do(as_, "lee", _open(as_, instance_id, "check_contract")[0], CLAUSES)
    assert len(_entry(as_, history=True)) == 1   # "approved" already: the patch changes nothing
