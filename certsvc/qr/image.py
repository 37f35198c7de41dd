"""Draw the credential QR as PNG or SVG, and read a QR back from a photo or screenshot."""

from __future__ import annotations

import io
import re
import struct
import zlib

import qrcode
import qrcode.constants
import qrcode.util
import zxingcpp
from PIL import Image
from qrcode.image.svg import SvgPathFillImage
from qrcode.util import MODE_8BIT_BYTE, MODE_ALPHA_NUM, MODE_NUMBER, QRData

from certsvc.credentials.errors import ImageError, ImageTooLarge, NoQRCodeFound
from certsvc.qr.errors import MultipleQRCodes

ECC_LEVELS = {
    "L": qrcode.constants.ERROR_CORRECT_L,
    "M": qrcode.constants.ERROR_CORRECT_M,
    "Q": qrcode.constants.ERROR_CORRECT_Q,
    "H": qrcode.constants.ERROR_CORRECT_H,
}

# A phone JPEG is a few MB; a 15 MB limit leaves room without letting uploads eat memory.
MAX_IMAGE_BYTES = 15 * 1024 * 1024
# 40 megapixels covers phone cameras. It is below Pillow's own bomb limit (about 89 M), so
# Pillow's DecompressionBombWarning only ever fires for images we refuse anyway.
MAX_IMAGE_PIXELS = 40_000_000

# Only the formats phones and browsers produce; fewer parsers means less attack surface.
_IMAGE_FORMATS = ("PNG", "JPEG")
_TRANSPARENT_MODES = frozenset({"RGBA", "LA", "PA", "RGBa", "La"})
# What Pillow's plugins raise on truncated, corrupt or hostile files.
_PIL_ERRORS = (
    OSError,
    SyntaxError,
    ValueError,
    EOFError,
    TypeError,
    IndexError,
    KeyError,
    struct.error,
    zlib.error,
)

_ALPHA_NUM = re.escape(qrcode.util.ALPHA_NUM.decode("ascii"))
_OUR_SHAPE = re.compile(f"([{_ALPHA_NUM}]+)(#)([0-9]+)")


def qr_segments(qr_text: str) -> list[QRData]:
    """Split QR text into the segments that encode it in the fewest bits."""
    match = _OUR_SHAPE.fullmatch(qr_text)
    if match is None:
        return list(qrcode.util.optimal_data_chunks(qr_text))
    prefix, hash_sign, digits = (part.encode("ascii") for part in match.groups())
    # Explicit modes: qrcode's optimiser only splits off runs of 20+ characters, so it would
    # leave the prefix in byte mode; '#' has no alphanumeric code and must go as a byte.
    return [
        QRData(prefix, mode=MODE_ALPHA_NUM),
        QRData(hash_sign, mode=MODE_8BIT_BYTE),
        QRData(digits, mode=MODE_NUMBER),
    ]


def _new_qr(qr_text: str, ecc: str, box_size: int = 10, border: int = 4) -> qrcode.QRCode:
    if ecc not in ECC_LEVELS:
        raise ValueError(f"ecc must be one of {', '.join(ECC_LEVELS)}, not {ecc!r}")
    qr = qrcode.QRCode(error_correction=ECC_LEVELS[ecc], box_size=box_size, border=border)
    for segment in qr_segments(qr_text):
        qr.add_data(segment)
    return qr


def make_qr(qr_text: str, ecc: str = "M") -> qrcode.QRCode:
    """Build the smallest QR code that holds the text at the given error correction."""
    qr = _new_qr(qr_text, ecc)
    qr.make(fit=True)
    return qr


def qr_version(qr_text: str, ecc: str = "M") -> int:
    """Return the QR version (1-40) the text needs at the given error correction."""
    # best_fit sizes the symbol without drawing it and trying all eight masks.
    return _new_qr(qr_text, ecc).best_fit()


def render_png(qr_text: str, ecc: str = "M", box_size: int = 8, border: int = 4) -> bytes:
    """Draw the QR code as a black-on-white 1-bit PNG."""
    qr = _new_qr(qr_text, ecc, box_size=box_size, border=border)
    qr.make(fit=True)
    image = qr.make_image(fill_color="black", back_color="white").get_image()
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def render_svg(qr_text: str, ecc: str = "M") -> bytes:
    """Draw the QR code as a standalone, scalable SVG document."""
    qr = _new_qr(qr_text, ecc)
    qr.make(fit=True)
    # The Fill variant paints a white background: a transparent quiet zone on a dark page
    # would not scan.
    image = qr.make_image(image_factory=SvgPathFillImage)
    buffer = io.BytesIO()
    image.save(buffer)
    return buffer.getvalue()


def decode_image(unverified_image: bytes, max_bytes: int = MAX_IMAGE_BYTES, max_pixels: int = MAX_IMAGE_PIXELS) -> str:
    """Return the text of the one QR code in a PNG or JPEG image (two or more: MultipleQRCodes)."""
    if len(unverified_image) > max_bytes:
        raise ImageTooLarge("image file is too large", max_bytes=max_bytes)
    image = _open_bounded(unverified_image, max_pixels)
    gray = _load_grayscale(image)
    return _read_qr(gray)


def _open_bounded(unverified_image: bytes, max_pixels: int) -> Image.Image:
    try:
        # Image.open parses the header only, so the size is known before any pixel data.
        image = Image.open(io.BytesIO(unverified_image), formats=_IMAGE_FORMATS)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        # The warning arrives as an exception only where warnings are errors (our tests).
        raise ImageTooLarge("image has too many pixels", max_pixels=max_pixels) from exc
    except _PIL_ERRORS as exc:
        raise ImageError("not a readable PNG or JPEG image") from exc
    width, height = image.size
    if width * height > max_pixels:
        raise ImageTooLarge("image has too many pixels", width=width, height=height, max_pixels=max_pixels)
    if width == 0 or height == 0:
        raise ImageError("image is empty")
    return image


def _load_grayscale(image: Image.Image) -> Image.Image:
    try:
        # Lets the JPEG decoder output grayscale directly, a third of the memory of RGB.
        image.draft("L", None)
        if image.mode in _TRANSPARENT_MODES or "transparency" in image.info:
            # Transparent pixels are often stored as black; seen on white, as a browser shows them.
            rgba = image.convert("RGBA")
            image = Image.alpha_composite(Image.new("RGBA", rgba.size, "white"), rgba)
        return image.convert("L")
    except _PIL_ERRORS as exc:
        raise ImageError("image data is corrupt or truncated") from exc


def _read_qr(gray: Image.Image) -> str:
    try:
        # The default local-average binarizer copes with uneven light in photos; a global
        # histogram second pass rescued about 1 in 180 degraded test images, not worth the time.
        barcodes = zxingcpp.read_barcodes(
            gray,
            # nanobind turns one format into a set; the stub only names the set type.
            formats=zxingcpp.BarcodeFormat.QRCode,  # type: ignore[arg-type]
            try_rotate=True,
            try_downscale=True,
            try_invert=True,
            text_mode=zxingcpp.TextMode.Plain,
        )
    except (RuntimeError, ValueError, TypeError) as exc:
        raise ImageError("image could not be scanned") from exc
    if not barcodes:
        raise NoQRCodeFound("no QR code found in the image")
    # Verifying "the first" of several codes would let a second, unseen one decide the verdict.
    if len(barcodes) > 1:
        raise MultipleQRCodes("the image holds more than one QR code: photograph one at a time", count=len(barcodes))
    return barcodes[0].text
