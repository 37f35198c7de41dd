"""The PDFs print every name as typed: shaped in its script's font, read back exactly, fonts embedded.

Readers get the text from the embedded fonts' ToUnicode maps (pypdf) or from ActualText
spans (poppler's ``pdftotext``); both must give the logical text even where shaping draws
glyphs out of order (a Burmese ေ before its consonant) or merges them (Devanagari क्ष).
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import zxingcpp
from fontTools.ttLib import TTFont
from PIL import Image
from pypdf import PdfReader

from certsvc.credentials.openbadge import Kind
from certsvc.pdf import shaping
from certsvc.pdf.claim_slips import render_claim_slips
from certsvc.pdf.document import Document
from certsvc.pdf.fonts_catalogue import SCRIPT_FONTS, uncovered
from certsvc.qr.image import decode_image, render_png
from certsvc.wallet.cards import WalletCard, WalletState
from certsvc.wallet.claims import ClaimSlip
from certsvc.wallet.pdf import certificate_pdf

NOW = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
BURMESE = "မောင်ကြည်ဝင်း အောင်"
VIETNAMESE = "Nguyễn Thị Ánh Nguyệt"
SPANISH = "José María Peña Núñez de Ibáñez"
#: One name per script of the corridors, each with what shaping must get right.
NAMES = {
    "latin": "Đặng Văn Lâm Müller-Ñúñez",
    "myanmar": BURMESE,  # ေ and ြ drawn before their consonant
    "thai": "ณัฐวุฒิ ศรีสุข",  # stacked vowel and tone marks
    "khmer": "ស្រីពៅ កោះ ក្រមុំ",  # subscript consonants, split vowels
    "bengali": "কোহিনূর ক্ষেত্র",  # ো drawn in two parts around its consonant, conjuncts
    "devanagari": "श्री कृष्ण किरण",  # ि before its consonant, conjuncts
}
WALLET_URL = "https://skills.example.org/wallet/claim"


def card(holder: str, state: WalletState = WalletState.RECOGNISED) -> WalletCard:
    return WalletCard(
        public_id="01JQ3ZK4T2XG8M5N6P7R9S0V1W",
        holder=holder,
        qualification="Construction Trade Test: Electrical Wiring",
        framework="SEC(K)",
        level="2",
        kind=Kind.TRAINING,
        provider="Jurong Construction Skills Centre",
        embassy="Embassy of Myanmar in Singapore, Labour Section",
        state=state,
        issued=date(2026, 1, 10),
        valid_until=date(2031, 1, 10),
        cosigned_on=date(2026, 1, 12) if state is WalletState.RECOGNISED else None,
        assessed_on=None,
        verified=0,
        last_verified=None,
        signatures=2,
    )


def qr_png() -> bytes:
    return render_png("HTTP://SKILLS.EXAMPLE.ORG/V#" + "3141592653" * 40, box_size=10)


def lines_of(pdf: bytes, page: int = 0) -> list[str]:
    return PdfReader(io.BytesIO(pdf)).pages[page].extract_text().split("\n")


@dataclass
class EmbeddedFont:
    name: str
    to_unicode: dict[int, str]
    cid_to_gid: bytes
    font: TTFont

    def drawn_glyph(self, cid: int) -> bool:
        """The code's glyph is a real one (not .notdef) with an outline in the embedded file."""
        gid = int.from_bytes(self.cid_to_gid[2 * cid : 2 * cid + 2], "big")
        if gid == 0:
            return False
        glyph = self.font["glyf"][self.font.getGlyphOrder()[gid]]
        return glyph.numberOfContours != 0


def embedded_fonts(pdf: bytes) -> list[EmbeddedFont]:
    reader = PdfReader(io.BytesIO(pdf))
    found = []
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descendant = font["/DescendantFonts"][0].get_object()
            data = descendant["/FontDescriptor"]["/FontFile2"].get_object().get_data()
            cmap = font["/ToUnicode"].get_object().get_data().decode("ascii")
            to_unicode = {
                int(cid, 16): bytes.fromhex(text).decode("utf-16-be")
                for cid, text in re.findall(r"<([0-9A-F]{4})> <([0-9A-F]*)>", cmap)
            }
            gid_map = descendant["/CIDToGIDMap"].get_object().get_data()
            found.append(EmbeddedFont(str(font["/BaseFont"]), to_unicode, gid_map, TTFont(io.BytesIO(data))))
    return found


