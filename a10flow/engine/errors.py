"""How the engine fails: an EngineError naming the BPMN element at fault, and saying why in words."""
import ast
import builtins
import re


class ExpressionError(ValueError):
    """An expression that a10flow cannot run; the message says how to fix it."""


class EngineError(Exception):
    """The process failed at a BPMN element (a script, condition, expression…)."""

    def __init__(self, element_id, element_name, message, task_id=None):
        super().__init__(message)
        self.element_id, self.element_name, self.message = element_id, element_name, message
        self.task_id = task_id   # the engine task that failed, when one did


def element(task):
    spec = task.task_spec
    return getattr(spec, "bpmn_id", None), getattr(spec, "bpmn_name", None)


# What SpiffWorkflow says before the cause: "Error evaluating expression 'x > 1'." and, for a
# script, "NameError:name 'x' is not defined." (the type glued to the message).
# The expression may hold quotes itself: it ends at the last quote before a full stop or the end.
_EXPRESSION = re.compile(r"^Error evaluating expression '(?P<expr>.*)'(?=\.\s|\.?$)\.?\s*(?P<rest>.*)$", re.S)
_TYPED = re.compile(r"^(?P<type>[A-Z]\w*(Error|Exception)):\s*(?P<text>.*)$", re.S)
_NOTES = {"Error occurred in the Pre-Script": "pre-script", "Error occurred in the Post-Script": "post-script"}


def _innermost(exc):
    cause = exc.__cause__ or exc.__context__
    while cause is not None and (cause.__cause__ or cause.__context__) is not None:
        cause = cause.__cause__ or cause.__context__
    return cause


# SpiffArena's script functions (spiffworkflow_backend/scripts): they reach into SpiffArena's own
# users, secrets, files and database, which a10flow does not have. Deploy warns of each use.
SPIFFARENA_FUNCTIONS = frozenset("""
    add_permission add_user_to_group clear_permissions create_unique_kkv_top_level_key
    delete_process_instances_with_criteria extract_from_task_data fact_service generate_markdown_table
    get_all_permissions get_current_user get_data_sizes get_dmn
    get_encoded_file_data get_env get_frontend_url get_group_members get_groups_assigned_to_task
    get_groups_for_user get_last_user_completing_task get_localtime get_process_info
    get_process_initiator_user get_secret get_task_data_value get_task_potential_owners
    get_toplevel_process_info get_url_for_task get_url_for_task_with_bpmn_identifier get_user
    get_user_by_id get_user_properties get_usernames_waiting_for_task get_users_assigned_to_task
    markdown_file_download_link refresh_permissions save_process_instance_metadata set_feature_flags
    set_secret set_user_properties times_executed_by_user update_task_data_with_dictionary
    user_has_started_instance""".split())


def unknown_name(name):
    """Why the code's ``name`` has no value, for an incident."""
    if name in SPIFFARENA_FUNCTIONS:
        return f"{name}() is one of SpiffArena's script functions, which a10flow does not offer"
    return f"the variable {name!r} is not set: no form, start data or earlier step gave it a value"


_TIMER_VALUE = re.compile(r"^timer_value\((?P<inner>.*), '(timeDuration|timeDate|timeCycle)'\)$", re.S)


def as_written(expression):
    """An expression deploy rewrote, as the modeller wrote it (near enough): ``timer_value(x,
    'timeDuration')`` is ``x``, ``variable('name')`` is ``name``."""
    if found := _TIMER_VALUE.match(expression.strip()):
        expression = found["inner"]
    return re.sub(r"\bvariable\('([A-Za-z_]\w*)'\)", r"\1", expression)


def why(exc):
    """One failure of BPMN Python, in a modeller's words (no exception names)."""
    text = " ".join(str(exc).split())
    if isinstance(exc, NameError) or text.startswith("name '"):
        name = getattr(exc, "name", None) or (re.findall(r"name '([^']+)'", text) or ["?"])[0]
        return unknown_name(name)
    if isinstance(exc, SyntaxError):   # RestrictedPython's carry its findings as a tuple
        found = exc.args[0] if exc.args else exc.msg or text
        if isinstance(found, str) and found.startswith("("):   # the tuple, as text, from a worker
            try:
                found = ast.literal_eval(found)
            except (ValueError, SyntaxError):
                pass
        while isinstance(found, tuple) and found:
            found = found[0]
        return "it is not valid Python (" + re.sub(r"^Line \d+: \w+: ", "", str(found)) + ")"
    if isinstance(exc, ArithmeticError):
        return text
    if isinstance(exc, TypeError):
        return f"a value does not fit: {_no_none_type(text)}"
    if isinstance(exc, KeyError):
        return f"the data has no entry {text.strip(chr(34))}"   # the key's repr, quoted again by a worker
    if isinstance(exc, IndexError):
        return f"a list is shorter than the code expects ({text})"
    return _no_none_type(text)


def _no_none_type(text):
    """Python's name for an unset value, in words."""
    return text.replace("'NoneType' object", "an empty value").replace("'NoneType'", "an empty value") \
        .replace("NoneType", "None")


