"""The variables an element's own code names: what it reads or sets.

An owner who retries a failed element with data, or resolves it by hand with what it would
have given, may supply these and nothing else (see a10flow.step.incident): the element's
script, pre- and post-script, conditions, timer expression, service parameters, a decision
table's inputs and outputs, and the data stores it writes (each in the variable of its id).
"""
import ast


def _sources(spec):
    """The Python texts of an element, and the names it sets without code (decision outputs)."""
    texts = [getattr(spec, attr, None) for attr in ("script", "prescript", "postscript", "cardinality",
                                                     "condition")]
    # A gateway's conditions are Spiff conditions holding the expression as their argument.
    texts += [(getattr(c, "args", None) or [None])[0] for c, _ in getattr(spec, "cond_task_specs", None) or []]
    texts.append(getattr(getattr(spec, "event_definition", None), "expression", None))
    texts += [p.get("value") for p in (getattr(spec, "operation_params", None) or {}).values() if isinstance(p, dict)]
    outputs = [getattr(getattr(spec, attr, None), "bpmn_id", None) for attr in ("data_input", "data_output")]
    outputs += [store.bpmn_id for store in getattr(spec, "data_output_associations", [])]
    table = getattr(getattr(spec, "dmnEngine", None), "decision_table", None)
    if table is not None:
        texts += [item.expression for item in table.inputs]
        outputs += [item.name for item in table.outputs]
    return [t for t in texts if isinstance(t, str) and t.strip()], [n for n in outputs if n]


def of(spec):
    """The variable names the element ``spec`` reads or sets, as a set."""
    texts, found = _sources(spec)
    found = set(found)
    for text in texts:
        try:
            tree = ast.parse(text.strip())
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Name):
                found.add(node.id)
            elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "variable"
                  and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
                found.add(node.args[0].value)   # variable("name", default): a name that may be unset
    return found
