"""DMN decision tables of an upload, each registered with the engine on its own."""
import copy
import hashlib
import re
from dataclasses import dataclass

from lxml import etree

from .normalize import NS
from .upload import detail, key_problem, parse_xml


@dataclass
class Decision:
    """A DMN decision table of an upload; processes deployed later may call it."""
    key: str
    name: str
    filename: str
    xml: str
    sha256: str


# What a DMN decision may be instead of a table (DMN 1.3 boxed expressions).
_NOT_TABLES = {"literalExpression": "a literal expression", "context": "a boxed context",
               "invocation": "an invocation", "relation": "a relation", "list": "a list",
               "functionDefinition": "a function definition"}
def add_dmn(upload, parser, name, root):
    """Register each decision of a DMN file on its own; return them as Decisions.

    SpiffWorkflow reads one decision per file, so a decision requirement
    diagram is split into one document per decision.
    """
    text, digest = upload.raw[name].decode("utf-8"), hashlib.sha256(upload.raw[name]).hexdigest()
    decisions, skipped = [], []
    for decision in root.findall("{*}decision"):
        decision_id = decision.get("id")
        if problem := key_problem(decision_id, "decision"):
            upload.problems.append(detail(name, decision_id, problem))
            continue
        single = copy.deepcopy(root)
        for other in single.findall("{*}decision"):
            if other.get("id") != decision_id:
                single.remove(other)
        if decision.find("{*}decisionTable") is None:
            kinds = sorted({etree.QName(c).localname for c in decision if etree.QName(c).localname in _NOT_TABLES})
            skipped.append(detail(name, decision_id, (
                f"decision {decision.get('name') or decision_id!r} is "
                f"{' and '.join(_NOT_TABLES[k] for k in kinds) or 'not a decision table'}, which a10flow does "
                f"not evaluate, so it is left out: a10flow runs DMN decision tables (or write the logic as a "
                f"script task)")))
            continue
        for tag in ("decisionTable", "input", "output", "rule", "inputEntry", "outputEntry"):
            # DMN lets these go without an id; the engine looks them up by one.
            for number, node in enumerate(single.iterfind(f"{{*}}decision//{{*}}{tag}")):
                node.set("id", node.get("id") or f"{decision_id}_{tag}{number}")
        for entry in single.iterfind(".//{*}inputEntry/{*}text"):
            # Spiff glues input and test together ("change_typein (...)"): name the input.
            if re.match(r"^\s*(not\s+in|in|is)\b", entry.text or ""):
                entry.text = "? " + entry.text.strip()
        try:
            parser.add_dmn_xml(single, name)
            parser.dmn_parsers[decision_id].parse()
        except Exception as exc:  # the DMN parser raises raw errors on tables it cannot read
            upload.problems.append(detail(name, decision_id, f"the decision table cannot be read ({exc}): "
                                           f"check it opens in the DMN editor and uses DMN 1.3 decision tables"))
            continue
        if decision.find("{*}informationRequirement/{*}requiredDecision") is not None:
            upload.warnings.append(detail(name, decision_id, "this decision requires other decisions; "
                "a10flow evaluates each table on its own, so evaluate the required ones first "
                "(one business rule task each) and keep their results in the instance data"))
        decisions.append(Decision(decision_id, decision.get("name") or decision_id, name, text, digest))
    if not decisions and not upload.problems:
        upload.problems.extend(skipped or [detail(name, None, "the DMN file has no decision")])
    else:
        upload.warnings.extend(skipped)
    return decisions


def add_deployed(upload, parser, root, name, resolve):
    """Decision tables a business rule task calls that are not in this upload."""
    for ref in root.iterfind(".//bpmn:businessRuleTask/bpmn:extensionElements/spiffworkflow:calledDecisionId", NS):
        decision = (ref.text or "").strip()
        if decision and decision not in parser.dmn_parsers:
            data = (resolve("decision", decision) or (None,))[0]
            if data is not None:
                dmn_name = f"{decision}.dmn"
                upload.raw[dmn_name] = data
                upload.dmn[dmn_name] = parse_xml(data, dmn_name)
                add_dmn(upload, parser, dmn_name, upload.dmn[dmn_name])
