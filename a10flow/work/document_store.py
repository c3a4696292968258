"""The document store: bytes kept under their SHA-256, written once, never changed or deleted here.

Its face is two calls, ``put(bytes) -> sha256`` and ``open(sha256)``, so that an S3-compatible object
store can stand in for the folder when several machines serve (boto3: ``put_object`` under the same
key with ``IfNoneMatch="*"``, ``get_object(...)["Body"]``), chosen in ``store()`` by a setting.
"""
import hashlib
import os
import re

from flask import current_app

from ..config import write_once

_SHA256 = re.compile(r"[0-9a-f]{64}")


class Folder:
    """Documents in a folder, as ``<first two hex digits>/<sha256>``, readable by the service only."""

    def __init__(self, root):
        self.root = root

    def _path(self, sha256):
        if not _SHA256.fullmatch(sha256):   # a key is a hash, never a path someone chose
            raise ValueError("not a SHA-256")
        return os.path.join(self.root, sha256[:2], sha256)

    def put(self, content):
        """Keep ``content``; returns its SHA-256 (written once: config.write_once)."""
        sha256 = hashlib.sha256(content).hexdigest()
        path = self._path(sha256)
        if os.path.exists(path):
            return sha256
        write_once(path, content)   # the same bytes, kept meanwhile by another request, stay as they are
        return sha256

    def open(self, sha256):
        """The kept bytes, as a file open for reading."""
        return open(self._path(sha256), "rb")


def store():
    """The service's document store (A10FLOW_DOCUMENTS_DIR)."""
    return Folder(current_app.config["A10FLOW_DOCUMENTS_DIR"])
