"""Which pictures Sweedle decodes: six formats, recognised by content, and one pixel limit.

Pillow identifies a file by offering it to every plugin it has, and some plugins hand the data
to another program: an EPS file, even one named `.png`, goes to Ghostscript, which runs the
PostScript inside. So every picture Sweedle opens (dropped, pasted, given to the CLI, or a
texture inside or beside a mesh) is identified by Pillow among the allowed formats only; a file
of any other kind is named from its first bytes and refused, whatever its file name says.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO

from PIL import Image, UnidentifiedImageError

from app.core.base.errors import InputError

ALLOWED_FORMATS: tuple[str, ...] = ("PNG", "JPEG", "WEBP", "BMP", "TIFF", "GIF")
"""Pillow format ids of the pictures Sweedle decodes; no other Pillow plugin is ever tried."""

FORMATS_HINT = "Sweedle opens PNG, JPEG, WebP, BMP, TIFF and GIF pictures"

MAX_PIXELS: int = 64_000_000
"""The most pixels a picture or a mesh texture may have (an 8000×8000 RGBA picture is 256 MB)."""

PILLOW_GLOBALS_LOCK = threading.RLock()
"""Held while Pillow's process-wide pixel limit or the warning filters are changed for one load."""

_ALLOWED_SIGNATURES = (b"\x89PNG", b"\xff\xd8\xff", b"GIF87a", b"GIF89a", b"BM", b"II*\x00", b"MM\x00*")
_PICTURE_SIGNATURES: tuple[tuple[int, bytes, str], ...] = (
    (0, b"%!PS", "an EPS (PostScript) file"),
    (0, b"\xc5\xd0\xd3\xc6", "an EPS (PostScript) file"),
    (0, b"%PDF", "a PDF document"),
    (0, b"8BPS", "a Photoshop (PSD) file"),
    (0, b"icns", "an ICNS icon"),
    (0, b"\x00\x00\x00\x0cjP  \r\n\x87\n", "a JPEG 2000 picture"),
    (0, b"\xffO\xffQ", "a JPEG 2000 picture"),
    (4, b"ftypheic", "a HEIC picture"),
    (4, b"ftypheix", "a HEIC picture"),
    (4, b"ftypmif1", "a HEIF picture"),
    (4, b"ftypavif", "an AVIF picture"),
    (0, b"DDS ", "a DDS texture"),
    (0, b"\xabKTX", "a KTX texture"),
    (0, b"gimp xcf", "a GIMP (XCF) file"),
    (0, b"qoif", "a QOI picture"),
    (0, b"#?RADIANCE", "an HDR picture"),
    (0, b"v/1\x01", "an OpenEXR picture"),
    (0, b"SIMPLE  =", "a FITS file"),
)
"""Magic numbers of picture formats Sweedle refuses: (offset, bytes, what to call the file)."""
_OTHER_SIGNATURES: tuple[tuple[int, bytes, str], ...] = (
    (0, b"PK\x03\x04", "a ZIP archive"),
    (0, b"\x1f\x8b", "a gzip archive"),
    (0, b"\x7fELF", "a program (ELF)"),
)
_TGA_FOOTER = b"TRUEVISION-XFILE.\x00"


def open_picture(fp: IO[bytes], name: str) -> Image.Image:
    """Identify `fp` among ALLOWED_FORMATS and read only its header; anything else is an InputError
    naming `name` and what the data is.

    Pillow's own bomb check is off for the call (it raises above ~179 MP without saying the
    size); callers apply `check_pixels` to the header size instead, before decoding anything.
    """
    with PILLOW_GLOBALS_LOCK:
        saved_limit = Image.MAX_IMAGE_PIXELS
        Image.MAX_IMAGE_PIXELS = None
        try:
            return Image.open(fp, formats=ALLOWED_FORMATS)
        except UnidentifiedImageError:
            raise InputError(_refusal_message(name, _head_and_tail(fp))) from None
        except Exception as exc:  # a plugin that recognised the data failed on its header
            raise corrupt(name, reason(exc)) from None
        finally:
            Image.MAX_IMAGE_PIXELS = saved_limit


def check_pixels(name: str, size: tuple[int, int]) -> None:
    """Refuse a picture or texture whose header declares more than MAX_PIXELS, before it is decoded."""
    width, height = size
    pixels = width * height
    if pixels > MAX_PIXELS:
        megapixels = pixels / 1e6
        shown = f"{megapixels:.0f}" if megapixels >= 100 else f"{megapixels:.1f}"
        raise InputError(
            f"{name} is {width}×{height} ({shown} megapixels); the limit is "
            f"{MAX_PIXELS // 1_000_000} megapixels: scale it down first"
        )


