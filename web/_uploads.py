"""Uploaded files in the web layer: every ``request.files`` entry goes through here into
:mod:`geociv.uploads` (a checked private copy, identified by content)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from werkzeug.datastructures import FileStorage

from geociv.errors import Problem, ValidationError
from geociv.uploads import Kind, Upload, private_copy, receive


def _require(storage: FileStorage | None, field: str) -> FileStorage:
    if storage is None or not storage.filename:
        raise ValidationError(Problem("请选择要上传的文件", field=field), title="缺少文件")
    return storage


@contextmanager
def received(
    storage: FileStorage | None, kinds: Iterable[Kind], *, field: str = "file"
) -> Iterator[Upload]:
    """A checked private copy of an uploaded file, removed afterwards.

    Raises
    ------
    ValidationError
        No file (field ``field``).
    InputFileError
        A kind not in ``kinds`` by content, a name that says another kind, or a file that fails
        its kind's checks.
    """
    storage = _require(storage, field)
    with private_copy(storage.stream, kinds=kinds, filename=storage.filename,
                      field_name=field) as upload:  # fmt: skip
        yield upload


def received_for_later(
    storage: FileStorage | None, kinds: Iterable[Kind], *, field: str = "file"
) -> Upload:
    """Like :func:`received` for background work: the caller calls ``cleanup()``."""
    storage = _require(storage, field)
    return receive(storage.stream, kinds=kinds, filename=storage.filename, field_name=field)


def photo_bytes(storage: FileStorage | None, *, limit: int) -> tuple[str, bytes] | None:
    """``(filename, content)`` of an optional uploaded photo, read with a byte bound (the
    content is checked by the domain service through :func:`geociv.uploads.image_problems`)."""
    if storage is None or not storage.filename:
        return None
    content = storage.stream.read(limit + 1)
    return storage.filename, content
