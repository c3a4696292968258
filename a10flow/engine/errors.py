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


def guard(action, task=None):
    try:
        return action()
    except EngineError:
        raise
    except Exception as exc:  # Spiff's own errors, ours, and whatever a BPMN script raised
        failing = getattr(exc, "task", None) or task
        spec = getattr(exc, "task_spec", None)
        if failing is not None:
            raise EngineError(*element(failing), str(exc), failing.id) from exc
        if spec is not None:
            raise EngineError(getattr(spec, "bpmn_id", None), getattr(spec, "bpmn_name", None), str(exc)) from exc
        raise EngineError(None, None, str(exc)) from exc
