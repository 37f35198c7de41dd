"""Printable claim slips: one per learner, three to an A4 page, with cut lines, in black and white.

Each slip says whose credential it is, gives the claim code and PIN in large type, the
wallet's address as text and as a QR code, and three short steps in the learner's
language with the English beside them. The codes are shown once: the slips are made
from secrets the caller holds for this one download, and nothing here keeps them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from certsvc.pdf.document import PAGE_HEIGHT_MM, PAGE_WIDTH_MM, Document
from certsvc.pdf.language import N_, both, known_language
from certsvc.qr.image import render_png
from certsvc.wallet.claims import ClaimSlip

SLIPS_PER_PAGE = 3
MARGIN_MM = 10.0
PADDING_MM = 5.0
SLIP_HEIGHT_MM = (PAGE_HEIGHT_MM - 2 * MARGIN_MM) / SLIPS_PER_PAGE
QR_MM = 40.0
CODE_PT = 20.0
SCALES = (1.0, 0.9, 0.8, 0.7, 0.6, 0.5)
STEPS = (
    N_("Open %(url)s on a phone, or scan the QR code."),
    N_("Type the claim code and the PIN."),
    N_("Open a wallet with your phone number or email address, or sign in to yours."),
)
PRIVATE = N_("The claim code works only once. Keep this slip private.")


def render_claim_slips(slips: Sequence[ClaimSlip], wallet_url: str, *, now: datetime | None = None) -> bytes:
    """Lay out one slip per learner, three per A4 page with dashed cut lines, and return the PDF."""
    document = Document.a4(
        title="Claim slips", author="certsvc", created=now or datetime.now(UTC).replace(microsecond=0)
    )
    qr_png = render_png(wallet_url, ecc="M", box_size=8, border=4)
    for n, slip in enumerate(slips):
        if n % SLIPS_PER_PAGE == 0:
            document.add_page()
        top = MARGIN_MM + (n % SLIPS_PER_PAGE) * SLIP_HEIGHT_MM
        _slip(document.at_scale(_fitting_scale(document, slip, wallet_url, top)), slip, wallet_url, qr_png, top)
        _cut_lines(document, top)
    if not slips:
        document.add_page()
        document.line("No claim slips.", MARGIN_MM, MARGIN_MM, PAGE_WIDTH_MM - 2 * MARGIN_MM, 12)
    return document.output()


def _fitting_scale(document: Document, slip: ClaimSlip, wallet_url: str, top: float) -> float:
    """The largest type scale at which the slip stays inside its cut lines (long names take smaller type)."""
    for scale in SCALES:
        if _slip(document.measuring(scale), slip, wallet_url, b"", top) <= top + SLIP_HEIGHT_MM - PADDING_MM / 2:
            return scale
    return SCALES[-1]


def _slip(document: Document, slip: ClaimSlip, wallet_url: str, qr_png: bytes, top: float) -> float:
    # The address is in step 1 as text; the QR code beside it opens it from a phone camera.
    language = known_language(slip.language)
    left = MARGIN_MM + PADDING_MM
    qr_x = PAGE_WIDTH_MM - MARGIN_MM - PADDING_MM - QR_MM
    text_width = qr_x - 4 - left
    y = document.pair(both(language, N_("Your skills credential")), left, top + PADDING_MM, text_width, 10, bold=True)
    y = document.line(slip.holder, left, y + 1, text_width, 14, bold=True)
    y = document.line(slip.qualification, left, y, text_width, 10.5)
    y = _secrets(document, slip, language, left, y + 2, text_width)
    document.image(qr_png, qr_x, top + PADDING_MM, QR_MM, "QR code of the wallet address")
    return _steps(document, language, wallet_url, left, max(y, top + PADDING_MM + QR_MM) + 2)


def _steps(document: Document, language: str, wallet_url: str, x: float, y: float) -> float:
    """The three steps, numbered, each in the learner's language with the English below."""
    width = PAGE_WIDTH_MM - MARGIN_MM - PADDING_MM - x
    for n, step in enumerate(STEPS, start=1):
        document.line(f"{n}.", x, y, 5, 9.5, bold=True)
        y = document.pair(both(language, step, url=wallet_url), x + 5, y, width - 5, 9.5)
    return document.pair(both(language, PRIVATE), x, y + 0.5, width, 9.5, bold=True)


def _secrets(document: Document, slip: ClaimSlip, language: str, x: float, y: float, width: float) -> float:
    """The claim code and the PIN side by side, each under its label, in large type."""
    column = width / 2
    fields = ((N_("Claim code"), slip.code), (N_("PIN"), slip.pin))
    below = max(
        document.pair(both(language, label), x + n * column, y, column - 3, 9) for n, (label, _) in enumerate(fields)
    )
    return max(
        document.line(value, x + n * column, below, column - 3, CODE_PT, bold=True)
        for n, (_, value) in enumerate(fields)
    )


def _cut_lines(document: Document, top: float) -> None:
    """Dashed lines around the slip: scissors follow them; adjacent slips share one."""
    right, bottom = PAGE_WIDTH_MM - MARGIN_MM, top + SLIP_HEIGHT_MM
    document.rule(MARGIN_MM, top, right, top, dashed=True)
    document.rule(MARGIN_MM, bottom, right, bottom, dashed=True)
    document.rule(MARGIN_MM, top, MARGIN_MM, bottom, dashed=True)
    document.rule(right, top, right, bottom, dashed=True)
