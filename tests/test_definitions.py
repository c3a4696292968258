"""A process owner deploys what a modeller drew: versions, validation errors, real files."""
from helpers import DATA, wait_process

PURCHASE = (DATA / "purchase.bpmn").read_bytes()
FORM = (DATA / "request.json").read_bytes()


def test_unchanged_content_makes_no_new_version_and_changes_do(as_, purchase):
    again = as_["owner"].deploy(("purchase.bpmn", PURCHASE), ("request.json", FORM))
    assert again.status_code == 201 and again.json["processes"][0]["version"] == 1

    first = as_["alice"].post("/api/v1/instances", json={"process": "purchase"}).json
    changed = PURCHASE.replace(b'name="Describe the tool"', b'name="Describe the new tool"')
    v2 = as_["owner"].deploy(("purchase.bpmn", changed), ("request.json", FORM))
    assert v2.json["processes"][0]["version"] == 2

    listed = as_["owner"].get("/api/v1/definitions/purchase").json
    assert [v["version"] for v in listed["versions"]] == [1, 2] and listed["latest_version"] == 2
    assert as_["owner"].get("/api/v1/definitions/purchase/versions/2/bpmn").data == changed
    assert as_["owner"].get("/api/v1/definitions/purchase/versions/1/bpmn").data == PURCHASE

    # Running instances stay on their version; new ones take the latest unless told otherwise.
    assert as_["owner"].get(f"/api/v1/instances/{first['id']}").json["process"]["version"] == 1
    new = as_["alice"].post("/api/v1/instances", json={"process": "purchase"}).json
    assert new["process"]["version"] == 2 and new["open_tasks"][0]["name"] == "Describe the new tool"
    old = as_["owner"].post("/api/v1/instances", json={"process": "purchase", "version": 1}).json
    assert old["open_tasks"][0]["name"] == "Describe the tool"
    assert as_["alice"].post("/api/v1/instances", json={"process": "purchase", "version": 9}).status_code == 404
    keys = [d["key"] for d in as_["auditor"].get("/api/v1/definitions").json["items"]]
    assert keys == ["purchase"]


def _problems(response):
    assert response.status_code == 422, response.json
    return [(d["element"], d["message"]) for d in response.json["error"]["details"]]


def test_every_problem_is_reported_at_once_with_its_element(as_):
    broken = PURCHASE.replace(b"${amount &gt; 1000}", b"amount &gt;&gt; 1000 +") \
        .replace(b"recorded = True", b"recorded = (") \
        .replace(b'camunda:dueDate="P3D"', b'camunda:dueDate="${dateTime().plusBananas(2)}"')
    problems = _problems(as_["owner"].deploy(("purchase.bpmn", broken), ("request.json", FORM)))
    elements = {element for element, _ in problems}
    assert {"costly", "record", "request"} <= elements
    assert as_["owner"].get("/api/v1/definitions").json["items"] == []


def test_juel_that_has_no_python_meaning_says_how_to_write_it(as_):
    juel = PURCHASE.replace(b"${amount &gt; 1000}", b"${order.getAmount() &gt; 1000}")
    [(element, message)] = _problems(as_["owner"].deploy(("purchase.bpmn", juel), ("request.json", FORM)))
    assert element == "costly"
    assert "Python" in message and "getAmount" in message


def test_form_problems(as_):
    missing = _problems(as_["owner"].deploy(("purchase.bpmn", PURCHASE)))
    assert missing == [("request", "form 'request.json' was not found: upload it with the definition or "
                                    "put it in forms/")]
    bad_schema = _problems(as_["owner"].deploy(("purchase.bpmn", PURCHASE),
                                               ("request.json", b'{"type": "objekt"}')))
    assert "not a valid JSON Schema" in bad_schema[0][1]
    not_json = _problems(as_["owner"].deploy(("purchase.bpmn", PURCHASE), ("request.json", b"{oops")))
    assert "not valid JSON" in not_json[0][1]


