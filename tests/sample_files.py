"""Small real files for tests that upload photos and documents (made in memory)."""

from __future__ import annotations

import io
import zipfile


def jpeg_bytes(
    width: int = 64, height: int = 48, color: tuple[int, int, int] = (40, 120, 200)
) -> bytes:
    """A real JPEG of ``width`` × ``height`` pixels."""
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (width, height), color).save(out, "JPEG")
    return out.getvalue()


def png_bytes(width: int = 32, height: int = 32) -> bytes:
    """A real PNG."""
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 60, 60)).save(out, "PNG")
    return out.getvalue()


def docx_bytes() -> bytes:
    """A minimal Word document (a ZIP with the DOCX content types and main part)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
            'content-types"><Override PartName="/word/document.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>',
        )
        z.writestr(
            "word/document.xml",
            '<?xml version="1.0"?><w:document xmlns:w="http://schemas.openxmlformats.org/'
            'wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>保护方案</w:t></w:r></w:p>'
            "</w:body></w:document>",
        )
    return out.getvalue()
