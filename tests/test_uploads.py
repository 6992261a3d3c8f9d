"""Photo uploads: Pillow decodes and re-encodes, the bad ones are refused, /media serves."""

from __future__ import annotations

import io
import struct
import time
import zlib

import aiohttp
import pytest
from PIL import Image

from livecast.console import images, uploads
from livecast.store import keys
from tests.support import ADMIN, bearer


def png(size=(64, 48), colour=(200, 30, 60)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, "PNG")
    return out.getvalue()


def jpeg_with_gps(size=(40, 20)) -> bytes:
    """A JPEG whose EXIF says: GPS position, camera, and "turn me 90° to be upright"."""
    image = Image.new("RGB", size, (10, 120, 200))
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate 90° CW to display
    exif[0x010F] = "SecretCam"
    exif[0x8825] = {1: "N", 2: (37.0, 33.0, 59.0), 3: "E", 4: (126.0, 58.0, 40.0)}
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif, quality=90)
    return out.getvalue()


def form(data: bytes, name="photo.png", field="file", content_type="image/png"):
    body = aiohttp.FormData()
    body.add_field(field, io.BytesIO(data), filename=name, content_type=content_type)
    return body


# rules
def test_process_strips_metadata_and_turns_the_photo_upright():
    processed = images.process(jpeg_with_gps())
    out = Image.open(io.BytesIO(processed.full))
    assert out.format == "WEBP"
    assert out.size == (20, 40)  # turned as the EXIF said
    assert not out.info.get("exif") and not out.info.get("icc_profile") and not out.getexif()
    assert b"SecretCam" not in processed.full and b"SecretCam" not in processed.thumb


def test_process_makes_a_phone_copy_and_a_thumbnail():
    processed = images.process(png((3000, 1500)))
    full = Image.open(io.BytesIO(processed.full))
    thumb = Image.open(io.BytesIO(processed.thumb))
    assert full.size == (1080, 540) and (processed.width, processed.height) == (1080, 540)
    assert thumb.size == (320, 160)
    assert len(processed.name) == 32
    # a tall detail-page picture fits the WebP limit
    tall = images.process(png((900, 20000), (255, 255, 255)))
    assert tall.height <= images.WEBP_MAX_SIDE


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"<!doctype html><script>alert(1)</script>",
        b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
        b"GIF89a\x01\x00\x01\x00\x00\x00\x00;",
        png()[:60],  # truncated
        b"\x89PNG\r\n\x1a\n" + b"\x00" * 100,
    ],
)
def test_what_does_not_decode_is_not_an_image(data):
    with pytest.raises(images.NotAnImage):
        images.process(data)


def bomb_png(width=20000, height=20000) -> bytes:
    """A small PNG that claims width x height pixels (its data is a few zero rows)."""

    def chunk(kind: bytes, payload: bytes) -> bytes:
        crc = zlib.crc32(kind + payload)
        return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    rows = zlib.compress(b"\x00" * (width + 1) * 4)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")
    )


def test_decompression_bombs_are_refused():
    with pytest.raises(images.TooManyPixels):
        images.process(bomb_png())
    with pytest.raises(images.TooManyPixels):
        images.process(bomb_png(7000, 7000))  # under Pillow's own limit, over ours


# the API
async def test_a_seller_uploads_a_photo_and_media_serves_it(client, settings):
    res = await client.post("/api/sellers", json={"id": "coop", "name": "가게"}, headers=ADMIN)
    key = (await res.json())["key"]
    res = await client.post("/api/uploads", data=form(png()), headers=bearer(key))
    assert res.status == 201, await res.text()
    body = await res.json()
    assert body["url"].startswith("/media/") and body["url"].endswith(".webp")
    assert body["thumb"] == body["url"].replace(".webp", "-thumb.webp")
    assert (settings.data_dir / "media" / body["url"].split("/")[-1]).is_file()
    res = await client.get(body["url"])
    assert res.status == 200 and res.content_type == "image/webp"
    assert res.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert Image.open(io.BytesIO(await res.read())).size == (64, 48)
    # the same photo again: the same address (content-addressed)
    res = await client.post("/api/uploads", data=form(png()), headers=ADMIN)
    assert (await res.json())["url"] == body["url"]