def test_timers_written_as_modellers_write_them(as_):
    def timer(text):
        return wait_process(f"<bpmn:{text}")

    for ok in ["timeDuration>P3D</bpmn:timeDuration>", 'timeDuration>"PT2H"</bpmn:timeDuration>',
               "timeDate>2030-12-01T09:00:00Z</bpmn:timeDate>", "timeCycle>R/P1D</bpmn:timeCycle>",
               "timeDuration>timedelta(days=2)</bpmn:timeDuration>"]:
        response = as_["owner"].deploy(("wait.bpmn", timer(ok)))
        assert response.status_code == 201, (ok, response.json)
        started = as_["owner"].post("/api/v1/instances", json={"process": "wait"})
        assert started.status_code == 201, (ok, started.json)
        assert len(started.json["timers"]) == 1, ok
    for bad, words in [("timeDuration></bpmn:timeDuration>", "empty"),
                       ("timeDuration>P3X</bpmn:timeDuration>", "not a valid ISO 8601"),
                       ("timeDuration>days(+</bpmn:timeDuration>", "not a valid Python expression"),
                       ("timeCycle>R/P1D/P1D/P1D</bpmn:timeCycle>", "cycle")]:
        [(element, message)] = _problems(as_["owner"].deploy(("wait.bpmn", timer(bad))))
        assert element == "pause" and words in message, message
    naive = as_["owner"].deploy(("wait.bpmn", timer("timeDate>2030-12-01T09:00:00</bpmn:timeDate>")))
    assert naive.status_code == 201 and "read as UTC" in naive.json["warnings"][0]["message"]


def test_unsafe_or_unreadable_files_are_refused(as_):
    xxe = b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY e SYSTEM "file:///etc/passwd">]><d>&e;</d>'
    assert "DOCTYPE" in _problems(as_["owner"].deploy(("x.bpmn", xxe)))[0][1]
    laughs = b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">' + b"".join(
        b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10) for i in range(1, 10)) + \
        b']><bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL">&lol9;</bpmn:definitions>'
    assert "DOCTYPE" in _problems(as_["owner"].deploy(("laughs.bpmn", laughs)))[0][1]   # refused unexpanded
    hidden = b"<!--" + b"x" * 5000 + b"-->" + xxe.split(b"?>", 1)[1]   # the entity after a long comment
    assert "ENTITY" in _problems(as_["owner"].deploy(("x.bpmn", hidden)))[0][1]
    late = b'<?xml version="1.0"?>' + b" " * 5000 + b'<!DOCTYPE d SYSTEM "file:///etc/passwd"><d/>'   # after 4 KiB
    assert "DOCTYPE" in _problems(as_["owner"].deploy(("x.bpmn", late)))[0][1]
    utf7 = ('<?xml version="1.0" encoding="UTF-7"?>+ADw-!DOCTYPE d +AFs-+ADw-!ENTITY e SYSTEM '
            '+ACI-file:///etc/passwd+ACI-+AD4-+AF0-+AD4-<d>+ACY-e+ADs-</d>').encode()   # no "<!DOCTYPE" in the bytes
    assert "DOCTYPE" in _problems(as_["owner"].deploy(("x.bpmn", utf7)))[0][1]
    utf16 = PURCHASE.decode().replace('encoding="UTF-8"', 'encoding="UTF-16"').encode("utf-16")
    assert "save it as UTF-8" in _problems(as_["owner"].deploy(("purchase.bpmn", utf16)))[0][1]
    assert "empty" in _problems(as_["owner"].deploy(("x.bpmn", b"")))[0][1]
    assert "well-formed" in _problems(as_["owner"].deploy(("x.bpmn", b"<bpmn:definitions")))[0][1]
    assert "not a BPMN or DMN" in _problems(as_["owner"].deploy(("x.bpmn", b"<html/>")))[0][1]
    no_file = as_["owner"].post("/api/v1/definitions", data={}, content_type="multipart/form-data")
    assert no_file.status_code == 422 and no_file.json["error"]["details"][0]["field"] == "file"
    huge = as_["owner"].post("/api/v1/definitions", data=b"-" * (11 * 1024 * 1024),
                             content_type="multipart/form-data; boundary=x")
    assert huge.status_code == 413 and huge.json["error"]["code"] == "too_large"


def test_call_activity_needs_its_process(as_):
    caller = (DATA / "caller.bpmn").read_bytes()
    [(element, message)] = _problems(as_["owner"].deploy(("caller.bpmn", caller)))
    assert element == "call" and "'purchase'" in message
    as_["owner"].deploy(("purchase.bpmn", PURCHASE), ("request.json", FORM))
    deployed = as_["owner"].deploy(("caller.bpmn", caller))
    assert deployed.status_code == 201, deployed.json
    started = as_["alice"].post("/api/v1/instances", json={"process": "caller"}).json
    assert started["open_tasks"][0]["element_id"] == "request"


