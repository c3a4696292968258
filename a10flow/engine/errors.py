"""How the engine fails: an EngineError naming the BPMN element at fault."""


class EngineError(Exception):
    """The process failed at a BPMN element (a script, condition, expression…)."""

    def __init__(self, element_id, element_name, message, task_id=None):
        super().__init__(message)
        self.element_id, self.element_name, self.message = element_id, element_name, message
        self.task_id = task_id   # the engine task that failed, when one did


def element(task):
    spec = task.task_spec
    return getattr(spec, "bpmn_id", None), getattr(spec, "bpmn_name", None)


def explained(exc):
    """The exception's message with its cause, which Spiff often wraps out of sight ("Error evaluating
    expression 'x'." hides that x is not set)."""
    message = " ".join(str(exc).replace(". .", ".").split())
    cause = exc.__cause__ or exc.__context__
    while cause is not None and (cause.__cause__ or cause.__context__) is not None:
        cause = cause.__cause__ or cause.__context__
    if isinstance(cause, NameError) and getattr(cause, "name", None):
        why = f"the variable {cause.name!r} is not set"
    elif cause is not None and str(cause) and str(cause) not in message:
        why = f"{type(cause).__name__}: {cause}"
    else:
        return message
    return f"{message} ({why})" if message else why


def guard(action, task=None):
    try:
        return action()
    except EngineError:
        raise
    except Exception as exc:  # Spiff's own errors, ours, and whatever a BPMN script raised
        failing = getattr(exc, "task", None) or task
        spec = getattr(exc, "task_spec", None)
        if failing is not None:
            raise EngineError(*element(failing), explained(exc), failing.id) from exc
        if spec is not None:
            raise EngineError(getattr(spec, "bpmn_id", None), getattr(spec, "bpmn_name", None),
                              explained(exc)) from exc
        raise EngineError(None, None, explained(exc)) from exc
