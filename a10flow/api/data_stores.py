"""/api/v1/data-stores: what processes keep in their data stores, for owners and auditors."""
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from ..people import access
from ..processes import datastores

blp = Blueprint("data-stores", __name__, description="The JSON and KKV stores processes read and write")


class StoreSchema(Schema):
    id = fields.String(metadata={"description": "the BPMN dataStore id, the variable scripts use"})
    kind = fields.String(metadata={"description": "json (one document) or kkv (top key, secondary key, value)"})
    revision = fields.Integer(metadata={"description": "0 until first written; one more at each write"})
    written_by = fields.Integer(allow_none=True, metadata={"description": "the instance that wrote this revision"})
    written_element = fields.String(allow_none=True)
    written_at = fields.DateTime(allow_none=True)
    evidence = fields.Function(lambda s: s.written_by and f"/api/v1/instances/{s.written_by}/evidence",
                               metadata={"description": "the writer's evidence: its data_store.written record"})


class StoreWithContentSchema(StoreSchema):
    content = fields.Raw(allow_none=True, metadata={"description": "the document (json) or "
                                                    "{top: {secondary: value}} (kkv); null until written"})


class StoreListSchema(Schema):
    items = fields.List(fields.Nested(StoreSchema))


@blp.route("")
@blp.response(200, StoreListSchema)
@access.require(access.READERS)
def list_stores():
    """Every data store deployed processes use, without its content."""
    return {"items": datastores.listing()}


@blp.route("/<store_id>")
@blp.response(200, StoreWithContentSchema)
@access.require(access.READERS)
def get_store(store_id):
    """One store, with its current content."""
    return datastores.get(store_id)
