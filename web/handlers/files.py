"""Stored bytes sent back as a file (documents, photos, reports)."""

from __future__ import annotations

import io
import mimetypes

from flask import Response, send_file

#: Types a browser may show in place (photos); anything else is always a download, so an
#: uploaded page or SVG never runs as part of geociv.
INLINE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})


def download(content: bytes, filename: str, *, inline: bool = False) -> Response:
    """Stored bytes as a file response named ``filename`` (UTF-8 names kept); shown in place
    only when ``inline`` and the file is a photo."""
    mimetype = mimetypes.guess_type(filename)[0] or "application/octet-stream"
    response = send_file(
        io.BytesIO(content),
        mimetype=mimetype,
        as_attachment=not (inline and mimetype in INLINE_TYPES),
        download_name=filename,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