def _refusal_message(name: str, data: tuple[bytes, bytes]) -> str:
    """Why `name` is not a picture Sweedle opens, from its first 512 and last 18 bytes."""
    head, tail = data
    if _allowed_signature(head):
        return str(corrupt(name, "its header is damaged"))
    kind = _refused_kind(head, tail)
    if kind == "a text file":
        return f"{name} looks like a text file, not a picture; {FORMATS_HINT}"
    if kind is not None:
        return f"{name} is {kind}; {FORMATS_HINT}"
    return f"{name} is not a picture Sweedle can read; {FORMATS_HINT}"


def _refused_kind(head: bytes, tail: bytes = b"") -> str | None:
    """What a file that is not an allowed picture holds, from its magic bytes (None: unknown)."""
    if tail.endswith(_TGA_FOOTER):
        return "a TGA picture"
    kind = _signature_kind(head, _PICTURE_SIGNATURES + _OTHER_SIGNATURES) or _icon_kind(head)
    if kind is not None:
        return kind
    text = _as_text(head)
    if text is not None:
        lowered = text.lower()
        if "<svg" in lowered:
            return "an SVG drawing"
        if "<html" in lowered or "<!doctype html" in lowered:
            return "a web page (HTML)"
        if len(head) > 2 and head[0:1] == b"P" and head[1:2] in b"1234567" and head[2:3].isspace():
            return "a PNM (PPM/PGM) picture"
        return "a text file"
    return "a TGA picture" if _looks_like_tga(head) else None


def is_picture_data(head: bytes) -> bool:
    """Whether `head` starts like a picture of any format, allowed or not, by magic number alone
    (TGA, which has none, is left out: too many other files would match)."""
    if _allowed_signature(head) or _signature_kind(head, _PICTURE_SIGNATURES) or _icon_kind(head):
        return True
    text = _as_text(head)
    return text is not None and "<svg" in text.lower()


def corrupt(name: str, why: str) -> InputError:
    return InputError(f"{name} is truncated or corrupt ({why}): re-export or re-download it")


def reason(exc: BaseException) -> str:
    """The first line of an exception's text, for a one-line message."""
    text = str(exc).strip().rstrip(".")
    return text.splitlines()[0] if text else type(exc).__name__


@contextmanager
def pillow_limited_to_allowed_formats() -> Iterator[None]:
    """While it lasts, Pillow's default search (`Image.open` without `formats`) tries only the
    allowed formats: for libraries that decode pictures themselves (trimesh reading a mesh's
    textures). Every plugin is imported first, so none registers itself again meanwhile; uses in
    several threads overlap, and the full search comes back when the last one ends."""
    global _search_users
    with _search_lock:
        if _search_users == 0:
            Image.init()
            _full_search[:] = Image.ID
            Image.ID[:] = [fmt for fmt in Image.ID if fmt in ALLOWED_FORMATS]
        _search_users += 1
    try:
        yield
    finally:
        with _search_lock:
            _search_users -= 1
            if _search_users == 0:
                Image.ID[:] = _full_search


_search_lock = threading.Lock()
_search_users = 0
_full_search: list[str] = []


def _allowed_signature(head: bytes) -> bool:
    return head.startswith(_ALLOWED_SIGNATURES) or (head[:4] == b"RIFF" and head[8:12] == b"WEBP")


def _signature_kind(head: bytes, signatures: tuple[tuple[int, bytes, str], ...]) -> str | None:
    for offset, magic, kind in signatures:
        if head[offset : offset + len(magic)] == magic:
            return kind
    return None


def _icon_kind(head: bytes) -> str | None:
    """ICO and CUR start 00 00 01 00 / 00 00 02 00 and a non-zero image count (a TGA header can
    start with the same four bytes, but then holds zero there)."""
    if head[4:6] in (b"", b"\x00\x00"):
        return None
    return {b"\x00\x00\x01\x00": "an ICO icon", b"\x00\x00\x02\x00": "a CUR cursor"}.get(head[:4])


def _head_and_tail(fp: IO[bytes]) -> tuple[bytes, bytes]:
    try:
        fp.seek(0)
        head = fp.read(512)
        fp.seek(0, 2)
        size = fp.tell()
        fp.seek(max(0, size - len(_TGA_FOOTER)))
        return head, fp.read()
    except (OSError, ValueError):
        return b"", b""


def _as_text(head: bytes) -> str | None:
    """The text of `head` if it is UTF-8 without control characters (one bad sequence may be a
    character cut at the end of the sample), else None."""
    text = head.decode("utf-8", errors="replace").lstrip("\ufeff")
    if text and text.count("\ufffd") <= 1 and all(ch.isprintable() or ch in "\r\n\t\f" for ch in text):
        return text
    return None


def _looks_like_tga(head: bytes) -> bool:
    """TGA has no magic number: an 18-byte header with a known image type and pixel depth."""
    if len(head) < 18:
        return False
    colour_map, image_type, depth, descriptor = head[1], head[2], head[16], head[17]
    return (
        colour_map == (1 if image_type in (1, 9) else 0)
        and image_type in (1, 2, 3, 9, 10, 11)
        and depth in (8, 15, 16, 24, 32)
        and descriptor & 0xC0 == 0
    )
