"""Errors of the QR transport and of reading QR codes from pictures, in the one rooted hierarchy."""

from __future__ import annotations

from certsvc.credentials.errors import ImageError, QRDecodeError


class CatalogueEntryUnknown(QRDecodeError):
    """The QR code pins a catalogue entry that no trust list the verifier holds carries."""

    code = "qr_catalogue_unknown"


class MultipleQRCodes(ImageError):
    """The picture holds more than one QR code, so it is not clear which one to verify."""

    code = "multiple_qr_codes"
