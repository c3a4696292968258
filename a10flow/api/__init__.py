"""The REST API under /api/v1: one blueprint per resource, one JSON error shape."""
from flask import jsonify, request
from flask.json.provider import DefaultJSONProvider
from flask_smorest import Api as _Api
from marshmallow import Schema, fields, validate
from werkzeug.exceptions import BadRequest, HTTPException

from ..errors import Invalid, ServiceError
from ..limits import MAX_JSON_DEPTH, MAX_ROW_ID
from ..people import access
from ..people.auth import load_user
from ..people.security_events import record as record_security_event
from ..work import forms


def Id(**kwargs):   # noqa: N802 - reads like the marshmallow field it is
    """A row id in a request: a positive number the database can hold."""
    return fields.Integer(validate=validate.Range(min=1, max=MAX_ROW_ID), **kwargs)


class ErrorDetailSchema(Schema):
    field = fields.String(metadata={"description": "the request field at fault"})
    element = fields.String(allow_none=True, metadata={"description": "the BPMN element at fault (its id)"})
    name = fields.String(allow_none=True, metadata={"description": "the element's name, where it has one"})
    file = fields.String(allow_none=True, metadata={"description": "the uploaded file at fault"})
    message = fields.String()


class ErrorBodySchema(Schema):
    code = fields.String()
    message = fields.String()
    details = fields.List(fields.Nested(ErrorDetailSchema))


class ErrorSchema(Schema):
    """Every error the API returns."""
    error = fields.Nested(ErrorBodySchema)


class Api(_Api):
    """flask-smorest's Api, with every error as {"error": {"code", "message", "details"}}."""

    ERROR_SCHEMA = ErrorSchema

    def handle_http_exception(self, error):
        details = []
        messages = (getattr(error, "data", None) or {}).get("messages") or {}
        for problems in messages.values():   # keyed by location: json, query, files
            details.extend(_flatten(problems))
        code = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
                405: "method_not_allowed", 409: "conflict", 413: "too_large",
                422: "invalid"}.get(error.code, "error")
        message = "the request has invalid fields" if details else error.description
        return error_response(error.code, code, message, details)


def _flatten(fields, prefix=""):
    if isinstance(fields, dict):
        out = []
        for key, value in fields.items():
            out.extend(_flatten(value, f"{prefix}{key}" if not prefix else f"{prefix}/{key}"))
        return out
    return [{"field": prefix or None, "message": m} for m in (fields if isinstance(fields, list) else [fields])]


def error_response(status, code, message, details=()):
    response = jsonify({"error": {"code": code, "message": message, "details": list(details)}})
    response.status_code = status
    return response




class JSONProvider(DefaultJSONProvider):
    """Flask's JSON, refusing bodies nested too deep (a 400, never a RecursionError and a 500), and
    keeping keys in their order (a form's fields come out as it lists them)."""

    sort_keys = False

    def loads(self, s, **kwargs):
        try:
            value = super().loads(s, parse_constant=_not_a_number, **kwargs)
        except RecursionError:
            value = None
            depth = MAX_JSON_DEPTH + 1
        else:
            depth = forms.nesting(value, MAX_JSON_DEPTH)
        if depth > MAX_JSON_DEPTH:
            raise BadRequest(f"the JSON body is nested more than {MAX_JSON_DEPTH} levels deep")
        return value


def _not_a_number(name):
    # Python reads NaN and Infinity, which JSON has not and PostgreSQL refuses to store.
    raise BadRequest(f"the JSON body holds {name}, which is not JSON: send a number or null")


def _nul_at(value, path):
    """The path of the first text in ``value`` holding a NUL character, or None."""
    if isinstance(value, str):
        return path if "\x00" in value else None
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, item in items:
        found = _nul_at(str(key), path) or _nul_at(item, f"{path}/{key}" if path else str(key))
        if found is not None:
            return found
    return None


# The endpoints that take a file: their body is left unread until its size is checked (api.documents.sent_file).
UPLOADS = {"documents.upload", "documents.upload_for_start", "links.upload"}


def refuse_nul_characters():
    """No request text may hold NUL: PostgreSQL cannot store it, and no one types it. (An upload's body is
    left unread here: its route refuses one over the field's limit on its Content-Length first.)"""
    form = request.form.to_dict(flat=False) if request.endpoint not in UPLOADS else None
    for source in (request.args.to_dict(flat=False), form,
                   request.get_json(silent=True) if request.is_json else None, request.view_args or {}):
        where = _nul_at(source, "") if source else None
        if where is not None:
            named = where.split("/")[0]   # a form's field, a query's parameter, a JSON body's member
            raise Invalid(f"{named + ': ' if named else ''}text may not contain NUL characters", [{"field": where or None,
                                                                   "message": "contains a NUL character"}])


def _signed_in():
    """Before every API route but the public ones (access.PUBLIC): ``g.user`` from its token."""
    if request.path.startswith("/api/") and not access.public(request.endpoint):
        load_user()


def init_app(app):
    """The API on ``app``; returns its error answers (JSON) by exception class, for create_app to
    give every request under /api/."""
    app.json = JSONProvider(app)
    app.before_request(refuse_nul_characters)
    app.before_request(_signed_in)
    api = Api(app)
    from . import (
        data_stores,
        definitions,
        documents,
        engagements,
        evidence,
        incidents,
        instances,
        links,
        messages,
        notifications,
        registers,
        security_events,
        tasks,
        timers,
        tokens,
        users,
    )
    for module in (definitions, documents, instances, incidents, tasks, timers, messages, notifications, registers,
                   data_stores, evidence, engagements, links, tokens, security_events, users):
        api.register_blueprint(module.blp, url_prefix=module.blp.url_prefix or f"/api/v1/{module.blp.name}")

    def service_error(exc):
        if exc.status in (401, 403):
            record_security_event(exc.status, exc.message)
        return error_response(exc.status, exc.code, exc.message, exc.details)

    def unexpected(exc):
        if isinstance(exc, HTTPException):
            return api.handle_http_exception(exc)
        app.logger.exception("unhandled error")
        return error_response(500, "internal", "the service failed; the error was logged")
    return {ServiceError: service_error, HTTPException: api.handle_http_exception, Exception: unexpected}
