"""SpiffArena's data stores, as a process owner brings them: one process keeps a supplier ledger
(a JSON store) or tier settings (a KKV store), others read them, and every read and write is in
the evidence. A script that misuses a store fails at its element, saying why, and keeps nothing."""
import threading
import time
from xml.sax.saxutils import escape

import pytest
from helpers import bpmn, flow, form, signed_in

CLASSES = {"json": "JSONDataStore", "kkv": "KKVDataStore"}


def script(task_id, code, reads=(), writes=()):
    """A script task running ``code``, reading the stores ``reads`` and writing ``writes``."""
    return task("scriptTask", task_id, f"<bpmn:script>{escape(code)}</bpmn:script>", reads, writes)


def task(kind, task_id, inside="", reads=(), writes=()):
    """A task of ``kind`` (scriptTask, userTask…) holding ``inside``, with its data associations."""
    inputs = "".join(f'<bpmn:dataInputAssociation id="{task_id}_in_{s}"><bpmn:sourceRef>{s}_ref</bpmn:sourceRef>'
                     f'</bpmn:dataInputAssociation>' for s in reads)
    outputs = "".join(f'<bpmn:dataOutputAssociation id="{task_id}_out_{s}"><bpmn:targetRef>{s}_ref'
                      f'</bpmn:targetRef></bpmn:dataOutputAssociation>' for s in writes)
    return (f'<bpmn:{kind} id="{task_id}" name="{task_id.replace("_", " ").capitalize()}">{inputs}{outputs}'
            f'{inside}</bpmn:{kind}>')


def process(key, stores, *tasks):
    """Process ``key``: a start, ``tasks`` one after the other, an end; ``stores`` is {id: kind}."""
    ids = ["s", *(t.split('id="', 1)[1].split('"', 1)[0] for t in tasks), "e"]
    body = ('<bpmn:startEvent id="s"/>' + "".join(tasks) + '<bpmn:endEvent id="e"/>' +
            "".join(flow(a, b, n) for n, (a, b) in enumerate(zip(ids, ids[1:]))) +
            "".join(f'<bpmn:dataStoreReference id="{s}_ref" name="{s}" dataStoreRef="{s}"/>' for s in stores))
    extra = "".join(f'<bpmn:dataStore id="{s}" name="{CLASSES.get(kind, kind)}"/>' for s, kind in stores.items())
    return bpmn(body, process=key, extra=extra)


SUPPLIER = form("s", supplier={"type": "string"})   # the start form: who the supplier is


def deploy(as_, *files):
    response = as_["owner"].deploy(*files, SUPPLIER)
    assert response.status_code == 201, response.json
    return response.json


def start(as_, key, data=None):
    response = as_["alice"].post("/api/v1/instances", json={"process": key, "data": data or {}})
    assert response.status_code == 201, response.json
    return as_["owner"].get(f"/api/v1/instances/{response.json['id']}").json


def chain(as_, instance):
    return as_["auditor"].get(f"/api/v1/instances/{instance['id']}/evidence").json["items"]


def of_type(records, type_):
    return [r for r in records if r["type"] == type_]


REGISTER = process("register", {"ledger": "json"}, script(
    "add_supplier", 'ledger = {"suppliers": [supplier]}', writes=["ledger"]))
APPEND = process("append", {"ledger": "json"}, script(
    "append_supplier", 'ledger["suppliers"].append(supplier)', reads=["ledger"], writes=["ledger"]))
COUNT = process("count", {"ledger": "json"}, script(
    "count_suppliers", 'count = len(ledger["suppliers"])\nfirst = ledger["suppliers"][0]', reads=["ledger"]))


