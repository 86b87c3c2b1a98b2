"""Photos and case documents, checked by content; thumbnails of photos.

A photo must be a JPEG, PNG or WebP that Pillow opens and verifies with a bounded pixel count;
a case document must be a PDF, DOCX, XLSX, one of those images or plain text (UTF-8/GBK
without NUL bytes). HTML, SVG, executables and anything else are refused.
"""

from __future__ import annotations

import io
import logging
import tempfile
from pathlib import Path

from geociv.errors import Problem
from geociv.uploads import sniff as _sniff
from geociv.uploads.limits import (
    MAX_DOCUMENT_BYTES,
    MAX_IMAGE_PIXELS,
    MAX_PHOTO_BYTES,
    MB,
    THUMBNAIL_SIZE,
)

logger = logging.getLogger(__name__)

PHOTO_KINDS = (_sniff.JPEG, _sniff.PNG, _sniff.WEBP)
DOCUMENT_KINDS = (_sniff.PDF, _sniff.DOCX, _sniff.XLSX, *PHOTO_KINDS, _sniff.TEXT)


def _kind_of(content: bytes) -> _sniff.Kind:
    with tempfile.TemporaryDirectory(prefix="geociv-media-") as tmp:
        path = Path(tmp) / "content"
        path.write_bytes(content)
        kind = _sniff.sniff(path)
        if kind in (_sniff.XLSX, _sniff.DOCX):
            from geociv.errors import InputFileError
            from geociv.uploads.tables import check_xlsx

            try:
                check_xlsx(path, filename="附件")
            except InputFileError:
                return _sniff.ZIP
    return kind


def _open_image(content: bytes, field: str) -> Problem | None:
    from PIL import Image

    Image.MAX_IMAGE_PIXELS = MAX_IMAGE_PIXELS
    try:
        with Image.open(io.BytesIO(content)) as image:
            if image.format not in ("JPEG", "PNG", "WEBP"):
                return Problem(f"图片格式 {image.format} 不受支持", field=field)
            if image.width * image.height > MAX_IMAGE_PIXELS:
                return Problem(f"图片像素数超过上限 {MAX_IMAGE_PIXELS:,}", field=field)
            image.verify()
    except Image.DecompressionBombError:
        return Problem(f"图片像素数超过上限 {MAX_IMAGE_PIXELS:,}（疑似解压炸弹）", field=field)
    except Exception as exc:  # Pillow raises many kinds for a broken image
        return Problem(f"图片已损坏，无法打开（{type(exc).__name__}）", field=field)
    return None


def image_problems(content: object, field: str = "photo") -> list[Problem]:
    """What is wrong with ``content`` as a photo (empty list when it is a sound JPEG, PNG or
    WebP within :data:`~geociv.uploads.limits.MAX_PHOTO_BYTES`)."""
    if not isinstance(content, bytes | bytearray | memoryview) or len(content) == 0:
        return [Problem("照片内容为空或不是字节数据", field=field)]
    content = bytes(content)
    if len(content) > MAX_PHOTO_BYTES:
        return [Problem(f"照片大小 {len(content)} 字节，超过上限 {MAX_PHOTO_BYTES}", field=field)]
    kind = _kind_of(content)
    if kind not in PHOTO_KINDS:
        return [Problem(f"照片必须是 JPEG、PNG 或 WebP 图片，内容是 {kind.label}", field=field)]
    problem = _open_image(content, field)
    return [problem] if problem else []


def document_problems(content: object, field: str = "file") -> list[Problem]:
    """What is wrong with ``content`` as a case document (PDF, DOCX, XLSX, JPEG/PNG/WebP or
    plain text within :data:`~geociv.uploads.limits.MAX_DOCUMENT_BYTES`)."""
    if not isinstance(content, bytes | bytearray | memoryview) or len(content) == 0:
        return [Problem("附件内容为空或不是字节数据", field=field)]
    content = bytes(content)
    if len(content) > MAX_DOCUMENT_BYTES:
        return [Problem(f"附件大小 {len(content) / MB:.1f} MB，超过上限 "
                        f"{MAX_DOCUMENT_BYTES // MB} MB", field=field)]  # fmt: skip
    kind = _kind_of(content)
    if kind == _sniff.CSV:
        kind = _sniff.TEXT  # plain text (a CSV is text too)
    if kind not in DOCUMENT_KINDS:
        labels = "、".join(k.label for k in DOCUMENT_KINDS)
        return [Problem(f"附件格式不允许：内容是 {kind.label}；可用 {labels}", field=field)]
    if kind in PHOTO_KINDS:
        problem = _open_image(content, field)
        return [problem] if problem else []
    return []


def thumbnail(content: bytes, size: int = THUMBNAIL_SIZE) -> bytes | None:
    """A JPEG of at most ``size`` pixels on its longer side, or ``None`` when ``content`` is
    not an image Pillow can read."""
    from PIL import Image, ImageOps

    Image.MAX_IMAGE_PIXELS = MAX_IMAGE_PIXELS
    try:
        with Image.open(io.BytesIO(content)) as image:
            image.draft("RGB", (size, size))
            small = ImageOps.exif_transpose(image).convert("RGB")
            small.thumbnail((size, size))
            out = io.BytesIO()
            small.save(out, "JPEG", quality=80)
            return out.getvalue()
    except Exception as exc:  # an unreadable image simply has no thumbnail
        logger.warning("no thumbnail: %s", exc)
        return None
