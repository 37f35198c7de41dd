"""The printable A4 certificate of a wallet credential (fpdf2): who, what, who signed, when, and the QR.

The QR goes in as the same lossless PNG the wallet shows, 60 mm wide with its quiet zone
(the symbol itself over 50 mm), so a cheap phone scans it from paper. The text uses the
PDF core fonts, which cover Latin-1: any other letters are written without their accents
or, failing that, as '?'; the QR code always carries the exact signed name.
"""

from __future__ import annotations

import io
import unicodedata
from datetime import date, datetime

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from certsvc.credentials.openbadge import Kind
from certsvc.wallet.cards import WalletCard, WalletState

QR_MM = 60.0
PAGE_WIDTH_MM = 210.0
MARGIN_MM = 20.0
KIND_TEXT = {
    Kind.TRAINING: "Training (skills gained abroad)",
    Kind.PRIOR_SKILLS: "Prior skills (recognised on arrival)",
}
STATE_TEXT = {
    WalletState.AWAITING: "Awaiting embassy co-signature",
    WalletState.RECOGNISED: "Recognised: co-signed by the embassy",
    WalletState.REVOKED: "Revoked by the provider",
    WalletState.EXPIRED: "Expired",
    WalletState.SUSPENDED: "Suspended by the provider",
    WalletState.WITHDRAWN: "Co-signature withdrawn by the embassy",
    WalletState.REJECTED: "Rejected by the embassy",
}


def certificate_pdf(card: WalletCard, qr_png: bytes, verify_url: str, printed_at: datetime) -> bytes:
    """Lay out the certificate on one A4 page and return the PDF file."""
    pdf = FPDF(orientation="P", unit="mm", format="A4")
    pdf.set_auto_page_break(False)
    pdf.set_margins(MARGIN_MM, MARGIN_MM, MARGIN_MM)
    pdf.set_title(_latin(f"Skills certificate: {card.qualification}"))
    pdf.set_author(_latin(card.provider))
    pdf.set_creator("certsvc")
    pdf.set_creation_date(printed_at)
    pdf.add_page()
    _heading(pdf, card)
    _details(pdf, card)
    _qr(pdf, qr_png, verify_url, card)
    _footer(pdf, printed_at)
    return bytes(pdf.output())


def detail_rows(card: WalletCard) -> list[tuple[str, str]]:
    """The certificate's table: label and value, in print order."""
    rows = [
        ("Holder", card.holder),
        ("Qualification", card.qualification),
        ("Level", _level(card)),
        ("Kind", KIND_TEXT[card.kind]),
        ("Provider", card.provider),
        ("Co-signed by", _cosigner(card)),
        ("Issued on", _day(card.issued)),
    ]
    if card.assessed_on is not None:
        rows.append(("Assessed on", _day(card.assessed_on)))
    if card.cosigned_on is not None:
        rows.append(("Co-signed on", _day(card.cosigned_on)))
    if card.valid_until is not None:
        rows.append(("Valid until", _day(card.valid_until)))
    rows.append(("State when printed", STATE_TEXT[card.state]))
    rows.append(("Credential id", card.public_id))
    return rows


def _heading(pdf: FPDF, card: WalletCard) -> None:
    width = PAGE_WIDTH_MM - 2 * MARGIN_MM
    pdf.set_font("helvetica", "B", 24)
    pdf.cell(width, 12, "Skills certificate", align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("helvetica", "", 12)
    pdf.cell(width, 8, "This certifies that", align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("helvetica", "B", 20)
    pdf.multi_cell(width, 10, _latin(card.holder), align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("helvetica", "", 12)
    achieved = "has achieved" if card.kind is Kind.TRAINING else "was assessed on arrival and holds"
    pdf.cell(width, 8, achieved, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("helvetica", "B", 16)
    pdf.multi_cell(width, 8, _latin(card.qualification), align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("helvetica", "", 12)
    pdf.cell(width, 7, _latin(_level(card)), align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(6)


def _details(pdf: FPDF, card: WalletCard) -> None:
    label_width, value_width = 45.0, PAGE_WIDTH_MM - 2 * MARGIN_MM - 45.0
    for label, value in detail_rows(card):
        pdf.set_font("helvetica", "B", 11)
        pdf.cell(label_width, 7, label, new_x=XPos.RIGHT, new_y=YPos.TOP)
        pdf.set_font("helvetica", "", 11)
        pdf.multi_cell(value_width, 7, _latin(value), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(6)


def _qr(pdf: FPDF, qr_png: bytes, verify_url: str, card: WalletCard) -> None:
    width = PAGE_WIDTH_MM - 2 * MARGIN_MM
    x = (PAGE_WIDTH_MM - QR_MM) / 2
    y = pdf.get_y()
    pdf.image(io.BytesIO(qr_png), x=x, y=y, w=QR_MM, h=QR_MM, alt_text=f"QR code of credential {card.public_id}")
    pdf.set_y(y + QR_MM + 3)
    pdf.set_font("helvetica", "", 11)
    pdf.cell(width, 6, "Scan the QR code with a phone camera, or check it at", align="C", new_x=XPos.LMARGIN)
    pdf.ln(6)
    pdf.set_font("helvetica", "B", 14)
    pdf.cell(width, 8, _latin(verify_url), align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _footer(pdf: FPDF, printed_at: datetime) -> None:
    width = PAGE_WIDTH_MM - 2 * MARGIN_MM
    pdf.set_y(-30)
    pdf.set_font("helvetica", "", 9)
    text = (
        f"Printed on {_day(printed_at.date())}. The QR code carries the signed credential; "
        "scanning it checks the signatures and the credential's current status."
    )
    pdf.multi_cell(width, 5, text, align="C")


def _level(card: WalletCard) -> str:
    if card.framework and card.level:
        return f"{card.framework} level {card.level}"
    return "-"


def _cosigner(card: WalletCard) -> str:
    if card.cosigned_on is not None and card.embassy and card.state is not WalletState.REJECTED:
        return card.embassy
    if card.embassy and card.state is WalletState.AWAITING:
        return f"Not yet: awaiting {card.embassy}"
    return "Not co-signed"


def _day(day: date) -> str:
    return day.isoformat()


def _latin(text: str) -> str:
    """Text the core fonts can draw: Latin-1 as is, other letters without accents, else '?'."""
    out = []
    for char in text:
        if ord(char) < 256:
            out.append(char)
            continue
        stripped = "".join(c for c in unicodedata.normalize("NFKD", char) if ord(c) < 256)
        out.append(stripped or "?")
    return "".join(out)
