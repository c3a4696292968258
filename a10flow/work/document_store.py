"""The document store: bytes kept under their SHA-256, written once and never changed.

Its face is small, so that an S3-compatible object store can stand in for the folder when several
machines serve (boto3: ``put_object`` under the same key with ``IfNoneMatch="*"``,
``get_object(...)["Body"]``, ``delete_object``, ``list_objects_v2`` with ``LastModified``), chosen in
``store()`` by a setting: ``put(bytes) -> sha256``, ``open(sha256)``, ``erase(sha256)`` and ``kept()``.
Bytes are deleted in two cases only: a person's personal document erased on request
(a10flow.evidence.personal.erase_subject), and bytes no document names any more (a10flow.work.document_sweep).
"""
import hashlib
import os
import re
from datetime import datetime, timezone

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
            try:   # kept anew: the sweep measures a file's age from its last put, so it spares these bytes
                os.utime(path)
            except FileNotFoundError:   # swept meanwhile: write it again
                write_once(path, content)
            return sha256
        write_once(path, content)   # the same bytes, kept meanwhile by another request, stay as they are
        return sha256

    def open(self, sha256):
        """The kept bytes, as a file open for reading. :raises FileNotFoundError: none are kept."""
        return open(self._path(sha256), "rb")

    def erase(self, sha256, put_before=None):
        """Delete the bytes kept under ``sha256`` (nothing when there are none); with ``put_before``,
        only if they were last put before it: bytes given again meanwhile are about to be named."""
        path = self._path(sha256)
        try:
            if put_before is None or datetime.fromtimestamp(os.stat(path).st_mtime, timezone.utc) < put_before:
                os.remove(path)
        except FileNotFoundError:
            pass

    def kept(self):
        """``(sha256, when it was last put)`` of every file kept, in no order."""
        if not os.path.isdir(self.root):
            return
        for folder in os.scandir(self.root):
            if not folder.is_dir():
                continue
            for entry in os.scandir(folder.path):
                if _SHA256.fullmatch(entry.name) and entry.name[:2] == folder.name:   # not a temporary file
                    yield entry.name, datetime.fromtimestamp(entry.stat().st_mtime, timezone.utc)


def store():
    """The service's document store (A10FLOW_DOCUMENTS_DIR)."""
    return Folder(current_app.config["A10FLOW_DOCUMENTS_DIR"])
