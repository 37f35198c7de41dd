"""The printable A4 certificate of a wallet credential: who, what, who signed, when, and the QR.

Printed in the holder's language with the English beside it, in the fonts shipped with
the package (``certsvc.pdf``), so that every name prints as it was signed, in any script
of our corridors. The QR goes in as the same lossless PNG the wallet shows, 60 mm wide
with its quiet zone (the symbol itself over 50 mm), so a cheap phone scans it from paper.
"""

from __future__ import annotations

from datetime import date, datetime

from certsvc.credentials.openbadge import Kind
from certsvc.pdf.document import PAGE_HEIGHT_MM, PAGE_WIDTH_MM, Document
from certsvc.pdf.language import N_, both, known_language
from certsvc.wallet.cards import WalletCard, WalletState

QR_MM = 60.0
MARGIN_MM = 15.0
#: The details table on the left, the QR code and how to check it on the right.
QR_X = PAGE_WIDTH_MM - MARGIN_MM - QR_MM
TABLE_RIGHT = QR_X - 6.0
LABEL_MM = 42.0
GAP_MM = 3.0
FOOTER_TOP = PAGE_HEIGHT_MM - MARGIN_MM - 14
SCALES = (1.0, 0.9, 0.8, 0.7, 0.6, 0.5)
KIND_TEXT = {
    Kind.TRAINING: N_("Training (skills gained abroad)"),
    Kind.PRIOR_SKILLS: N_("Prior skills (recognised on arrival)"),
}
STATE_TEXT = {
    WalletState.AWAITING: N_("Awaiting embassy co-signature"),
    WalletState.RECOGNISED: N_("Recognised: co-signed by the embassy"),
    WalletState.REVOKED: N_("Revoked by the provider"),
    WalletState.EXPIRED: N_("Expired"),
    WalletState.SUSPENDED: N_("Suspended by the provider"),
    WalletState.WITHDRAWN: N_("Co-signature withdrawn by the embassy"),
    WalletState.REJECTED: N_("Rejected by the embassy"),
}
Row = tuple[tuple[str, str | None], tuple[str, str | None]]


def certificate_pdf(
    card: WalletCard, qr_png: bytes, verify_url: str, printed_at: datetime, language: str = "en"
) -> bytes:
    """Lay out the certificate on one A4 page in ``language`` (with English beside) and return the PDF."""
    language = known_language(language)
    document, bottom = _layout(card, qr_png, verify_url, printed_at, language, SCALES[0])
    for scale in SCALES[1:]:  # long names and titles: smaller type until the page holds everything
        if bottom <= FOOTER_TOP - 2:
            break
        document.close()
        document, bottom = _layout(card, qr_png, verify_url, printed_at, language, scale)
    return document.output()


def _layout(
    card: WalletCard, qr_png: bytes, verify_url: str, printed_at: datetime, language: str, scale: float
) -> tuple[Document, float]:
    """The certificate drawn at one type scale, and where its table ends."""
    document = Document.a4(
        title=f"Skills certificate: {card.qualification}",
        author=card.provider,
        created=printed_at,
        margin=MARGIN_MM,
        scale=scale,
    )
    document.pdf.set_lang(language)
    document.add_page()
    y = _heading(document, card, language, MARGIN_MM) + 6
    bottom = _details(document, detail_rows(card, language), y)
    _qr(document, qr_png, verify_url, card, language, y)
    _footer(document, printed_at, language)
    return document, bottom