def test_one_process_keeps_a_ledger_that_others_read_and_extend(as_):
    deploy(as_, REGISTER, APPEND, COUNT)
    assert as_["auditor"].get("/api/v1/data-stores/ledger").json["revision"] == 0   # made at deploy, empty

    written = start(as_, "register", {"supplier": "Acme"})
    assert written["status"] == "completed"
    [record] = of_type(chain(as_, written), "data_store.written")
    assert record["element"]["id"] == "add_supplier"
    assert record["data"] == {"store": "ledger", "kind": "json", "revision": 1,
                              "document": {"suppliers": ["Acme"]}}
    # What goes into the store is the store's: not a variable the script added to the instance.
    [ran] = of_type(chain(as_, written), "script.run")
    assert ran["data"]["changes"]["added"] == {}
    assert "ledger" not in written["data"]

    extended = start(as_, "append", {"supplier": "Globex"})
    records = chain(as_, extended)
    [read], [wrote] = of_type(records, "data_store.read"), of_type(records, "data_store.written")
    assert read["data"]["revision"] == 1 and read["data"]["sha256"]
    assert wrote["data"]["revision"] == 2 and wrote["data"]["document"] == {"suppliers": ["Acme", "Globex"]}
    assert [r["type"] for r in records].index("data_store.read") < [r["type"] for r in records].index("script.run") \
        < [r["type"] for r in records].index("data_store.written")

    counted = start(as_, "count")
    assert counted["status"] == "completed"
    assert counted["data"]["count"] == 2 and counted["data"]["first"] == "Acme"
    assert "ledger" not in counted["data"]   # read for the task, gone after it
    store = as_["owner"].get("/api/v1/data-stores/ledger").json
    assert store["content"] == {"suppliers": ["Acme", "Globex"]} and store["revision"] == 2
    assert store["written_by"] == extended["id"] and store["written_element"] == "append_supplier"
    assert store["evidence"] == f"/api/v1/instances/{extended['id']}/evidence"
    assert [s["id"] for s in as_["auditor"].get("/api/v1/data-stores").json["items"]] == ["ledger"]


SETTINGS = process("settings", {"tiers": "kkv"}, script(
    "set_tiers", 'tiers = {"acme": {"tier": "high", "reviewed": "2026-11"}, "globex": {"tier": "low"}}',
    writes=["tiers"]))
LOOKUP = process("lookup", {"tiers": "kkv"}, script(
    "look_up", 'tier = tiers(supplier, "tier")\neverything = tiers(supplier)\nnothing = tiers("initech", "tier")',
    reads=["tiers"]))
FORGET = process("forget", {"tiers": "kkv"}, script(
    "forget_some", 'tiers = {"acme": {"reviewed": None}, "globex": None}', writes=["tiers"]))


def test_a_key_key_value_store_is_read_one_value_at_a_time(as_):
    deploy(as_, SETTINGS, LOOKUP, FORGET)
    written = start(as_, "settings")
    [record] = of_type(chain(as_, written), "data_store.written")
    assert record["data"]["kind"] == "kkv" and record["data"]["changes"]["globex"] == {"tier": "low"}

    looked = start(as_, "lookup", {"supplier": "acme"})
    assert looked["status"] == "completed", looked
    assert looked["data"]["tier"] == "high"
    assert looked["data"]["everything"] == {"tier": "high", "reviewed": "2026-11"}
    assert looked["data"]["nothing"] is None
    assert "tiers" not in looked["data"]   # the lookup is offered to the script, never kept
    [read] = of_type(chain(as_, looked), "data_store.read")
    assert read["data"]["store"] == "tiers" and read["data"]["revision"] == 1

    start(as_, "forget")   # None deletes an entry; a None top key, all of its entries
    assert as_["owner"].get("/api/v1/data-stores/tiers").json["content"] == {"acme": {"tier": "high"}}


def failure(as_, instance):
    """The incident an instance stopped at: (element, error)."""
    assert instance["status"] == "failed", instance
    [incident] = [i for i in instance["incidents"] if i["status"] == "open"]
    return incident["element_id"], incident["error"]


def retry(as_, instance, data=None):
    [incident] = [i for i in instance["incidents"] if i["status"] == "open"]
    response = as_["owner"].post(f"/api/v1/incidents/{incident['id']}/retry", json={"data": data})
    assert response.status_code == 200, response.json
    return as_["owner"].get(f"/api/v1/instances/{instance['id']}").json


def test_reading_a_store_nothing_has_written_stops_at_the_reader_until_one_has(as_):
    deploy(as_, COUNT, REGISTER)
    waiting = start(as_, "count")
    element, error = failure(as_, waiting)
    assert element == "count_suppliers" and "holds nothing yet" in error and "'ledger'" in error
    start(as_, "register", {"supplier": "Acme"})
    done = retry(as_, waiting)
    assert done["status"] == "completed" and done["data"]["count"] == 1


