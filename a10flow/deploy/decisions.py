"""DMN decision tables of an upload, each registered with the engine on its own."""
import copy
import hashlib
import re
from dataclasses import dataclass

from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException

from ..engine.errors import ExpressionError
from .normalize import NS, check_expression
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
        label = decision.get("name") or decision_id
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
        single = _dmn_prefixed(single)
        said = _cell_problems(decision)
        upload.warnings.extend(detail(name, decision_id, message) for message, error in said if not error)
        if any(error for _, error in said):
            upload.problems.extend(detail(name, decision_id, message) for message, error in said if error)
            continue
        for extra in single.iterfind("{*}decision/{*}decisionTable/*"):
            if etree.QName(extra).localname not in ("input", "output", "rule"):
                extra.getparent().remove(extra)   # documentation (annotation, description): the engine stops at it
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
            said = str(exc).split(" (element", 1)[0].strip(" .") if isinstance(exc, ValidationException) else ""
            upload.problems.append(detail(name, decision_id, (
                f"decision {label!r}: its decision table cannot be read" + (f" ({said})" if said else "") +
                ": check it opens in the DMN editor and is a DMN 1.1 to 1.3 decision table of inputs, outputs "
                "and rules")))
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


def _dmn_prefixed(root):
    """``root`` with its DMN namespace under the prefix ``dmn``, which is where the engine looks for
    it: a file that writes DMN under another prefix (``semantic:``, Trisotech's) while its default
    namespace is something else would otherwise have no decision for the engine."""
    if root.nsmap.get("dmn") == etree.QName(root).namespace and None not in root.nsmap:
        return root
    others = {k: v for k, v in root.nsmap.items() if k not in (None, "dmn") and v != etree.QName(root).namespace}
    fresh = etree.Element(root.tag, attrib=dict(root.attrib), nsmap={"dmn": etree.QName(root).namespace, **others})
    fresh.extend(root)   # moves the children; their tags carry their namespaces
    return fresh


_ANY = ("", "-")   # an empty input cell, or DMN's "-": any value matches
_FAILS = " (until then the decision fails when an instance reaches it)"


def _cell_problems(decision):
    """(message, is_error) for what in ``decision``'s table a10flow cannot evaluate, each naming the
    input, rule and cell at fault and what to write instead. Input expressions, input cells and
    output cells are Python (as the engine reads them): an input cell is a value or a test (> 1000,
    in ("a", "b"), ? < 5). An output cell that does not compile is refused, as the engine refuses
    it; the rest fail only when an instance reaches them, and are warnings."""
    table, name = decision.find("{*}decisionTable"), decision.get("name") or decision.get("id")
    if table is None:
        return []
    found = []
    inputs = table.findall("{*}input")
    labels = []
    for number, column in enumerate(inputs, 1):
        text = (column.findtext("{*}inputExpression/{*}text") or "").strip()
        label = column.get("label") or text or f"column {number}"
        labels.append(label)
        if text and (why := _not_python(text)):   # without one the engine reads the variable the label names
            found.append((f"decision {name!r}: the expression {text[:80]!r} of input {label!r} is not Python "
                          f"({why}): write the variable it reads, e.g. {_identifier(text)}{_FAILS}", False))
    outputs = table.findall("{*}output")
    for row, rule in enumerate(table.findall("{*}rule"), 1):
        cells = rule.findall("{*}inputEntry")
        results = rule.findall("{*}outputEntry")
        if len(cells) != len(inputs) or len(results) != len(outputs):
            found.append((f"decision {name!r}: rule {row} has {len(cells)} input and {len(results)} output "
                          f"cells, but the table has {len(inputs)} inputs and {len(outputs)} outputs: open it in the "
                          f"DMN editor and fill the row", True))
            continue
        for label, cell in zip(labels, cells):
            text = (cell.findtext("{*}text") or "").strip()
            if text not in _ANY and (why := _not_a_test(text)):
                found.append((f"decision {name!r}, rule {row}, input {label!r}: the cell {text[:80]!r} is not a "
                              f"Python test ({why}): write a value (\"high\", 1000), a comparison (> 1000, "
                              f"in (\"a\", \"b\"), ? < 5) or - for any value{_FAILS}", False))
        for output, cell in zip(outputs, results):
            text = (cell.findtext("{*}text") or "").strip()
            if text and (why := _not_python(text)):
                label = output.get("label") or output.get("name") or "the output"
                found.append((f"decision {name!r}, rule {row}, output {label!r}: the cell {text[:80]!r} is not a "
                              f"Python value ({why}): write e.g. \"high\", 1000 or True", True))
    return found[:20]


def _not_python(text):
    try:
        check_expression(text)
    except ExpressionError as exc:
        return str(exc).removeprefix("not a valid Python expression: ")
    return None


def _not_a_test(text):
    """Why the input cell ``text`` is no test the engine can make, or None: as the engine reads it,
    a cell is an expression to compare with (==), the rest of one (> 5), or a test of ? (the input)."""
    if "?" in text:
        return _not_python(text.replace("?", "value"))
    if _not_python(text) is None or _not_python(f"value {text}") is None:
        return None
    return _not_python(text)


def _identifier(text):
    """A variable name a modeller may have meant by ``text`` (DMN lets names hold spaces)."""
    return re.sub(r"\W+", "_", text.strip()).strip("_").lower() or "amount"
