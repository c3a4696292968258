"""What crosses between the service and a BPMN Python worker (a10flow.engine.sandbox.isolated): JSON,
with tags for what BPMN Python commonly hands back besides plain data (dates, durations, decimals,
sets). The service never unpickles what a worker sends."""
import json
from datetime import date, datetime, time, timedelta
from decimal import Decimal

# A dict of the data that happens to hold the tag's key travels tagged itself, so no data is ever
# read as a tag.
_TAG = "$a10flow"
_TYPES = {"datetime": datetime.fromisoformat, "date": date.fromisoformat, "time": time.fromisoformat,
          "timedelta": lambda v: timedelta(seconds=v), "decimal": Decimal, "set": set, "dict": dict}


def _packed(value):
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    if isinstance(value, dict):
        items = {k if isinstance(k, str) else json.dumps(k): _packed(v) for k, v in value.items()}
        return {_TAG: "dict", "v": [[k, v] for k, v in items.items()]} if _TAG in items else items
    if isinstance(value, (list, tuple)):
        return [_packed(v) for v in value]
    if isinstance(value, (datetime, date, time)):
        return {_TAG: type(value).__name__, "v": value.isoformat()}
    if isinstance(value, timedelta):
        return {_TAG: "timedelta", "v": value.total_seconds()}
    if isinstance(value, Decimal):
        return {_TAG: "decimal", "v": str(value)}
    if isinstance(value, (set, frozenset)):
        return {_TAG: "set", "v": [_packed(v) for v in value]}
    raise TypeError(f"a {type(value).__name__} cannot leave BPMN Python")


def _unpacked(obj):
    if len(obj) == 2 and obj.get(_TAG) in _TYPES and "v" in obj:
        return _TYPES[obj[_TAG]](obj["v"])
    return obj


def encode(value):
    return json.dumps(_packed(value)).encode()


def decode(data):
    """:raises ValueError: not JSON, or a tag that does not read."""
    try:
        return json.loads(data, object_hook=_unpacked)
    except (TypeError, KeyError, OverflowError) as exc:
        raise ValueError(str(exc)) from None
