"""The service's clock. Tests set it instead of sleeping; nothing else reads the time."""
from datetime import datetime, timezone

_fixed = None


def now():
    """The current time, aware UTC."""
    return _fixed or datetime.now(timezone.utc)


def set(moment):  # noqa: A001 - reads as clock.set(...)
    """Fix the clock at ``moment`` (None lets it run again)."""
    global _fixed
    _fixed = moment
