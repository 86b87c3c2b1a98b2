"""Defect 10: photos must be images and case documents documents, by content; photos keep a
thumbnail that the record pages show (the original on click)."""

from __future__ import annotations

import io
import json
import re

from tests.conftest import login
from tests.sample_files import jpeg_bytes
from tests.upload_cases import CASE, SIGN

#: Longest side of a thumbnail (geociv.uploads.limits.THUMBNAIL_SIZE).
THUMBNAIL_SIZE = 320


def test_photos_are_images_by_content_and_get_thumbnails(client, app) -> None:
    login(client, "officer1")
    sign_id = client.post("/api/signs", json=SIGN).get_json()["id"]
    url = f"/api/signs/{sign_id}/patrols"
    for content, name in ((b"<svg onload=alert(1)>", "x.jpg"), (b"GIF89a....", "x.gif"),
                          (b"\xff\xd8\xff\xe0<html>", "x.jpg")):  # fmt: skip
        form = {"condition": "intact", "photo": (io.BytesIO(content), name)}
        refused = client.post(url, data=form, content_type="multipart/form-data")
        assert refused.status_code == 400, refused.get_data(as_text=True)
        assert refused.get_json()["problems"][0]["field"] == "photo"
    big = jpeg_bytes(1600, 1200)
    done = client.post(url, data={"condition": "intact", "photo": (io.BytesIO(big), "现场.jpg")},
                       content_type="multipart/form-data")  # fmt: skip
    assert done.status_code == 201, done.get_data(as_text=True)
    page = client.get(f"/signs/{sign_id}").get_data(as_text=True)
    thumb_url = re.search(r'<img src="([^"]+size=thumb)"', page).group(1)
    thumb = client.get(thumb_url.replace("&amp;", "&"))
    assert thumb.mimetype == "image/jpeg"
    from PIL import Image

    with Image.open(io.BytesIO(thumb.data)) as image:
        assert max(image.size) <= THUMBNAIL_SIZE and len(thumb.data) < len(big)
    original = client.get(thumb_url.split("?")[0])
    assert original.data == big


def test_boundary_photos_keep_a_thumbnail(demo_store) -> None:
    from PIL import Image

    from geociv.boundaries.markers import Markers, check_photo
    from tests.boundary_setup import LINE, derive_zhumadian, register_samples

    _name, problems = check_photo("a.jpg", b"<html>")
    assert problems and problems[0].field == "content"
    derive_zhumadian(demo_store)
    register_samples(demo_store)
    photo = Markers(demo_store).add_photo(f"{LINE}-001Q", "界桩.jpg", jpeg_bytes(1200, 900),
                                          actor="inspector1")  # fmt: skip
    small = demo_store.boundary_photo_thumbnail(photo.id)
    with Image.open(io.BytesIO(small)) as image:
        assert image.format == "JPEG" and max(image.size) == THUMBNAIL_SIZE


def test_case_documents_are_documents_by_content(client) -> None:
    login(client, "officer1")
    case_id = client.post("/api/cases", json=CASE).get_json()["case_id"]
    url = f"/api/cases/{case_id}/documents"
    for content, name in ((b"<!DOCTYPE html><script>x</script>", "评估.pdf"),
                          (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "a.svg"),
                          (b"MZ\x90\x00" + bytes(60), "a.pdf")):  # fmt: skip
        refused = client.post(url, data={"doc_type": "expert", "file": (io.BytesIO(content), name)},
                              content_type="multipart/form-data")  # fmt: skip
        assert refused.status_code == 400, refused.get_data(as_text=True)
        assert refused.get_json()["problems"][0]["field"] == "file"
    for content, name in ((b"%PDF-1.7\n%%EOF\n", "专家论证.pdf"), ("说明".encode(), "说明.txt")):
        ok = client.post(url, data={"doc_type": "expert", "file": (io.BytesIO(content), name)},
                         content_type="multipart/form-data")  # fmt: skip
        assert ok.status_code == 201, ok.get_data(as_text=True)
    assert json.loads(json.dumps(ok.get_json()))["filename"] == "说明.txt"
