"""Photos people upload: decoded by Pillow, re-encoded, never served as sent.

:func:`process` is a plain (blocking) function for an executor: it opens only JPEG, PNG
and WebP, refuses what does not decode or holds too many pixels, turns the picture the
way the phone's EXIF says, drops every piece of metadata (EXIF with its GPS position,
ICC, XMP, comments: a new image is encoded from the pixels alone), and makes a copy at
most 1080 px wide and a thumbnail, both WebP, named by the hash of the copy.
"""

from __future__ import annotations

import hashlib
import io
import os
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

FORMATS = ("JPEG", "PNG", "WEBP")
MAX_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 40_000_000  # e.g. 8000 x 5000; more is a decompression bomb, not a photo
MAX_WIDTH = 1080
THUMB_BOX = (320, 480)
WEBP_MAX_SIDE = 16383  # the WebP format's limit
QUALITY = 82


class NotAnImage(Exception):
    """The bytes are not a JPEG, PNG or WebP picture that decodes."""


class TooManyPixels(Exception):
    """The picture is larger than MAX_PIXELS."""


@dataclass(frozen=True)
class Processed:
    name: str  # content hash (hex)
    full: bytes
    thumb: bytes
    width: int
    height: int


def decode(data: bytes) -> Image.Image:
    """The picture's first frame, fully decoded, upright; raises NotAnImage/TooManyPixels."""
    if not data:
        raise NotAnImage("the file is empty")
    try:
        with Image.open(io.BytesIO(data), formats=FORMATS) as probe:
            width, height = probe.size
            if width * height > MAX_PIXELS:
                raise TooManyPixels(f"{width}x{height} pixels is more than {MAX_PIXELS:,}")
            probe.verify()
        image = Image.open(io.BytesIO(data), formats=FORMATS)
        image.load()
        upright = ImageOps.exif_transpose(image)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise TooManyPixels("the picture holds too many pixels") from None
    except UnidentifiedImageError:
        raise NotAnImage("the file is not a JPEG, PNG or WebP picture") from None
    except (OSError, SyntaxError, ValueError, EOFError) as exc:  # truncated, corrupt
        raise NotAnImage(f"the picture does not decode ({exc.__class__.__name__})") from None
    return upright


def _pixels_only(image: Image.Image) -> Image.Image:
    """A fresh RGB(A) image from the pixels: no info, EXIF, ICC or XMP comes along."""
    has_alpha = image.mode in ("RGBA", "LA", "PA") or (
        image.mode == "P" and "transparency" in image.info
    )
    converted = image.convert("RGBA" if has_alpha else "RGB")
    clean = Image.new(converted.mode, converted.size)
    clean.paste(converted)
    return clean


def _fit(image: Image.Image, box: tuple[int, int]) -> Image.Image:
    copy = image.copy()
    copy.thumbnail(box, Image.Resampling.LANCZOS)
    return copy


def _webp(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "WEBP", quality=QUALITY, method=4)
    return out.getvalue()


def process(data: bytes) -> Processed:
    """Decode, clean and re-encode one uploaded picture (blocking: run it in an executor)."""
    image = _pixels_only(decode(data))
    full = _fit(image, (MAX_WIDTH, WEBP_MAX_SIDE))
    thumb = _fit(image, THUMB_BOX)
    full_bytes = _webp(full)
    return Processed(
        name=hashlib.sha256(full_bytes).hexdigest()[:32],
        full=full_bytes,
        thumb=_webp(thumb),
        width=full.width,
        height=full.height,
    )


def store(media_dir: Path, processed: Processed) -> tuple[str, str]:
    """Write the two files (once: the name is the content's hash); returns their names."""
    media_dir.mkdir(parents=True, exist_ok=True)
    names = (f"{processed.name}.webp", f"{processed.name}-thumb.webp")
    for name, body in zip(names, (processed.full, processed.thumb), strict=True):
        path = media_dir / name
        if path.exists():
            continue
        tmp = media_dir / f".{name}.{os.getpid()}.tmp"
        tmp.write_bytes(body)
        os.replace(tmp, path)
    return names
