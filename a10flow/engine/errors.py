"""How the engine fails: an EngineError naming the BPMN element at fault."""


class EngineError(Exception):
    """The process failed at a BPMN element (a script, condition, expression…)."""

    def __init__(self, element_id, element_name, message):
        super().__init__(message)
        self.element_id, self.element_name, self.message = element_id, element_name, message


def element(task):
    spec = task.task_spec
    return getattr(spec, "bpmn_id", None), getattr(spec, "bpmn_name", None)


def guard(action, task=None):
    try:
        return action()
    except EngineError:
        raise
    except Exception as exc:  # Spiff's own errors, ours, and whatever a BPMN script raised
        failing = getattr(exc, "task", None) or task
        spec = getattr(exc, "task_spec", None)
        if failing is not None:
            element_id, name = element(failing)
        elif spec is not None:
            element_id, name = getattr(spec, "bpmn_id", None), getattr(spec, "bpmn_name", None)
        else:
            element_id = name = None
        raise EngineError(element_id, name, str(exc)) from exc