def assert_fonts_cover(pdf: bytes, text: str) -> None:
    """Every character of ``text`` is mapped from a real, embedded glyph of some font of the PDF."""
    drawn: set[str] = set()
    for font in embedded_fonts(pdf):
        for cid, mapped in font.to_unicode.items():
            if mapped and font.drawn_glyph(cid):
                drawn.update(mapped)
    missing = {c for c in text if not c.isspace()} - drawn
    assert not missing, f"no embedded glyph draws {sorted(missing)}"


# -- the certificate --------------------------------------------------------------------------


@pytest.mark.parametrize("holder", [BURMESE, VIETNAMESE, SPANISH], ids=["burmese", "vietnamese", "spanish"])
def test_certificate_prints_the_name_as_typed_in_embedded_fonts(holder: str) -> None:
    document = certificate_pdf(card(holder), qr_png(), "https://skills.example.org/verify", NOW, "my")
    lines = lines_of(document)
    assert holder in lines  # the heading line reads back exactly
    assert f"{holder}" == lines[lines.index(holder)]
    assert_fonts_cover(document, holder)
    assert "?" not in "".join(lines)


def test_certificate_is_in_the_holders_language_with_the_english_beside() -> None:
    text = "\n".join(lines_of(certificate_pdf(card(SPANISH), qr_png(), "https://x.example/verify", NOW, "es")))
    for spanish, english in (("Titular", "Holder"), ("Centro de formación", "Training provider")):
        assert spanish in text and english in text
    english_only = lines_of(certificate_pdf(card(SPANISH), qr_png(), "https://x.example/verify", NOW, "en"))
    assert "Titular" not in "\n".join(english_only)
    assert sum(line.startswith("Holder") for line in english_only) == 1  # no English twice for an English reader
    unknown = lines_of(certificate_pdf(card(SPANISH), qr_png(), "https://x.example/verify", NOW, "xx-evil"))
    assert unknown == english_only


def test_certificate_qr_is_embedded_losslessly_and_scans() -> None:
    document = certificate_pdf(card(BURMESE), qr_png(), "https://skills.example.org/verify", NOW, "my")
    (image,) = PdfReader(io.BytesIO(document)).pages[0].images
    buffer = io.BytesIO()
    image.image.save(buffer, format="PNG")
    assert decode_image(buffer.getvalue()) == "HTTP://SKILLS.EXAMPLE.ORG/V#" + "3141592653" * 40


# -- shaping and reading back -------------------------------------------------------------------


@pytest.mark.parametrize("script", list(NAMES))
def test_every_script_reads_back_exactly_with_pypdf(script: str) -> None:
    name = NAMES[script]
    document = Document.a4(title=name, author="test", created=NOW)
    document.add_page()
    y = 20.0
    for bold in (False, True):
        y = document.line(name, 20, y, 170, 16, bold=bold)
    pdf = document.output()
    assert lines_of(pdf)[:2] == [name, name]
    assert_fonts_cover(pdf, name)
    assert not uncovered(name)


def test_shaping_reorders_and_merges_glyphs_yet_the_text_stays_logical() -> None:
    document = Document.a4(title="shaping", author="test", created=NOW)
    document.add_page()
    # Burmese ေ (U+1031) follows မ in the text but is drawn first: the first glyph carries both.
    (run,) = shaping.shape(document.pdf, "မော", "", 12)
    first = run.font.subset
    mapped = {cid: glyph.unicode for glyph, cid in first.items() if glyph is not None}
    assert mapped[run.glyphs[0].cid] == (0x1019, 0x1031)
    # Devanagari क्ष is three characters and one glyph.
    (conjunct,) = shaping.shape(document.pdf, "क्ष", "", 12)
    assert len(conjunct.glyphs) == 1
    # Bengali কো is two characters and three glyphs: one glyph maps to the text, the rest to nothing.
    (split,) = shaping.shape(document.pdf, "কো", "", 12)
    assert len(split.glyphs) == 3
    for text in ("မော", "क्ष", "কো"):
        document.line(text, 20, 20 + 10 * ("မော", "क्ष", "কো").index(text), 100, 14)
    assert lines_of(document.output())[:3] == ["မော", "क्ष", "কো"]


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils is not installed")
def test_other_readers_get_the_text_from_actual_text(tmp_path: Path) -> None:
    document = Document.a4(title="actual text", author="test", created=NOW)
    document.add_page()
    y = 20.0
    for name in NAMES.values():
        y = document.line(name, 20, y, 170, 14) + 4
    path = tmp_path / "names.pdf"
    path.write_bytes(document.output())
    command = [shutil.which("pdftotext") or "pdftotext", "-enc", "UTF-8", str(path), "-"]
    text = subprocess.run(command, check=True, capture_output=True, text=True).stdout  # noqa: S603
    for name in NAMES.values():
        assert name in text


