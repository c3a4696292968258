"""Canonical JSON, the one form everything a10flow hashes takes.

- UTF-8, keys sorted, no whitespace (``separators=(",", ":")``), non-ASCII kept as is;
- no floats: a float in recorded data is written as the decimal string Python's
  ``repr`` gives it (``12.5`` → ``"12.5"``), so any verifier reproduces the bytes;
- times as ISO 8601 strings in UTC with offset.
"""
import hashlib
from datetime import datetime

# Defined in the verifier, which must stand alone in every evidence pack: one definition.
from .verifier import canonical  # noqa: F401


def plain(value):
    """Recorded data in its hashable form: JSON types only, floats as strings."""
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    if value is None or isinstance(value, (str, int, bool)):
        return value
    return str(value)


def sha256(value):
    """The SHA-256 (hex) of a value's canonical JSON: which exact version of it was meant."""
    return hashlib.sha256(canonical(plain(value))).hexdigest()
