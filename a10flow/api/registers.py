"""/api/v1/registers/{register}: what the processes have recorded, each entry tied to its instance."""
from flask import request
from flask_smorest import Blueprint
from marshmallow import EXCLUDE, Schema, fields

from ..processes import registers

blp = Blueprint("registers", __name__, description="Supplier, responsibility and change-notice registers")


class EntrySchema(Schema):
    key = fields.String()
    data = fields.Dict()
    instance_id = fields.Integer(metadata={"description": "the instance that recorded it"})
    evidence = fields.Function(lambda e: f"/api/v1/instances/{e.instance_id}/evidence")
    recorded_at = fields.DateTime()
    superseded_at = fields.DateTime(allow_none=True)


class EntryListSchema(Schema):
    items = fields.List(fields.Nested(EntrySchema))


class RegisterQuerySchema(Schema):
    class Meta:
        unknown = EXCLUDE   # other parameters filter on data fields

    key = fields.String()
    history = fields.Boolean(load_default=False, metadata={"description": "include superseded entries"})


@blp.route("/<register>")
@blp.arguments(RegisterQuerySchema, location="query")
@blp.response(200, EntryListSchema)
def list_entries(args, register):
    """Current entries (all with history=true); any other query parameter filters on a data field,
    e.g. ?tier=high."""
    where = {k: v for k, v in request.args.items() if k not in ("key", "history")}
    return {"items": registers.entries(register, args.get("key"), args["history"], where)}