def test_long_text_wraps_at_spaces_and_inside_words_between_clusters() -> None:
    document = Document.a4(title="wrap", author="test", created=NOW)
    document.add_page()
    words = "María José Fernández de la Cruz y Rodríguez-Villanueva Hernández"
    bottom = document.line(words, 20, 20, 60, 12)
    lines = lines_of(document.output())
    assert " ".join(lines[: len(lines)]).replace("  ", " ").startswith("María José")
    assert all(document.width(line, 12) <= 60 for line in lines if line)
    assert bottom > 20 + 2 * 12 * 0.3528  # more than one line
    assert "".join(shaping.wrap(document.pdf, "ကြည်" * 40, "", 12, 30)) == "ကြည်" * 40


# -- claim slips --------------------------------------------------------------------------------


SLIPS = [
    ClaimSlip(BURMESE, "Construction Trade Test: Electrical Wiring", "01A", "7KQ2M-9XDAB", "123456", "my"),
    ClaimSlip(SPANISH, "Structural Welding (AWS D1.1)", "01B", "ABCDE-FGHJK", "654321", "es"),
    ClaimSlip(VIETNAMESE, "Commercial Cookery", "01C", "MNPQR-STVWX", "000111", "en"),
    ClaimSlip(NAMES["bengali"], "Home-based Personal Care", "01D", "YZ012-34567", "999888", "fil"),
]


def test_claim_slips_carry_each_learner_code_and_pin_three_to_a_page() -> None:
    pdf = render_claim_slips(SLIPS, WALLET_URL, now=NOW)
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 2
    first, second = lines_of(pdf, 0), lines_of(pdf, 1)
    for slip, lines in zip(SLIPS, (first, first, first, second), strict=True):
        assert slip.holder in lines
        assert slip.qualification in lines
        words = " ".join(lines).split()
        assert slip.code in words and slip.pin in words
        assert_fonts_cover(pdf, slip.holder)
    assert "ရယူရန်ကုဒ်" in first  # "Claim code" in Burmese, for the Burmese learner
    assert "Código de reclamación" in first
    assert sum("Claim code" in line for line in first) == 3  # the English beside, or alone
    assert any(WALLET_URL in line for line in first)


def test_claim_slip_qr_opens_the_wallet(tmp_path: Path) -> None:
    pdf = render_claim_slips(SLIPS[:2], WALLET_URL, now=NOW)
    images = PdfReader(io.BytesIO(pdf)).pages[0].images
    assert len(images) >= 1
    buffer = io.BytesIO()
    images[0].image.save(buffer, format="PNG")
    assert decode_image(buffer.getvalue()) == WALLET_URL
    pdftoppm = shutil.which("pdftoppm")
    if pdftoppm:  # as printed, in grey: rasterise the page at 150 dpi and scan it
        path = tmp_path / "slips.pdf"
        path.write_bytes(pdf)
        command = [pdftoppm, "-r", "150", "-gray", "-png", "-singlefile", str(path), str(tmp_path / "page")]
        subprocess.run(command, check=True)  # noqa: S603 - our own arguments
        # The page holds one QR code per slip (the verifier refuses such a picture on purpose).
        scanned = zxingcpp.read_barcodes(Image.open(tmp_path / "page.png"), formats=zxingcpp.BarcodeFormat.QRCode)
        assert [code.text for code in scanned] == [WALLET_URL] * 2