async def test_a_host_uploads_for_its_show(client, show):
    key = bearer(show["host_key"])
    res = await client.post("/api/uploads", data=form(png()), headers=key)
    assert res.status == 401
    res = await client.post(
        f"/api/uploads?show={show['show']['id']}", data=form(png()), headers=key
    )
    assert res.status == 201
    res = await client.post(
        f"/api/uploads?show={show['show']['id']}",
        data=form(png()),
        headers=bearer(show["moderator_key"]),
    )
    assert res.status == 401


async def test_uploads_need_a_key(client):
    res = await client.post("/api/uploads", data=form(png()))
    assert res.status == 401 and (await res.json())["error"] == "unauthorized"
    res = await client.post("/api/uploads", data=form(png()), headers=bearer("x" * 30))
    assert res.status == 401 and (await res.json())["error"] == "bad_key"


@pytest.mark.parametrize(
    ("data", "name", "ctype"),
    [
        (b"<html><script>alert(1)</script></html>", "photo.png", "image/png"),
        (
            b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)">'
            b"<script>alert(2)</script></svg>",
            "x.svg",
            "image/svg+xml",
        ),
        (png()[:80], "cut.png", "image/png"),
        (b"", "empty.jpg", "image/jpeg"),
    ],
)
async def test_files_that_do_not_decode_get_415(client, settings, data, name, ctype):
    res = await client.post(
        "/api/uploads", data=form(data, name, content_type=ctype), headers=ADMIN
    )
    assert res.status == 415 and (await res.json())["error"] == "unsupported_image"
    media = settings.data_dir / "media"
    assert not media.exists() or not any(media.iterdir())


async def test_too_big_is_413(client, settings):
    big = b"\xff\xd8\xff" + b"\x00" * (images.MAX_BYTES + 10)
    res = await client.post("/api/uploads", data=form(big, "big.jpg"), headers=ADMIN)
    assert res.status == 413 and (await res.json())["error"] == "too_large"
    res = await client.post("/api/uploads", data=form(bomb_png()), headers=ADMIN)
    assert res.status == 413
    media = settings.data_dir / "media"
    assert not media.exists() or not any(media.iterdir())


async def test_the_daily_count_is_413(client, r):
    res = await client.post("/api/sellers", json={"id": "coop", "name": "가게"}, headers=ADMIN)
    key = (await res.json())["key"]
    day = time.strftime("%Y%m%d", time.gmtime())
    await r.set(keys.upload_count("seller:coop", day), uploads.DAILY_LIMIT)
    res = await client.post("/api/uploads", data=form(png()), headers=bearer(key))
    assert res.status == 413 and (await res.json())["error"] == "too_many_uploads"
    res = await client.post("/api/uploads", data=form(png()), headers=ADMIN)
    assert res.status == 201  # another key's count


async def test_malformed_forms_are_400(client):
    res = await client.post("/api/uploads", data=b"not a form", headers=ADMIN)
    assert res.status == 400
    res = await client.post("/api/uploads", data=form(png(), field="photo"), headers=ADMIN)
    assert res.status == 400 and "file" in (await res.json())["message"]
    res = await client.post(
        "/api/uploads",
        data=b"--b\r\nContent-Disposition: form-data; name=file\r\n\r\nabc",
        headers={**ADMIN, "Content-Type": "multipart/form-data; boundary=b"},
    )
    assert res.status in (400, 415)


async def test_media_serves_only_its_own_files(client, settings):
    media = settings.data_dir / "media"
    media.mkdir(parents=True)
    (settings.data_dir / "secret").write_text("admin hash")
    for path in (
        "/media/../secret",
        "/media/..%2fsecret",
        "/media/%2e%2e%2fsecret",
        "/media/" + "a" * 32 + ".webp",
        "/media/secret",
        "/media/",
    ):
        res = await client.get(path)
        assert res.status == 404, path