@pytest.mark.parametrize("code, says", [
    ('other = 1', "nothing set the variable 'tiers'"),
    ('tiers = ["acme", "high"]', "must be {top key: {secondary key: value}}, not a list"),
    ('tiers = {"acme": "high"}', "'acme' must map secondary keys to values"),
    ('tiers = {"acme": {str(n): "x" * 900000 for n in range(3)}}', "at most 2097152"),
], ids=["not-set", "a-list", "flat", "too-large"])
def test_a_script_that_writes_a_store_wrongly_stops_there_and_the_store_keeps_what_it_had(as_, code, says):
    deploy(as_, SETTINGS, process("bad", {"tiers": "kkv"}, script("write_badly", code, writes=["tiers"])))
    start(as_, "settings")
    element, error = failure(as_, start(as_, "bad"))
    assert element == "write_badly" and says in error, error
    assert as_["owner"].get("/api/v1/data-stores/tiers").json["revision"] == 1
    assert not of_type(chain(as_, as_["owner"].get("/api/v1/instances/2").json), "data_store.written")


def test_an_owner_retries_a_failed_write_with_the_value_it_should_have_had(as_):
    deploy(as_, process("bad", {"tiers": "kkv"}, script("write_badly", "other = 1", writes=["tiers"])))
    failed = start(as_, "bad")
    done = retry(as_, failed, {"tiers": {"acme": {"tier": "high"}}})
    assert done["status"] == "completed", done
    assert done["data"] == {"other": 1}
    assert as_["owner"].get("/api/v1/data-stores/tiers").json["content"] == {"acme": {"tier": "high"}}


def test_the_lookup_function_stays_in_the_script(as_):
    # SpiffArena's own test does this: the function is not data, so it goes with the script.
    deploy(as_, SETTINGS, process("keep", {"tiers": "kkv"}, script("keep_it", "hey = tiers", reads=["tiers"])))
    start(as_, "settings")
    kept = start(as_, "keep")
    assert kept["status"] == "completed" and kept["data"] == {}


def test_a_store_kept_as_one_kind_cannot_be_deployed_as_the_other(as_):
    deploy(as_, REGISTER)
    response = as_["owner"].deploy(process("clash", {"ledger": "kkv"}, script("w", "ledger = {}", writes=["ledger"])))
    assert response.status_code == 422
    [problem] = response.json["error"]["details"]
    assert problem["element"] == "ledger" and "kept as a JSON store" in problem["message"]
    assert "clash" not in [d["key"] for d in as_["owner"].get("/api/v1/definitions").json["items"]]


@pytest.mark.parametrize("store_id", ["not-a-name", "_kkv", "None", "x" * 300, "\ufb01le", "l\u0435dger"],
                         ids=["dash", "underscore", "keyword", "too-long", "ligature", "cyrillic-look-alike"])
def test_a_store_id_scripts_cannot_name_is_refused_at_deploy(as_, store_id):
    response = as_["owner"].deploy(process("p", {store_id: "json"}, script("w", "x = 1", writes=[store_id])))
    assert response.status_code == 422, response.json
    [problem] = response.json["error"]["details"]
    assert problem["element"] == f"{store_id}_ref" and "which scripts cannot name" in problem["message"]


def test_a_typeahead_store_is_left_out_and_what_it_would_hold_stays_with_the_instance(as_):
    # SpiffArena's typeahead store feeds its typeahead form fields, which a10flow does not have.
    file = process("p", {"albums": "TypeaheadDataStore"}, script("w", 'albums = {"a": [1]}', writes=["albums"]))
    warnings = {w["element"]: w["message"] for w in deploy(as_, file)["warnings"]}
    assert "typeahead store" in warnings["albums_ref"] and "stays in the instance data" in warnings["albums_ref"]
    done = start(as_, "p")
    assert done["status"] == "completed" and done["data"]["albums"] == {"a": [1]}
    assert as_["owner"].get("/api/v1/data-stores").json["items"] == []


def test_staff_cannot_read_what_the_stores_hold(as_):
    deploy(as_, REGISTER)
    assert as_["alice"].get("/api/v1/data-stores/ledger").status_code == 403
    assert as_["owner"].get("/api/v1/data-stores/nothing-here").status_code == 404