def test_claim_slips_print_in_black_and_white() -> None:
    pdf = render_claim_slips(SLIPS, WALLET_URL, now=NOW)
    for page in PdfReader(io.BytesIO(pdf)).pages:
        content = page.get_contents().get_data().decode("latin-1")
        assert not re.search(r"\b(rg|RG|k|K|sc|SC|scn|SCN)\b", content), "a colour operator in the page"
        assert "[2.5" in content or " d" in content  # dashed cut lines
        for image in page.images:
            assert image.image.mode in ("1", "L")


def test_every_shipped_font_is_package_data() -> None:
    names = {name for font in SCRIPT_FONTS for name in font.files.values()}
    folder = Path(shaping.__file__).parent / "fonts"
    assert names <= {path.name for path in folder.glob("*.ttf")}
    assert (folder / "OFL.txt").read_text().startswith("Copyright")
    assert "SHA-256" in (folder / "PROVENANCE.md").read_text()


LONG_NAME = "María José Fernández de la Cruz y Rodríguez-Villanueva Hernández " * 3 + "ကြည်ဝင်း"
LONG_TITLE = "Advanced Certificate in Industrial Electrical Installation, Maintenance and Repair of Low Voltage Systems"


def text_heights(pdf: bytes, page: int = 0) -> list[tuple[float, str]]:
    """(height above the page's bottom in points, text) of every piece of text on the page."""
    found: list[tuple[float, str]] = []

    def visit(text: str, _cm: list[float], tm: list[float], _font: object, _size: float) -> None:
        if text.strip():
            found.append((tm[5], text))

    PdfReader(io.BytesIO(pdf)).pages[page].extract_text(visitor_text=visit)
    return found


def test_a_very_long_name_and_title_still_fit_one_page_above_the_footer() -> None:
    long = WalletCard(**{**card(LONG_NAME).__dict__, "qualification": LONG_TITLE, "provider": "Jurong " * 20})
    pdf = certificate_pdf(long, qr_png(), "https://skills.example.org/verify", NOW, "my")
    assert len(PdfReader(io.BytesIO(pdf)).pages) == 1
    heights = text_heights(pdf)
    footer = min(y for y, text in heights if "Printed on" in text)
    above = [y for y, text in heights if "Printed on" not in text and "scanning it checks" not in text]
    assert min(above) > footer + 8, "the table runs into the footer"
    words = " ".join(text for _, text in heights).split()
    for word in LONG_NAME.split():
        assert word in words


def test_a_very_long_name_stays_inside_its_slip() -> None:
    slips = [ClaimSlip(LONG_NAME, LONG_TITLE, "01", f"ABCDE-FGHJ{n}", f"12345{n}", "my") for n in range(3)]
    pdf = render_claim_slips(slips, WALLET_URL, now=NOW)
    heights = text_heights(pdf)
    band = (297 - 20) / 3 * 72 / 25.4  # one slip's height in points
    for n in range(3):
        top = 842 - 10 * 72 / 25.4 - n * band
        code_height = next(y for y, text in heights if f"ABCDE-FGHJ{n}" in text)
        private = [y for y, text in heights if "Keep this slip private" in text]
        inside = [y for y in private if top - band < y < top]
        assert len(inside) == 1 and top - band < code_height < top, f"slip {n} spills out of its cut lines"


def test_the_verification_address_is_printed_whole_on_one_line() -> None:
    address = "https://skills-credentials.labour.example.org/verify"
    assert address in lines_of(certificate_pdf(card(SPANISH), qr_png(), address, NOW, "es"))
    # Longer than the column even in small type: broken after a slash only, nothing lost.
    longest = "https://skills-credentials.labour-ministry.example.org/credentials/verify"
    lines = lines_of(certificate_pdf(card(SPANISH), qr_png(), longest, NOW, "es"))
    start = next(n for n, line in enumerate(lines) if line.startswith("https://"))
    end = next(n for n in range(start, len(lines)) if "".join(lines[start : n + 1]) == longest)
    assert end > start and all(line.endswith("/") for line in lines[start:end])