def explained(exc):
    """What failed and why, in a modeller's words: SpiffWorkflow wraps the cause ("Error evaluating
    expression 'x'." hides that x is not set) and glues Python's exception names to it."""
    message = " ".join(str(exc).replace(". .", ".").split()).strip(" .")
    part = next((label for note, label in _NOTES.items() if note in message), "script")
    for note in _NOTES:
        message = message.replace(note, "").strip(" .")
    cause = _innermost(exc)
    if found := _EXPRESSION.match(message):
        rest = found["rest"].strip(" .")
        reason = why(cause) if cause is not None else rest or "it could not be evaluated"
        extra = f" ({rest})" if cause is not None and rest else ""
        return f"the expression {as_written(found['expr'])!r} failed: {reason}{extra}"
    if found := _TYPED.match(message):
        text, hint = found["text"], ""
        if " Did you mean" in text:
            text, hint = text.split(" Did you mean", 1)
            hint = _did_you_mean(hint)
        kind = getattr(builtins, found["type"], None)
        made = kind(text.strip(" .")) if isinstance(kind, type) and issubclass(kind, Exception) else None
        line = getattr(exc, "line_number", None)
        where = f"the {part}" + (f", line {line}," if line else "")
        return f"{where} failed: {why(made) if made is not None else text.strip(' .')}.{hint}".replace("..", ".")
    if isinstance(cause, _PYTHON_FAILURES) and str(cause) in message:   # Spiff put the cause first
        rest = message.replace(str(cause), "", 1).strip(" .")
        return why(cause) + (f" ({rest})" if rest else "")
    if cause is not None and str(cause) and str(cause) not in message:
        return f"{message}: {why(cause)}" if message else why(cause)
    return why(exc) if isinstance(exc, _PYTHON_FAILURES) else message


def _did_you_mean(hint):
    """SpiffWorkflow's hint (" one of '['amount', 'amounts']'?", a Python list in quotes) in words:
    " Did you mean 'amount' or 'amounts'?"."""
    listed = re.search(r"\[.*\]", hint)
    try:
        names = ast.literal_eval(listed.group(0)) if listed else re.findall(r"'([^']*)'", hint)
    except (ValueError, SyntaxError):
        names = re.findall(r"'([^'\[\]]*)'", hint)
    names = [str(n) for n in names if str(n).strip()]
    if not names:
        return ""
    quoted = [repr(n) for n in names]
    return f" Did you mean {quoted[0] if len(quoted) == 1 else ', '.join(quoted[:-1]) + ' or ' + quoted[-1]}?"


_PYTHON_FAILURES = (NameError, SyntaxError, TypeError, ValueError, ArithmeticError, LookupError, AttributeError)


def guard(action, task=None):
    try:
        return action()
    except EngineError:
        raise
    except Exception as exc:  # Spiff's own errors, ours, and whatever a BPMN script raised
        failing = getattr(exc, "task", None) or _working_on(exc) or task
        spec = getattr(exc, "task_spec", None)
        if failing is not None:
            said = _loop_failure(failing, exc) or explained(exc)
            raise EngineError(*element(failing), said, failing.id) from exc
        if spec is not None:
            raise EngineError(getattr(spec, "bpmn_id", None), getattr(spec, "bpmn_name", None),
                              explained(exc)) from exc
        raise EngineError(None, None, explained(exc)) from exc


def _working_on(exc):
    """The engine task whose own code raised ``exc`` (the innermost ``my_task`` of the engine's
    frames), when the failure carries none: a multi-instance task failing as the task before it
    completes would otherwise be blamed on that one."""
    found, trace = None, exc.__traceback__
    while trace is not None:
        candidate = trace.tb_frame.f_locals.get("my_task")
        if candidate is not None and hasattr(candidate, "task_spec") and hasattr(candidate, "data"):
            found = candidate
        trace = trace.tb_next
    return found


def _loop_failure(task, exc):
    """Why a multi-instance task could not start its instances, naming the variable (its
    cardinality's or collection's) that is unset or of the wrong kind; None for other failures."""
    spec = task.task_spec
    if not hasattr(spec, "cardinality") or not hasattr(spec, "data_input"):
        return None
    if not isinstance(exc, (TypeError, ValueError)) and "multiinstance" not in str(exc).lower():
        return None
    if spec.data_input is not None:
        name = spec.data_input.bpmn_id
        value = task.data.get(name)
        if value is None:
            return f"{unknown_name(name)} (it is the collection this multi-instance task runs over)"
        return (f"the collection {name!r} this multi-instance task runs over holds {_kind(value)}, not a list: "
                f"set it to a list (or a map) before the task")
    if spec.cardinality:
        written = as_written(spec.cardinality)
        if written.isidentifier() and task.data.get(written) is None:
            return f"{unknown_name(written)} (it is the loop cardinality: how many times this task runs)"
        return (f"the loop cardinality {written!r} of this multi-instance task gave no whole number: make it a "
                f"number of times, e.g. len(reviewers)")
    return None


def _kind(value):
    return {str: "text", int: "a number", float: "a number", bool: "true or false", dict: "a map"}.get(
        type(value), "a value")
