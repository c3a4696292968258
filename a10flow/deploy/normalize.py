"""Rewrite what real modellers write into what SpiffWorkflow runs.

bpmn.io and Camunda Modeler write bare ISO 8601 timers (``P3D``), JUEL
expressions (``${approved}``) and ``camunda:decisionRef``; SpiffWorkflow
evaluates every timer and condition as Python and reads decision references
from its own extension. This module edits the parsed XML tree in place before
the engine parser sees it, and reports every expression it cannot make sense
of, so that a bad file is refused at deploy rather than in the middle of an
instance. The stored BPMN stays exactly as uploaded.
"""
import ast
import io
import keyword
import re
import tokenize

from lxml import etree

from ..engine.errors import ExpressionError
from ..engine.iso8601 import DATETIME, cycle, is_iso_duration, lenient_duration, retry_delays, zoned
from ..engine.sandbox import restricted
from ..limits import MAX_EXPRESSION, MAX_SCRIPT

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"
SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"
ZEEBE_NS = "http://camunda.org/schema/zeebe/1.0"   # Camunda 8
NS = {"bpmn": BPMN_NS, "camunda": CAMUNDA_NS, "spiffworkflow": SPIFF_NS}

# Text that can only be meant as ISO 8601 (P…, R…/…), never as a Python expression.
_ISO_LIKE = re.compile(r"^(P|R\d*/)[0-9A-Za-z:./+\-]*$")
JUEL = re.compile(r"^\s*[$#]\{(.*)\}\s*$", re.S)
# Camunda's documented due-date idiom: ${dateTime().plusDays(2).toDate()}
_JODA = re.compile(r"^dateTime\(\)((?:\.plus(?:Years|Months|Weeks|Days|Hours|Minutes)\(\d+\))*)\.toDate\(\)$")
_JODA_PART = re.compile(r"\.plus(Years|Months|Weeks|Days|Hours|Minutes)\((\d+)\)")

_JUEL_WORDS = {
    "true": "True", "false": "False", "null": "None",
    "and": "and", "or": "or", "not": "not",
    "eq": "==", "ne": "!=", "lt": "<", "gt": ">", "le": "<=", "ge": ">=",
    "div": "/", "mod": "%", "empty": "not",
}
_JUEL_OPS = {"&&": " and ", "||": " or "}

HINT = ("write the expression in Python over the instance data, "
        "e.g. approved == True or amount > 1000")


def _retry_cycles(root, report):
    """Camunda's ``failedJobRetryTimeCycle`` or a ``retryCycle`` property on a service task,
    checked and kept as the Spiff property the engine reads."""
    for task in root.iterfind(".//bpmn:serviceTask", NS):
        camunda = task.find("bpmn:extensionElements/camunda:failedJobRetryTimeCycle", NS)
        spiff = task.find("bpmn:extensionElements/spiffworkflow:properties/"
                          "spiffworkflow:property[@name='retryCycle']", NS)
        found = task.find("bpmn:extensionElements/camunda:properties/camunda:property[@name='retryCycle']", NS)
        text = spiff.get("value") if spiff is not None else (
            found.get("value") if found is not None else (camunda.text if camunda is not None else None))
        if text is None:
            continue
        try:
            retry_delays(text)
        except ExpressionError as exc:
            report(task, str(exc))
            continue
        if spiff is None:
            ext = task.find("bpmn:extensionElements", NS)
            props = ext.find("spiffworkflow:properties", NS)
            if props is None:
                props = etree.SubElement(ext, f"{{{SPIFF_NS}}}properties")
            etree.SubElement(props, f"{{{SPIFF_NS}}}property", name="retryCycle", value=text.strip())


# Quartz cron: six or seven fields of digits, *, ?, /, -, commas, L, W, # and day or month names.
_QUARTZ = re.compile(r"^([0-9*?/,\-LW#A-Z]+\s+){5,6}[0-9*?/,\-LW#A-Z]+$", re.I)


