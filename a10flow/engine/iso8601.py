"""ISO 8601 as BPMN writes it: the durations, date-times and cycles of timers, and the retry
cycles of service tasks. Deploy reads what modellers wrote with these; running reads what an
expression returned and what a retry waits, so both agree on one reading."""
import re

from ..limits import MAX_JOB_RETRIES
from .errors import ExpressionError

_DURATION = re.compile(
    r"^P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?$"
)
DATETIME = re.compile(
    r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(?P<tz>Z|[+-]\d{2}:?\d{2})?$"
)
_DURATION_WITHOUT_T = re.compile(r"^P((?:\d+[YMWD])*)((?:\d+H)?(?:\d+M)?(?:\d+S)?)$")


def lenient_duration(text):
    """``P1H`` (a common slip for ``PT1H``) → ``PT1H``; other text unchanged."""
    match = _DURATION_WITHOUT_T.match(text)
    if match and re.search("[HS]", match.group(2)):
        return f"P{match.group(1)}T{match.group(2)}"
    return text


def is_iso_duration(text):
    return bool(_DURATION.match(lenient_duration(text)))


def check_datetime(text):
    """Return an error message for an ISO date-time without offset, else None."""
    match = DATETIME.match(text)
    if match and not match.group("tz"):
        return (f"date-time {text!r} has no time zone: add Z (UTC) or an offset "
                f"such as +01:00, else it would depend on the server's zone")
    return None


def zoned(text, warn=None):
    """A naive date-time is read as UTC when ``warn`` is given (deploy), else refused."""
    if problem := check_datetime(text):
        if warn is None:
            raise ExpressionError(problem)
        warn(f"date-time {text!r} has no time zone and is read as UTC: add Z or an offset to say so")
        return text + "Z"
    return text


def cycle(text, warn=None):
    """A cycle (``R/P1D``, ``R3/2026-01-01T09:00:00Z/P1W``) with its parts normalised (see zoned)."""
    parts = text.split("/")
    if len(parts) not in (2, 3) or not re.match(r"^R\d*$", parts[0]):
        raise ExpressionError(f"{text!r} is not an ISO 8601 cycle such as R/P1D or R3/2026-01-01T09:00:00Z/P1W")
    for index, part in enumerate(parts[1:], 1):
        if is_iso_duration(part):
            parts[index] = lenient_duration(part)
        elif DATETIME.match(part):
            parts[index] = zoned(part, warn)
        else:
            raise ExpressionError(f"{part!r} in cycle {text!r} is neither an ISO duration nor a date-time")
    return "/".join(parts)


def iso_timer(text, kind):
    """A timer value an expression returned as text: the ISO 8601 value it is, normalised.
    Never evaluated. :raises ExpressionError: it is not one."""
    text = (text or "").strip()
    if kind == "timeDuration" and is_iso_duration(text):
        return lenient_duration(text)
    if kind == "timeDate" and DATETIME.match(text):
        return zoned(text)
    if kind == "timeCycle" and text.startswith("R") and "/" in text:
        return cycle(text)
    raise ExpressionError(f"the timer expression returned {text[:80]!r}, not an ISO 8601 {kind}")


def retry_delays(text):
    """A service task's retry cycle as the ISO durations to wait before each new attempt.

    ``R3/PT5M`` is three more attempts five minutes apart (Camunda's failedJobRetryTimeCycle);
    ``PT1M,PT10M,PT1H`` is one more attempt after each, a back-off.
    :raises ExpressionError: neither.
    """
    text = (text or "").strip()
    repeat = re.match(r"^R(\d+)/(.+)$", text)
    delays = [repeat.group(2)] * int(repeat.group(1)) if repeat else [d.strip() for d in text.split(",")]
    if not delays or not all(is_iso_duration(d) for d in delays):
        raise ExpressionError(f"retry cycle {text[:80]!r}: write R3/PT5M (three more attempts, five minutes "
                              f"apart) or PT1M,PT10M,PT1H (one more attempt after each)")
    if len(delays) > MAX_JOB_RETRIES:
        raise ExpressionError(f"retry cycle {text[:80]!r}: at most {MAX_JOB_RETRIES} more attempts")
    return [lenient_duration(d) for d in delays]
