"""JSON Schema forms: check what a person submits against the task's form."""
import jsonschema

from . import canonical


def field_errors(schema, data):
    """One ``{"field", "message"}`` per problem in ``data``; empty when it is valid."""
    validator_cls = jsonschema.validators.validator_for(schema)
    validator = validator_cls(schema, format_checker=validator_cls.FORMAT_CHECKER)
    errors = []
    for error in sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path)):
        path = [str(p) for p in error.absolute_path]
        if error.validator == "required":
            # jsonschema reports a missing field at its parent; name the field itself.
            missing = error.message.split("'")[1] if "'" in error.message else None
            path.append(missing)
            errors.append({"field": "/".join(p for p in path if p), "message": "this field is required"})
        else:
            errors.append({"field": "/".join(path) or None, "message": error.message})
    return errors


def fingerprint(schema):
    """The SHA-256 of a form's canonical JSON: which version of the form was used."""
    return canonical.sha256(schema)


def for_task(task):
    """The JSON Schema of a human task's form, or None (a task without a form takes any data)."""
    return (task.instance.version.forms or {}).get(task.form) if task.form else None