def timer_to_python(text, kind, warn=None):
    """Turn a timer definition into a Python expression Spiff can evaluate.

    ``kind`` is timeDuration, timeDate or timeCycle. Raises ExpressionError.
    """
    text = (text or "").strip()
    if not text:
        raise ExpressionError(f"the timer has an empty {kind}: give an ISO 8601 value such as P3D")
    if kind == "timeDuration" and is_iso_duration(text):
        return repr(lenient_duration(text))
    if kind == "timeDate" and DATETIME.match(text):
        return repr(zoned(text, warn))
    if kind == "timeCycle" and text.startswith("R") and "/" in text:
        return repr(cycle(text, warn))
    if _QUARTZ.match(text):
        raise ExpressionError(f"{text!r} is a Quartz cron expression (Camunda's), which a10flow does not read: "
                              f"write the cycle as ISO 8601, e.g. R/2026-01-05T09:00:00Z/P1W")
    if _ISO_LIKE.match(text):
        raise ExpressionError(f"{text!r} is not a valid ISO 8601 {kind}: write e.g. P3D, PT2H, "
                              f"2026-12-01T09:00:00Z or R/P1D")
    expression = python_expression(text)
    try:
        literal = ast.literal_eval(expression)
    except (ValueError, SyntaxError):
        literal = None
    if isinstance(literal, str):
        return timer_to_python(literal, kind, warn)
    if (one := _ONE_VARIABLE.match(expression)) and not keyword.iskeyword(one[1]):
        expression = one[1]   # ${duration}: unset, it is named as unset, not read as None
    # Spiff wants an ISO string; timer_value() also accepts timedelta/datetime.
    return f"timer_value({expression}, {kind!r})"


_ONE_VARIABLE = re.compile(r"^variable\('([A-Za-z]\w*)'\)$")


def juel_to_python(text):
    """Translate the part of JUEL that has a plain Python meaning.

    Identifiers become ``variable("name")`` so that keywords such as
    ``continue`` and unset variables (null in JUEL) both work. Method calls
    have no Python meaning here and raise ExpressionError with a hint.
    """
    text = text.strip()
    for op, word in _JUEL_OPS.items():
        text = text.replace(op, word)
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(text).readline))
    except (tokenize.TokenError, SyntaxError) as exc:
        raise ExpressionError(f"cannot read the JUEL expression ${{{text}}}: {HINT}") from exc
    out, previous = [], None
    for index, tok in enumerate(tokens):
        kind, value = tok.type, tok.string
        nxt = tokens[index + 1].string if index + 1 < len(tokens) else ""
        if kind == tokenize.ERRORTOKEN and value == "!":
            out.append(" not ")
        elif kind == tokenize.NAME and value in _JUEL_WORDS and previous != ".":
            out.append(f" {_JUEL_WORDS[value]} ")
        elif kind == tokenize.NAME and previous == ".":
            if nxt == "(":
                raise ExpressionError(
                    f"JUEL method call .{value}() in ${{{text}}} cannot run in a10flow: {HINT}")
            out[-1] = f"[{value!r}]"  # JUEL a.b on a map is a["b"]
        elif kind == tokenize.NAME:
            if nxt == "(":
                raise ExpressionError(
                    f"JUEL function {value}() in ${{{text}}} cannot run in a10flow: {HINT}")
            out.append(f"variable({value!r})")
        elif kind in (tokenize.NEWLINE, tokenize.ENDMARKER, tokenize.NL):
            continue
        elif kind == tokenize.ERRORTOKEN and value.isspace():
            continue
        else:
            out.append(value)
        previous = value
    python = "".join(out).strip()
    try:
        check_expression(python)
    except ExpressionError as exc:
        raise ExpressionError(f"cannot translate the JUEL expression ${{{text}}}: {HINT}") from exc
    return python


def python_expression(text):
    """A condition or expression as Python: ``${…}`` JUEL translated, Python checked as is."""
    juel = JUEL.match(text)
    expression = juel_to_python(juel.group(1)) if juel else text.strip()
    check_expression(expression)
    return expression