def test_a_process_deployed_earlier_and_called_later_reads_the_store_as_its_own(as_):
    # The callee was deployed on its own, with a store drawn for documentation beside its ledger.
    callee = process("count", {"ledger": "json", "archive": "Archive"}, script(
        "count_suppliers", 'count = len(ledger["suppliers"])', reads=["ledger", "archive"]))
    deploy(as_, callee, REGISTER)
    caller = bpmn('<bpmn:startEvent id="s"/><bpmn:callActivity id="call" calledElement="count"/>'
                  '<bpmn:endEvent id="e"/>' + flow("s", "call", 1) + flow("call", "e", 2), process="caller")
    deploy(as_, caller)
    start(as_, "register", {"supplier": "Acme"})
    done = start(as_, "caller")
    assert done["status"] == "completed", done
    [read] = of_type(chain(as_, done), "data_store.read")
    assert read["element"]["id"] == "count_suppliers" and read["data"]["revision"] == 1


def test_the_owner_reads_a_key_value_store_one_entry_a_row_and_what_a_script_wrote_stays_text(app, as_):
    hostile = process("hostile", {"tiers": "kkv"}, script(
        "set_tiers", 'tiers = {"<script>alert(1)</script>": {"tier": "<b>high</b>"}, "acme": {"tier": "low"}}',
        writes=["tiers"]))
    deploy(as_, hostile)
    start(as_, "hostile")
    page = signed_in(app, "owner").get("/data-stores/tiers")
    assert page.status_code == 200
    assert page.text.count("<tr><td>") == 2   # one row per top key and secondary key
    assert "<script>alert(1)</script>" not in page.text and "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    assert "<b>high</b>" not in page.text


def test_two_steps_writing_one_ledger_at_once_lose_neither_write(app, as_):
    # Another step has read the ledger and will write it back; an instance appending to it meanwhile
    # must wait for it, not write over it. (SQLite runs one step at a time: its BEGIN IMMEDIATE.)
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        pytest.skip("SQLite serializes every step; the row lock is PostgreSQL's")
    from a10flow.models import db
    from a10flow.processes.datastores import Backend
    from a10flow.step.frame import transaction
    deploy(as_, REGISTER, APPEND)
    start(as_, "register", {"supplier": "Acme"})
    holding, go, appended = threading.Event(), threading.Event(), []

    def other_step():
        with app.app_context(), transaction():
            kept = Backend().read("ledger", "json")[1]
            holding.set()
            go.wait(30)
            Backend().write("ledger", "json", {"suppliers": kept["suppliers"] + ["Initech"]})

    held = threading.Thread(target=other_step)
    held.start()
    assert holding.wait(30)
    appending = threading.Thread(target=lambda: appended.append(start(as_, "append", {"supplier": "Globex"})))
    appending.start()
    with app.app_context():
        for _ in range(3000):   # until the append waits for the ledger's lock (or, wrongly, ends)
            waiting = db.session.scalar(db.text("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = "
                                                "'Lock' AND datname = current_database()"))
            db.session.rollback()
            if waiting or not appending.is_alive():
                break
            time.sleep(0.01)
    assert appending.is_alive(), "the append did not wait for the step holding the ledger"
    go.set()
    held.join()
    appending.join()
    assert appended[0]["status"] == "completed"
    assert as_["owner"].get("/api/v1/data-stores/ledger").json["content"] == {
        "suppliers": ["Acme", "Initech", "Globex"]}


def test_the_pack_report_says_what_each_step_read_from_a_store_and_wrote_to_it(as_):
    from test_evidence_report import _pack, _report, _rows
    deploy(as_, REGISTER, APPEND)
    start(as_, "register", {"supplier": "Acme"})
    appended = start(as_, "append", {"supplier": "Globex"})
    rows = _rows(_report(_pack(as_)), appended["id"])
    [read], [wrote] = rows["Read a data store"], rows["Wrote to a data store"]
    assert "Append supplier" in read and "Data store\nledger" in read and "Revision\n1" in read
    assert "SHA-256 of what it read" in read
    assert "The document written" in wrote and "Globex" in wrote and "Revision\n2" in wrote


