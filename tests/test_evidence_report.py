"""An auditor opens a pack's report (on screen, or the PDF filed with their workpapers) and reads
each instance without help: what people gave under the labels of their forms, what the decision
table read and which rule matched, the diagram with the path taken, and what is still open."""
import io
import math
import zipfile
from datetime import timedelta

import pypdf
from lxml import html

from a10flow import clock
from helpers import CAMUNDA, bpmn, flow
from test_customer_change_notification import _told, CUSTOMERS
from test_supplier_onboarding import CLAUSES, LOW, _do, _open, _through_risk, deploy_bundled

LONG = "The supplier asked for more time to deliver the model card. " * 40   # some 2,400 characters


def _pack(as_, query=""):
    response = as_["auditor"].get(f"/api/v1/evidence/export{query}")
    assert response.status_code == 200, response.json
    return zipfile.ZipFile(io.BytesIO(response.data))


def _report(pack):
    return html.fromstring(pack.read("report.html"))


def _rows(page, instance_id):
    """The timeline of one instance: ``{what: [row text, …]}``."""
    rows = {}
    for row in page.xpath(f'//h3[@id="instance-{instance_id}"]/following-sibling::table[@class="timeline"][1]'
                          '//tr[contains(@class, "record")]'):
        cells = row.xpath("./td")
        rows.setdefault(cells[3].text_content().strip(), []).append(row.text_content())
    return rows


def _onboarded_with_a_condition(as_):
    deploy_bundled(as_, "supplier_onboarding")
    instance_id = _through_risk(as_, LOW)
    [approval] = _open(as_, instance_id, "approve_supplier")
    _do(as_, "bob", approval, {"approval": {"decision": "approve with conditions", "conditions": [
        {"action": "Deliver the model card", "owner": "bob", "due": "2026-02-01"}], "comment": LONG}})
    return instance_id


def test_each_record_reads_in_words_under_the_forms_labels_and_nothing_is_cut(as_):
    instance_id = _onboarded_with_a_condition(as_)
    page = _report(_pack(as_))
    rows = _rows(page, instance_id)
    [started] = rows["Started the instance"]
    assert "Supplier contact's e-mail" in started and "contact_email" not in started   # the start form's label
    assert "personal data, concealed" in started and "anna@acme.example" not in started
    details, assessed = [r for r in rows["Completed the task"] if "Legal name" in r], \
        [r for r in rows["Completed the task"] if "How easily replaced" in r]
    assert details and "for alice" in details[0]   # the supplier answered through alice's link
    assert "ISO/IEC 27001" in details[0] and "2027-12-31" in details[0]   # a list of objects, as a table
    assert assessed and "substitutability" not in assessed[0]
    [approved] = [r for r in rows["Completed the task"] if "Deliver the model card" in r]
    assert LONG.strip() in approved and "…" not in page.text_content()   # nothing truncated
    [sent, _] = rows["Sent the task to an outside party"]
    assert "2026-01-26 09:00 UTC" in sent and "T09:00:00" not in sent   # moments as people read them
    assert "Made 2026-01-12 09:00 UTC" in page.text_content()
    # A table inside a table's cell becomes a list of its rows: nested tables squeeze off a printed page.
    assert page.xpath('//table[@class="timeline"]//td//table') and not page.xpath('//td//table//td//table')


def test_a_decision_shows_the_table_and_its_version_the_facts_it_read_and_the_rule_that_matched(as_):
    instance_id = _onboarded_with_a_condition(as_)
    [decided] = _rows(_report(_pack(as_)), instance_id)["Decided by a decision table"]
    for words in ("supplier_risk_tier_table", "Version deployed1", "DMN filesupplier-risk-tier.dmn",
                  "Data sensitivitylow", "Substitutabilityeasy", "rule_low", "ResultRisk tierlow", "Risk tier–low"):
        assert words in decided.replace("\n", "").replace("  ", ""), words
    [took] = _rows(_report(_pack(as_)), instance_id)["Took a path"]
    assert "no" in took and "Complete the contract clause checklist" in took


def test_the_diagram_of_the_version_that_ran_marks_the_path_taken_without_javascript(as_):
    instance_id = _onboarded_with_a_condition(as_)
    page = _report(_pack(as_))
    assert not page.xpath("//script")
    [svg] = page.xpath(f'//h3[@id="instance-{instance_id}"]/following-sibling::figure[1]//*[local-name()="svg"]')
    marks = {g.get("data-element"): g.get("class") for g in svg.xpath('.//*[local-name()="g"]')}
    assert marks["assess_risk"] == marks["tier_supplier"] == marks["approve_supplier"] == "done"
    assert marks["check_contract"] == "waiting"
    assert marks["not_rejected"] == "taken" and marks["rejected_flow"] == "plain"   # the gateway chose "no"
    assert marks["record_rejection"] == "plain"


def test_open_items_name_overdue_work_corrective_actions_and_customers_who_have_not_answered(as_):
    instance_id = _onboarded_with_a_condition(as_)
    [checklist] = _open(as_, instance_id, "check_contract")
    _do(as_, "lee", checklist, CLAUSES)
    clock.set(clock.now() + timedelta(days=30))   # the corrective action was due on 1 February
    customers = _told(as_, CUSTOMERS[:2])
    bank_a = as_["owner"].get(f"/api/v1/instances/{customers['id']}").json["open_tasks"][0]
    link = as_["owner"].post(f"/api/v1/tasks/{bank_a['id']}/links", json={"party": CUSTOMERS[0]["contact"]}).json
    as_[None].get(link["path"])   # Bank A opens it, and does not answer
    page = _report(_pack(as_))

    def open_items(iid):
        return [li.text_content() for li in page.xpath(f'//h3[@id="instance-{iid}"]/following-sibling::ul[1]/li')]
    [recorded] = _rows(page, instance_id)["Recorded in a register"]   # a service step, in words
    assert "Acme Data" in recorded and "Operator" not in recorded
    [action] = open_items(instance_id)
    assert action.startswith("Close the corrective action: Deliver the model card") and "overdue" in action
    answers = open_items(customers["id"])
    assert len(answers) == 2
    assert any("link sent 2026-02-11" in a and "opened" in a and "not yet answered" in a for a in answers)
    assert any(a.startswith("Customer acknowledges or objects: Bank B") and "not yet opened" in a for a in answers)


