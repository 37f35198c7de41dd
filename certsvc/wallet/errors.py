"""What the wallet answers when a holder's request cannot be done: each with its code and HTTP status."""

from __future__ import annotations

from certsvc.credentials.errors import CertsvcError


class WalletError(CertsvcError):
    """Something the holder asked of the wallet cannot be done."""

    code = "wallet_error"
    http_status = 400


class WrongClaim(WalletError):
    """The claim code is unknown or its PIN is wrong (never says which)."""

    code = "claim_invalid"


class ClaimLocked(WalletError):
    """Too many wrong PINs were tried with this claim code."""

    code = "claim_locked"
    http_status = 403


class ClaimUsed(WalletError):
    """The claim code was used already (``mine`` tells whether by this wallet)."""

    code = "claim_used"
    http_status = 409


class ClaimThrottled(WalletError):
    """Too many wrong claim codes from this client; ``retry_after`` seconds to wait."""

    code = "claim_throttled"
    http_status = 429


class WalletAccountError(WalletError):
    """A phone number, email address or password that cannot make an account."""

    code = "wallet_account_invalid"


class WalletAccountExists(WalletAccountError):
    code = "wallet_account_exists"
    http_status = 409


class InvalidWalletLogin(WalletError):
    """Wrong phone number, email or password (never says which)."""

    code = "wallet_login_invalid"
    http_status = 401


class WalletLoginThrottled(WalletError):
    code = "wallet_login_throttled"
    http_status = 429


class NotInWallet(WalletError):
    """No such credential in this wallet: someone else's looks exactly like a missing one."""

    code = "not_found"
    http_status = 404


class ShareLinkUnknown(WalletError):
    code = "not_found"
    http_status = 404


class ShareLinkGone(WalletError):
    """The share link expired or its holder revoked it (``reason``); the credential is untouched."""

    code = "share_link_gone"
    http_status = 410


class BadShareExpiry(WalletError):
    code = "share_expiry_invalid"