def test_a_data_association_to_nothing_in_the_file_is_refused_naming_its_task(as_):
    # Hand-edited XML: the reference names no element (a quote in it once reached the engine's XPath).
    body = script("w", "x = 1", reads=["gone"]).replace("gone_ref", "it's gone")
    response = as_["owner"].deploy(process("p", {"ledger": "json"}, body))
    assert response.status_code == 422
    [problem] = response.json["error"]["details"]
    assert problem["element"] == "w" and """"it's gone", which is no element of this file""" in problem["message"]


def test_a_person_who_reviews_the_ledger_while_another_instance_extends_it_keeps_both(as_):
    # The review task opened at revision 1; by the time alice completes it, Globex was appended.
    review = process("review", {"ledger": "json"}, task("userTask", "review_ledger", reads=["ledger"],
                                                        writes=["ledger"]))
    deploy(as_, REGISTER, APPEND, review)
    start(as_, "register", {"supplier": "Acme"})
    opened = start(as_, "review")
    start(as_, "append", {"supplier": "Globex"})
    [open_task] = opened["open_tasks"]
    done = as_["alice"].post(f"/api/v1/tasks/{open_task['id']}/complete", json={"data": {}})
    assert done.status_code == 200, done.json
    assert as_["owner"].get("/api/v1/data-stores/ledger").json["content"] == {"suppliers": ["Acme", "Globex"]}
    [read] = of_type(chain(as_, opened), "data_store.read")
    assert read["data"]["revision"] == 2   # read as it was when she completed it


def test_parallel_branches_each_add_to_the_ledger_and_neither_is_lost(as_):
    body = ('<bpmn:startEvent id="s"/>' + script("begin", 'ledger = {"items": []}', writes=["ledger"]) +
            '<bpmn:parallelGateway id="split"/><bpmn:parallelGateway id="join"/><bpmn:endEvent id="e"/>' +
            script("add_a", 'ledger["items"].append("A")', reads=["ledger"], writes=["ledger"]) +
            script("add_b", 'ledger["items"].append("B")', reads=["ledger"], writes=["ledger"]) +
            flow("s", "begin", 1) + flow("begin", "split", 2) + flow("split", "add_a", 3) + flow("split", "add_b", 4) +
            flow("add_a", "join", 5) + flow("add_b", "join", 6) + flow("join", "e", 7) +
            '<bpmn:dataStoreReference id="ledger_ref" dataStoreRef="ledger"/>')
    deploy(as_, bpmn(body, extra='<bpmn:dataStore id="ledger" name="JSONDataStore"/>'))
    assert start(as_, "p")["status"] == "completed"
    kept = as_["owner"].get("/api/v1/data-stores/ledger").json
    assert sorted(kept["content"]["items"]) == ["A", "B"] and kept["revision"] == 3


def test_a_task_that_fails_writes_no_store_and_its_retry_reads_the_store_afresh(as_):
    both = process("both", {"ledger": "json", "tiers": "kkv"}, script(
        "write_both", 'ledger["suppliers"].append("Zeta")\ntiers = variable("given_tiers", ["not", "keyed"])',
        reads=["ledger"], writes=["ledger", "tiers"]))
    deploy(as_, REGISTER, APPEND, both)
    start(as_, "register", {"supplier": "Acme"})
    failed = start(as_, "both")
    element, error = failure(as_, failed)
    assert element == "write_both" and "must be {top key" in error
    assert as_["owner"].get("/api/v1/data-stores/ledger").json["revision"] == 1   # Zeta was not written
    start(as_, "append", {"supplier": "Epsilon"})
    done = retry(as_, failed, {"given_tiers": {"zeta": {"tier": "low"}}})
    assert done["status"] == "completed", done
    assert as_["owner"].get("/api/v1/data-stores/ledger").json["content"] == {
        "suppliers": ["Acme", "Epsilon", "Zeta"]}


def test_one_upload_cannot_use_one_store_id_as_both_kinds(as_):
    kkv = process("k1", {"fresh": "kkv"}, script("w1", 'fresh = {"a": {"b": 1}}', writes=["fresh"]))
    json_ = process("k2", {"fresh": "json"}, script("w2", "fresh = {}", writes=["fresh"]))
    response = as_["owner"].deploy(kkv, json_)
    assert response.status_code == 422, response.json
    [problem] = response.json["error"]["details"]
    assert problem["element"] == "fresh" and "a JSONDataStore here and a KKVDataStore in k1.bpmn" in problem["message"]