def test_a_pack_of_all_evidence_reads_instances_of_processes_without_a_control(as_):
    assert as_["owner"].deploy(bpmn('<bpmn:startEvent id="s" name="Asked"/>' + flow("s", "e", 1) +
                                    '<bpmn:endEvent id="e" name="Done"/>')).status_code == 201
    plain = as_["alice"].post("/api/v1/instances", json={"process": "p"}).json["id"]
    page = _report(_pack(as_))
    assert page.xpath('//h2[@id="no-control"]') and _rows(page, plain)["The instance completed"]
    assert "from the beginning to now" in " ".join(page.text_content().split())


def test_the_pdf_beside_the_report_holds_the_same_story_for_filing(as_):
    instance_id = _onboarded_with_a_condition(as_)
    pack = _pack(as_, "?control=A.10.3")
    pdf = pypdf.PdfReader(io.BytesIO(pack.read("report.pdf")))
    text = " ".join(" ".join(page.extract_text() for page in pdf.pages).split())
    assert "Evidence report: A.10.3" in text and f"Instance {instance_id}" in text
    assert "Decided by a decision table" in text and "rule_low" in text
    assert pdf.pages[0].mediabox.width > pdf.pages[0].mediabox.height   # A4 landscape, for wide timelines
    assert "report.pdf" in __import__("json").loads(pack.read("manifest.json"))["files"]


DI = (' xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" xmlns:dc="http://www.omg.org/spec/DD/20100524/DC"'
      ' xmlns:di="http://www.omg.org/spec/DD/20100524/DI"')


def test_names_values_and_a_layout_written_to_attack_the_report_stay_harmless(as_):
    """A modeller's element names and a person's answers are drawn and shown as text: no markup
    of theirs runs in the report and the PDF fetches nothing they point at; coordinates that are
    no numbers, or absurd ones, draw nothing rather than fail the pack."""
    attack = '<img src="http://127.0.0.1:9/x" onerror="alert(1)"><script>alert(2)</script>'
    escaped = attack.replace("<", "&lt;").replace('"', "&quot;")
    body = (f'<bpmn:startEvent id="s" name="{escaped}"/>' + flow("s", "t", 1) +
            f'<bpmn:userTask id="t" name="{escaped}" camunda:formKey="t.schema.json"/>' + flow("t", "e", 2) +
            '<bpmn:endEvent id="e"/>')
    layout = ('<bpmndi:BPMNDiagram id="dd"><bpmndi:BPMNPlane id="pp" bpmnElement="p">'
              '<bpmndi:BPMNShape id="s_di" bpmnElement="s"><dc:Bounds x="0" y="0" width="36" height="36"/></bpmndi:BPMNShape>'
              '<bpmndi:BPMNShape id="t_di" bpmnElement="t"><dc:Bounds x="nan" y="0" width="100" height="80"/></bpmndi:BPMNShape>'
              '<bpmndi:BPMNShape id="e_di" bpmnElement="e"><dc:Bounds x="1e400" y="-5" width="36" height="36"/></bpmndi:BPMNShape>'
              '<bpmndi:BPMNEdge id="f1_di" bpmnElement="f1"><di:waypoint x="36" y="18"/><di:waypoint x="inf" y="18"/>'
              '</bpmndi:BPMNEdge><bpmndi:BPMNEdge id="f2_di" bpmnElement="f2"><di:waypoint x="1e308" y="-1e308"/>'
              '<di:waypoint x="-1e308" y="1e308"/><di:waypoint x="1e308" y="1e308"/>'
              '</bpmndi:BPMNEdge></bpmndi:BPMNPlane></bpmndi:BPMNDiagram>')
    name, xml = bpmn(body, ns=CAMUNDA + DI)
    xml = xml.replace(b"</bpmn:definitions>", layout.encode() + b"</bpmn:definitions>")
    deployed = as_["owner"].deploy((name, xml), ("t.schema.json", b'{"type": "object", "properties": '
                                                 b'{"comment": {"type": "string", "title": "Comment"}}}'))
    assert deployed.status_code == 201, deployed.json
    instance = as_["alice"].post("/api/v1/instances", json={"process": "p", "data": {}}).json
    [task] = instance["open_tasks"]
    assert as_["alice"].post(f"/api/v1/tasks/{task['id']}/complete",
                             json={"data": {"comment": attack}}).status_code == 200
    pack = _pack(as_)
    page = _report(pack)
    assert not page.xpath("//script") and not page.xpath("//img") and not page.xpath("//@onerror")
    assert page.text_content().count(attack) >= 2   # the task's name and the answer, shown as words
    [svg] = page.xpath('//figure//*[local-name()="svg"]')
    assert svg.xpath('.//*[@data-element="s"]') and not svg.xpath('.//*[@data-element="t"]')
    assert attack in svg.xpath("string(.)")
    assert all(math.isfinite(float(n)) for n in (svg.get("viewBox") or svg.get("viewbox")).split())   # huge but finite numbers too
    assert pack.read("report.pdf").startswith(b"%PDF")
