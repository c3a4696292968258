"""SpiffWorkflow reads the time itself (``datetime.now`` in its timer module).

Point it at the clock the service lends the engine (a10flow.engine.host), so that a test that
moves the service's clock moves the engine's timers too, and every process agrees on "now".
"""
from datetime import datetime, timezone

from SpiffWorkflow.bpmn.specs.event_definitions import timer as _spiff_timer

from . import host


class _ServiceClockDatetime(datetime):
    @classmethod
    def now(cls, tz=None):
        moment = host.now()
        return moment.astimezone(tz) if tz is not None else moment.astimezone(timezone.utc).replace(tzinfo=None)


_spiff_timer.datetime = _ServiceClockDatetime
