"""The one image check every writer abides by: which of a document's caption images are usable.

A build judges each image once, before any edition renders (:func:`check_images`, called by
:mod:`pipeline.jobs`), warns once per unusable image, and hands the usable ones' bytes to every
writer through ``RenderOptions.images``, so the PDF, EPUB and DOCX show the same pictures, read
from the same bytes. A writer called on its own has each image judged by the same rule
(:func:`read_image`, through ``pipeline.writers.load_image``).

An image is usable when it lies inside the document's folder, is a regular file (a FIFO or a
device named as an image would block the build or read forever), is PNG, JPEG or GIF (the formats
all three editions embed), is no larger than :data:`MAX_IMAGE_BYTES` and :data:`MAX_IMAGE_PIXELS`,
and Pillow verifies it and decodes every pixel (a truncated JPEG passes ``verify()`` and fails only
when decoded). Pillow is imported only when there is an image to judge.
"""

from __future__ import annotations

import io
import os
import stat
import warnings
from pathlib import Path

from pipeline.model import Caption, Document

#: Pillow format -> media type: what the PDF (reportlab), the EPUB (core media types) and the
#: DOCX (python-docx) all embed
IMAGE_FORMATS = {"PNG": "image/png", "JPEG": "image/jpeg", "GIF": "image/gif"}
#: Pillow's own decompression-bomb threshold (``Image.MAX_IMAGE_PIXELS``): larger is refused
MAX_IMAGE_PIXELS = 89_478_485
#: bigger files are refused before they are read
MAX_IMAGE_BYTES = 64 * 1024 * 1024


def caption_images(document: Document) -> list[str]:
    """The image paths the document's captions name, each once, in reading order."""
    return list(dict.fromkeys(b.image for b in document.blocks if isinstance(b, Caption) and b.image))


def media_type(data: bytes) -> str:
    """The media type of an image the check passed, by the magic bytes Pillow knows it by."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return IMAGE_FORMATS["PNG"]
    return IMAGE_FORMATS["GIF" if data[:6] in (b"GIF87a", b"GIF89a") else "JPEG"]


def check_images(document: Document, base_dir: Path | None) -> tuple[dict[str, bytes], list[str]]:
    """(usable images' bytes by the path the document gives, one warning per unusable image)."""
    usable: dict[str, bytes] = {}
    problems: list[str] = []
    for image in caption_images(document):
        data, why = read_image(base_dir, image)
        if data is None:
            problems.append(f"image {image!r} {why}; left out of every edition")
        else:
            usable[image] = data
    return usable, problems


def read_image(base_dir: Path | None, image: str) -> tuple[bytes | None, str]:
    """(the image's bytes, "") when it is usable, else (None, why not)."""
    base = Path(base_dir or Path.cwd()).resolve()
    path = (base / image).resolve()
    if not path.is_relative_to(base):
        return None, f"lies outside {base}"
    try:
        data = _read_regular(path)
    except OSError as exc:
        return None, f"cannot be read ({exc.strerror or exc})"
    except ValueError as exc:
        return None, str(exc)
    why = _undecodable(data)
    return (None, why) if why else (data, "")


def _read_regular(path: Path) -> bytes:
    """The bytes of a regular file of at most MAX_IMAGE_BYTES; ValueError for anything else.

    Opened without blocking and checked again once open, so a FIFO swapped in after the first
    look cannot hang the build either."""
    if not stat.S_ISREG(os.stat(path).st_mode):
        raise ValueError("is not a regular file")
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    with os.fdopen(fd, "rb") as fh:
        info = os.fstat(fh.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise ValueError("is not a regular file")
        if info.st_size > MAX_IMAGE_BYTES:
            raise ValueError(f"is {info.st_size} bytes, more than the {MAX_IMAGE_BYTES} an edition takes")
        data = fh.read(MAX_IMAGE_BYTES + 1)
    if len(data) > MAX_IMAGE_BYTES:
        raise ValueError(f"is more than the {MAX_IMAGE_BYTES} bytes an edition takes")
    return data


def _undecodable(data: bytes) -> str:
    """Why Pillow cannot use these bytes as an edition's picture, or "" when it can."""
    from PIL import Image, UnidentifiedImageError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:
                kind, (width, height) = probe.format, probe.size
                if kind not in IMAGE_FORMATS:
                    return f"is a {kind} image; editions take PNG, JPEG or GIF"
                if width * height > MAX_IMAGE_PIXELS:
                    return (f"is {width}×{height} pixels, more than the {MAX_IMAGE_PIXELS} an edition "
                            "takes (a decompression bomb?)")
                probe.verify()  # PNG chunk checksums
            with Image.open(io.BytesIO(data)) as image:
                image.load()  # every pixel: a truncated JPEG fails only here
    except Image.DecompressionBombError:
        return f"has more than {MAX_IMAGE_PIXELS} pixels (a decompression bomb?)"
    except UnidentifiedImageError:
        return "is not an image Pillow can read (no format it knows)"
    except Exception as exc:  # noqa: BLE001 - whatever Pillow raises, the file is unusable
        reason = " ".join(str(exc).split()) or type(exc).__name__
        return f"is not an image Pillow can read ({reason})"
    return ""