def test_only_owners_and_admins_deploy(as_):
    for who in ("alice", "auditor"):
        assert as_[who].deploy(("purchase.bpmn", PURCHASE)).status_code == 403
    assert as_[None].deploy(("purchase.bpmn", PURCHASE)).status_code == 401
    assert as_["admin"].deploy(("purchase.bpmn", PURCHASE), ("request.json", FORM)).status_code == 201


def test_forms_come_from_the_forms_folder_too(app, as_):
    forms = app.config["A10FLOW_FORMS_DIR"]
    with open(f"{forms}/request.json", "wb") as fh:
        fh.write(FORM)
    with open(f"{forms}/approve.schema.json", "w") as fh:   # the convention: <element id>.schema.json
        fh.write('{"type": "object", "required": ["approved"], "properties": {"approved": {"type": "boolean"}}}')
    deployed = as_["owner"].deploy(("purchase.bpmn", PURCHASE))
    assert deployed.status_code == 201, deployed.json
    instance = as_["alice"].post("/api/v1/instances", json={"process": "purchase"}).json
    request = instance["open_tasks"][0]
    assert request["form"]["name"] == "request.json"
    as_["alice"].post(f"/api/v1/tasks/{request['id']}/complete",
                      json={"data": {"tool": "x", "amount": 2000, "approver_group": "security"}})
    [approve] = as_["sam"].get("/api/v1/tasks?scope=claimable").json["items"]
    assert approve["form"]["name"] == "approve.schema.json"
    refused = as_["sam"].post(f"/api/v1/tasks/{approve['id']}/complete", json={"data": {"approved": "yes"}})
    assert refused.status_code == 422 and refused.json["error"]["details"][0]["field"] == "approved"

    with open(f"{forms}/request.json", "w") as fh:
        fh.write('{"type": 12}')
    [(element, message)] = [(d["file"], d["message"])
                            for d in _problems_raw(as_["owner"].deploy(("purchase.bpmn", PURCHASE)))]
    assert element == "forms/request.json" and "not a valid JSON Schema" in message


def _problems_raw(response):
    assert response.status_code == 422, response.json
    return response.json["error"]["details"]


def test_an_id_shared_with_an_extension_element_is_refused(as_):
    # The engine finds elements by id: a task id equal to a Spiff operator id breaks it.
    bpmn = (DATA / "remind.bpmn").read_bytes().replace(b'id="handover"', b'id="escalate"') \
        .replace(b'Ref="handover"', b'Ref="escalate"')
    [(element, message)] = _problems(as_["owner"].deploy(("remind.bpmn", bpmn)))
    assert element == "escalate" and "more than one element" in message


def test_a_receive_task_people_answer_needs_its_message(as_):
    root = DATA.parent.parent
    bpmn = (root / "workflows" / "customer-change-notification.bpmn").read_bytes() \
        .replace(b' messageRef="change_acknowledgement"', b"")
    problems = _problems(as_["owner"].deploy(("change.bpmn", bpmn),
                                             root / "workflows" / "customer-notice-decision.dmn"))
    assert ("acknowledge_change", "a receive task that people answer needs a message (messageRef naming a "
            "bpmn:message)") in problems


def test_a_flow_to_or_from_nothing_is_named_with_what_it_misses(as_):
    from helpers import bpmn, flow
    shapes = '<bpmn:startEvent id="s"/><bpmn:userTask id="t" name="Do"/><bpmn:endEvent id="e"/>' + flow("s", "t", 1)
    for dangling, said in (
            (flow("t", "nowhere", 2), "the sequence flow 'f2' leads to 'nowhere', which process 'p' does not have"),
            ('<bpmn:sequenceFlow id="f2" sourceRef="t"/>', "the sequence flow 'f2' leads to no element"),
            (flow("ghost", "e", 2), "the sequence flow 'f2' starts at 'ghost', which process 'p' does not have")):
        refused = as_["owner"].deploy(bpmn(shapes + dangling))
        assert refused.status_code == 422
        [problem] = refused.json["error"]["details"]
        assert problem["element"] == "f2" and problem["message"].startswith(said), problem
        assert "task spec" not in problem["message"]
    assert as_["owner"].get("/api/v1/definitions").json["items"] == []