def detail_rows(card: WalletCard, language: str = "en") -> list[Row]:
    """The certificate's table: label and value, each in ``language`` and English, in print order."""

    def text(value: str) -> tuple[str, str | None]:
        return value, None

    rows: list[Row] = [
        (both(language, N_("Holder")), text(card.holder)),
        (both(language, N_("Qualification")), text(card.qualification)),
        (both(language, N_("Level")), _level(card, language)),
        (both(language, N_("Kind")), both(language, KIND_TEXT[card.kind])),
        (both(language, N_("Training provider")), text(card.provider)),
        (both(language, N_("Co-signing embassy")), _cosigner(card, language)),
        (both(language, N_("Issued on")), text(_day(card.issued))),
    ]
    if card.assessed_on is not None:
        rows.append((both(language, N_("Assessed on")), text(_day(card.assessed_on))))
    if card.cosigned_on is not None:
        rows.append((both(language, N_("Co-signed on")), text(_day(card.cosigned_on))))
    if card.valid_until is not None:
        rows.append((both(language, N_("Valid until")), text(_day(card.valid_until))))
    rows.append((both(language, N_("State when printed")), both(language, STATE_TEXT[card.state])))
    rows.append((both(language, N_("Credential id")), text(card.public_id)))
    return rows


def _heading(document: Document, card: WalletCard, language: str, y: float) -> float:
    width = PAGE_WIDTH_MM - 2 * MARGIN_MM
    y = document.pair(both(language, N_("Skills certificate")), MARGIN_MM, y, width, 22, bold=True, align="C")
    y = document.pair(both(language, N_("This certifies that")), MARGIN_MM, y + 2, width, 11, align="C")
    y = document.line(card.holder, MARGIN_MM, y + 1, width, 19, bold=True, align="C")
    achieved = N_("has achieved") if card.kind is Kind.TRAINING else N_("was assessed on arrival and holds")
    y = document.pair(both(language, achieved), MARGIN_MM, y + 1, width, 11, align="C")
    y = document.line(card.qualification, MARGIN_MM, y + 1, width, 15, bold=True, align="C")
    level, english_level = _level(card, language)
    return document.pair((level, english_level), MARGIN_MM, y, width, 11, align="C")


def _details(document: Document, rows: list[Row], y: float) -> float:
    value_x = MARGIN_MM + LABEL_MM + GAP_MM
    value_width = TABLE_RIGHT - value_x
    document.rule(MARGIN_MM, y, TABLE_RIGHT, y, width=0.2)
    for label, value in rows:
        below_label = document.pair(label, MARGIN_MM, y + 0.8, LABEL_MM, 9, bold=True)
        below_value = document.pair(value, value_x, y + 0.8, value_width, 10)
        y = max(below_label, below_value) + 0.8
        document.rule(MARGIN_MM, y, TABLE_RIGHT, y, width=0.2)
    return y


def _qr(document: Document, qr_png: bytes, verify_url: str, card: WalletCard, language: str, y: float) -> None:
    document.image(qr_png, QR_X, y, QR_MM, f"QR code of credential {card.public_id}")
    message = both(language, N_("Scan the QR code with a phone camera, or check it at"))
    y = document.pair(message, QR_X, y + QR_MM + 1, QR_MM, 10, align="C")
    document.fitted(verify_url, QR_X, y + 1, QR_MM, 11, bold=True, align="C")


def _footer(document: Document, printed_at: datetime, language: str) -> None:
    width = PAGE_WIDTH_MM - 2 * MARGIN_MM
    message = both(
        language,
        N_(
            "Printed on %(date)s. The QR code carries the signed credential; "
            "scanning it checks the signatures and the credential's current status."
        ),
        date=_day(printed_at.date()),
    )
    document.pair(message, MARGIN_MM, FOOTER_TOP, width, 8.5, align="C")


def _level(card: WalletCard, language: str) -> tuple[str, str | None]:
    if card.framework and card.level:
        return both(language, N_("%(framework)s level %(level)s"), framework=card.framework, level=card.level)
    return "-", None


def _cosigner(card: WalletCard, language: str) -> tuple[str, str | None]:
    if card.cosigned_on is not None and card.embassy and card.state is not WalletState.REJECTED:
        return card.embassy, None
    if card.embassy and card.state is WalletState.AWAITING:
        return both(language, N_("Not yet: awaiting %(embassy)s"), embassy=card.embassy)
    return both(language, N_("Not co-signed"))


def _day(day: date) -> str:
    return day.isoformat()