def joda_due_to_iso(text):
    """``dateTime().plusDays(2).toDate()`` → ``P2D`` (Camunda's due-date idiom), else None."""
    match = _JODA.match(text.strip())
    if not match:
        return None
    units = {"Years": "Y", "Months": "M", "Weeks": "W", "Days": "D", "Hours": "H", "Minutes": "M"}
    date, time = "", ""
    for unit, amount in _JODA_PART.findall(match.group(1)):
        if unit in ("Hours", "Minutes"):
            time += f"{amount}{units[unit]}"
        else:
            date += f"{amount}{units[unit]}"
    return "P" + (date or ("" if time else "0D")) + (f"T{time}" if time else "")




def check_expression(text):
    if len(text) > MAX_EXPRESSION:
        raise ExpressionError(f"the expression is {len(text)} characters long; at most {MAX_EXPRESSION}: "
                              "move the logic into a script task")
    _compiles(text, "eval", lambda exc: f"not a valid Python expression: {exc.msg}")


def check_script(text):
    text = text or ""
    if len(text) > MAX_SCRIPT:
        raise ExpressionError(f"the script is {len(text)} characters long; at most {MAX_SCRIPT}")
    _compiles(text, "exec", lambda exc: f"Python syntax error on line {exc.lineno}: {exc.msg}")


def _compiles(text, mode, syntax):
    try:
        compile(text, "<bpmn>", mode)
        why = restricted.problem(text, mode)
    except SyntaxError as exc:
        raise ExpressionError(syntax(exc)) from None
    except (RecursionError, MemoryError):   # e.g. tens of thousands of terms in one expression
        raise ExpressionError("the code is nested too deeply to compile: split it up") from None
    if why:
        raise ExpressionError(f"not allowed in BPMN Python: {why}")


# BPMN's references between elements: attributes, and elements whose text is one. BPMN types
# several as QNames, so a file may write them with a prefix (messageRef="tns:Message_1").
REFERENCE_ATTRIBUTES = ("messageRef", "signalRef", "errorRef", "escalationRef", "sourceRef", "targetRef",
                        "attachedToRef", "default", "calledElement", "processRef", "dataStoreRef",
                        "dataObjectRef", "itemSubjectRef", "structureRef", "operationRef", "inMessageRef",
                        "outMessageRef", "activityRef", "bpmnElement", "correlationPropertyRef", "categoryValueRef")
REFERENCE_ELEMENTS = ("incoming", "outgoing", "flowNodeRef", "sourceRef", "targetRef", "dataInputRefs",
                      "dataOutputRefs", "eventDefinitionRef", "messageFlowRef", "correlationPropertyRef",
                      "supportedInterfaceRef", "interfaceRef", "participantRef", "resourceRef")
_BPMN_SPACES = (f"{{{BPMN_NS}}}", "{http://www.omg.org/spec/BPMN/20100524/DI}")


def resolve_references(root):
    """Write every prefixed reference (``tns:Message_1``) as the bare id it names, in place, so
    that every check and the engine read references one way. A prefix is resolved against the
    namespaces declared where it is written: one bound to the file's targetNamespace, or any whose
    local part is an id of the file. Other values are left alone (they name something outside)."""
    ids = {node.get("id") for node in root.iter("*") if node.get("id")}
    target = root.get("targetNamespace")

    def bare(node, value):
        prefix, colon, local = (value or "").strip().partition(":")
        if not colon or not prefix or prefix not in node.nsmap or " " in value.strip():
            return None
        return local if (node.nsmap[prefix] == target or local in ids) else None

    for node in root.iter("*"):
        if not node.tag.startswith(_BPMN_SPACES):
            continue
        for attr in REFERENCE_ATTRIBUTES:
            if (local := bare(node, node.get(attr))) is not None:
                node.set(attr, local)
        if etree.QName(node).localname in REFERENCE_ELEMENTS and not len(node) \
                and (local := bare(node, node.text)) is not None:
            node.text = local


def owner_id(node):
    """The id of the nearest ancestor with an id: the element a modeller clicks."""
    while node is not None:
        if node.get("id"):
            return node.get("id")
        node = node.getparent()
    return None


OPERATOR_TOPIC = "a10flow:"   # camunda:topic="a10flow:notify" names an a10flow service operator


