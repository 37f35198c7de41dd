"""The one rooted error hierarchy; every error carries a stable ``code``."""

from __future__ import annotations

from typing import Any


class CertsvcError(Exception):
    """Root of every error this project raises on purpose."""

    code = "error"

    def __init__(self, message: str, **data: Any) -> None:
        super().__init__(message)
        self.message = message
        self.data = data

    def as_dict(self) -> dict[str, Any]:
        """Return the error as a JSON-ready mapping."""
        return {"code": self.code, "message": self.message, **self.data}


class KeyMaterialError(CertsvcError):
    """A key could not be generated, loaded or used."""

    code = "key_error"


class WrongPassword(KeyMaterialError):
    code = "wrong_password"


class CredentialDataError(CertsvcError):
    """Data given to build a credential is incomplete or invalid."""

    code = "credential_data_invalid"


class VerificationError(CertsvcError):
    """A token, list or credential failed a check."""

    code = "verification_failed"


class Malformed(VerificationError):
    code = "malformed"


class InputTooLarge(Malformed):
    code = "input_too_large"


class QRDecodeError(Malformed):
    code = "qr_malformed"


class UnsupportedQRVersion(QRDecodeError):
    code = "qr_unsupported_version"


class DisallowedAlgorithm(VerificationError):
    code = "alg_not_allowed"


class DisallowedHeader(VerificationError):
    code = "header_not_allowed"


class BadSignature(VerificationError):
    code = "bad_signature"


class UnknownKey(VerificationError):
    code = "unknown_key"


class TrustListError(VerificationError):
    code = "trust_list_invalid"


class StatusListError(VerificationError):
    code = "status_list_invalid"


class ImageError(Malformed):
    """An uploaded image could not be read as a picture."""

    code = "image_unreadable"


class ImageTooLarge(InputTooLarge):
    """An uploaded image is too many bytes or too many pixels to decode."""

    code = "image_too_large"


class NoQRCodeFound(ImageError):
    """An uploaded image was read but holds no decodable QR code."""

    code = "no_qr_found"