def test_none_is_not_a_document_and_a_number_key_is_found_as_the_store_keeps_it(as_):
    deploy(as_, process("blank", {"ledger": "json"}, script("blank_it", "ledger = None", writes=["ledger"])),
           process("numbers", {"tiers": "kkv"}, script("by_number", "tiers = {1: {2: 3}}", writes=["tiers"])),
           process("look", {"tiers": "kkv"}, script("look_up", "found = tiers(1, 2)", reads=["tiers"])))
    element, error = failure(as_, start(as_, "blank"))
    assert element == "blank_it" and "is None: write a document" in error
    start(as_, "numbers")
    assert start(as_, "look")["data"]["found"] == 3


def test_a_big_store_is_shown_in_part_on_its_page_and_in_the_report_whole_in_the_api_and_records(app, as_):
    deploy(as_, process("many", {"tiers": "kkv"}, script(
               "fill", 'tiers = {"s" + str(n): {"tier": "low"} for n in range(700)}', writes=["tiers"])),
           process("long", {"ledger": "json"}, script(
               "fill_ledger", 'ledger = {"suppliers": ["supplier " + str(n) for n in range(20000)]}', writes=["ledger"])))
    start(as_, "many")
    filled = start(as_, "long")
    owner = signed_in(app, "owner")
    page = owner.get("/data-stores/tiers").text
    assert page.count("<tr><td>") == 500 and "And 200 more entries" in page
    page = owner.get("/data-stores/ledger").text
    assert "supplier 19999" not in page and "The document goes on" in page
    assert len(as_["owner"].get("/api/v1/data-stores/ledger").json["content"]["suppliers"]) == 20000
    from test_evidence_report import _pack, _report, _rows
    pack = _pack(as_)
    [wrote] = _rows(_report(pack), filled["id"])["Wrote to a data store"]
    assert "bytes as canonical JSON, SHA-256" in wrote and "supplier 19999" not in wrote
    assert b"supplier 19999" in pack.read("records.jsonl")


def test_a_pack_is_drawn_after_its_reads_end_so_steps_go_on_meanwhile(app, as_, monkeypatch):
    # On SQLite the reads hold the write lock until their transaction ends; the PDF takes a second
    # an instance, and every step waiting that long would fail.
    from a10flow.evidence import report
    from a10flow.models import db
    deploy(as_, REGISTER)
    start(as_, "register", {"supplier": "Acme"})
    drawn, seen = report.pdf, []

    def pdf(html):
        seen.append(db.session().in_transaction())
        return drawn(html)
    monkeypatch.setattr(report, "pdf", pdf)
    assert as_["auditor"].get("/api/v1/evidence/export").status_code == 200
    assert seen == [False]


def test_deploy_warns_of_a_form_field_a_store_read_would_overwrite_and_of_a_near_miss_store_name(as_):
    shadowed = process("count", {"ledger": "json", "archive": "jsondatastore "}, script(
        "count_suppliers", 'count = len(ledger["suppliers"])', reads=["ledger", "archive"]))
    warnings = {w["element"]: w["message"] for w in as_["owner"].deploy(
        shadowed, form("s", ledger={"type": "string", "title": "Ledger name"})).json["warnings"]}
    assert "the form 's.schema.json' has a field 'ledger', the id of a data store this process reads" in \
        warnings["ledger"]
    assert "named 'jsondatastore ', not 'JSONDataStore'" in warnings["archive_ref"]


@pytest.mark.parametrize("path", ["a%00b", "x" * 5000, "..%2F..%2Fetc", "ledger%0A"],
                         ids=["nul", "huge", "traversal", "line-break"])
def test_a_store_address_made_up_by_anyone_is_refused_in_words(app, as_, path):
    deploy(as_, REGISTER)
    for url in (f"/api/v1/data-stores/{path}", f"/data-stores/{path}"):   # refused before any store is looked up
        assert as_[None].get(url).status_code in (401, 302, 404, 422)
        assert as_["alice"].get(url).status_code in (302, 403, 404, 422)
    api = as_["owner"].get(f"/api/v1/data-stores/{path}")
    page = signed_in(app, "owner").get(f"/data-stores/{path}")
    assert api.status_code in (404, 422) and api.json["error"]["message"]
    assert page.status_code in (404, 422) and "Traceback" not in page.text