def camunda_operators(root):
    """Rewrite service tasks that Camunda Modeler's a10flow element templates write
    (``camunda:type="external"``, ``camunda:topic="a10flow:<operator>"``, one
    ``camunda:inputParameter`` per parameter) as the Spiff operator form the engine runs."""
    for task in root.iterfind(".//bpmn:serviceTask", NS):
        topic = task.get(f"{{{CAMUNDA_NS}}}topic") or ""
        if task.get(f"{{{CAMUNDA_NS}}}type") != "external" or not topic.startswith(OPERATOR_TOPIC):
            continue
        ext = task.find("bpmn:extensionElements", NS)
        if ext is None:
            ext = etree.Element(f"{{{BPMN_NS}}}extensionElements")
            task.insert(1 if task.find("bpmn:documentation", NS) is not None else 0, ext)
        operator = etree.SubElement(ext, f"{{{SPIFF_NS}}}serviceTaskOperator", id=topic[len(OPERATOR_TOPIC):])
        parameters = etree.SubElement(operator, f"{{{SPIFF_NS}}}parameters")
        for param in ext.iterfind("camunda:inputOutput/camunda:inputParameter", NS):
            etree.SubElement(parameters, f"{{{SPIFF_NS}}}parameter", id=param.get("name"), type="str",
                             value=(param.text or "").strip())
        for attr in ("type", "topic"):
            del task.attrib[f"{{{CAMUNDA_NS}}}{attr}"]


def normalize_bpmn(root):
    """Rewrite timers, conditions and decision references in place.

    Returns two lists of ``(element_id, message)``: what cannot run, and what
    runs but was read in a way the modeller should confirm.
    """
    problems, warnings = [], []

    def report(node, message):
        problems.append((owner_id(node), message))

    for kind in ("timeDuration", "timeDate", "timeCycle"):
        for node in root.iterfind(f".//bpmn:{kind}", NS):
            try:
                node.text = timer_to_python(
                    node.text, kind, lambda msg, n=node: warnings.append((owner_id(n), msg)))
            except ExpressionError as exc:
                report(node, str(exc))
    for node in root.iterfind(".//bpmn:timerEventDefinition", NS):
        if not len(node):
            report(node, "the timer has no definition: set a duration, date or cycle")
    for node in root.iterfind(".//bpmn:conditionalEventDefinition", NS):
        if not (node.findtext("bpmn:condition", "", NS) or "").strip():
            report(node, "the conditional event has no condition: write the condition it waits for in the "
                         "modeller's properties panel, in Python over the instance data (e.g. ready == True)")

    for node in root.iterfind(".//bpmn:conditionExpression", NS):
        text = (node.text or "").strip()
        if not text:
            continue  # an empty condition: Spiff reports the flow itself
        try:
            node.text = python_expression(text)
        except ExpressionError as exc:
            report(node.getparent(), f"condition {text!r}: {exc}")

    foreign = set()   # script tasks in another language: said so, not told of Python syntax errors
    for task in root.iterfind(".//bpmn:scriptTask", NS):
        fmt = (task.get("scriptFormat") or "").strip()
        if fmt and "python" not in fmt.lower():
            foreign.add(task)
            report(task, f"scriptFormat {fmt[:40]!r} is not supported: a10flow runs Python scripts; rewrite the "
                         f"script in Python and set the format to python (or leave it empty)")
    scripts = [s for s in root.iterfind(".//bpmn:scriptTask/bpmn:script", NS) if s.getparent() not in foreign]
    scripts += list(root.iterfind(".//spiffworkflow:preScript", NS))
    scripts += list(root.iterfind(".//spiffworkflow:postScript", NS))
    for node in scripts:
        try:
            check_script(node.text)
        except ExpressionError as exc:
            report(node, str(exc))

    for task in root.iterfind(".//bpmn:businessRuleTask", NS):
        ref = task.get(f"{{{CAMUNDA_NS}}}decisionRef")
        if ref and task.find("bpmn:extensionElements/spiffworkflow:calledDecisionId", NS) is None:
            ext = task.find("bpmn:extensionElements", NS)
            if ext is None:
                ext = etree.SubElement(task, f"{{{BPMN_NS}}}extensionElements")
                task.insert(0, ext)
            etree.SubElement(ext, f"{{{SPIFF_NS}}}calledDecisionId").text = ref
    _retry_cycles(root, report)
    return problems, warnings
