"""The authority's indicators dashboard in a real browser: the charts render, with bars of real size and
pixels on screen, the data tables open, filters apply and every chart downloads as CSV.

The test runs its own seeded service (the shared one has a single month of data) and adds
six months of history, so that every chart has something to draw.
"""

from __future__ import annotations

import io
import random
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from playwright.sync_api import expect
from sqlalchemy import select

from certsvc.store.models import Credential, Learner, Organisation, StatusListRecord, VerificationEvent

from .conftest import DEMO_PASSWORD, LiveServer, assert_accessible, running_service

AUTHORITY_LOGIN = "admin@ph-tesda.example"
#: Charts drawn with bars, and at least how many bars each must show.
BAR_CHARTS = {"issued-by-kind": 6, "issued-by-sex": 6, "issued-by-qualification": 2, "cosigned-by-embassy": 1}


@pytest.fixture(scope="module")
def dashboard_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with running_service(tmp_path_factory.mktemp("dashboard")) as live:
        with live.session() as session:
            _add_history(session)
            session.commit()
        yield live


def _add_history(session: Any) -> None:
    """Six earlier months of PH credentials at KLWA, co-signed, some verified at home."""
    rng = random.Random(11)
    provider = session.scalar(select(Organisation).where(Organisation.slug == "klwa"))
    embassy = session.scalar(select(Organisation).where(Organisation.slug == "ph-kl"))
    status_list = session.scalar(select(StatusListRecord).where(StatusListRecord.org_id == provider.id))
    start = datetime.now(UTC).replace(day=1, hour=9, minute=0, second=0, microsecond=0) - timedelta(days=180)
    for n in range(90):
        issued = start + timedelta(days=n * 2)
        learner = Learner(
            provider_id=provider.id,
            name=f"History {n}",
            birth_date=date(1990, 1, 1),
            nationality="PH",
            id_number_hash="h",
            id_number_salt="s",
            sex=rng.choice(("F", "M", "F", None)),
        )
        session.add(learner)
        session.flush()
        credential = Credential(
            public_id=f"HIST{n:04d}",
            provider_id=provider.id,
            learner_id=learner.id,
            kind=rng.choice(("training", "training", "prior_skills")),
            qualification_code=rng.choice(("SMAW2", "COOK2", "CARE2")),
            state="cosigned",
            payload=b"{}",
            provider_jws="x",
            cosign_jws="y",
            embassy_id=embassy.id,
            status_list_id=status_list.id,
            status_idx=5000 + n,
            issued_at=issued,
            cosigned_at=issued + timedelta(days=rng.randrange(1, 15)),
        )
        session.add(credential)
        session.flush()
        if n % 2:
            when = issued + timedelta(days=20)
            session.add(VerificationEvent(at=when, result="recognized", country="PH", credential_id=credential.id))


def _sign_in(page: Any, live: LiveServer) -> None:
    page.goto(live.url + "/login")
    page.get_by_label("Email").fill(AUTHORITY_LOGIN)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def _ink(png: bytes) -> tuple[float, set[tuple[int, int, int]]]:
    """The share of pixels that are not (near) white, and the distinct colours among them."""
    image = Image.open(io.BytesIO(png)).convert("RGB")
    counts = image.getcolors(image.width * image.height) or []
    inked = {colour: n for n, colour in counts if min(colour) < 235}
    return sum(inked.values()) / (image.width * image.height), set(inked)


def test_the_dashboard_charts_render_in_a_browser(browser: Any, dashboard_server: LiveServer, tmp_path: Path) -> None:
    context = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 900}, accept_downloads=True)
    context.set_default_timeout(15_000)
    page = context.new_page()
    _sign_in(page, dashboard_server)
    page.goto(dashboard_server.url + "/authority/indicators")
    expect(page.get_by_role("heading", name="Indicators · TESDA")).to_be_visible()
    charts = page.locator("figure.chart svg[role=img]")
    expect(charts).to_have_count(10)

    for key, at_least in BAR_CHARTS.items():
        svg = page.locator(f"#chart-{key} svg")
        svg.scroll_into_view_if_needed()
        expect(svg).to_be_visible()
        bars = svg.locator("rect.bar")
        assert bars.count() >= at_least, key
        sizes = [bars.nth(i).bounding_box() for i in range(bars.count())]
        assert all(box and box["width"] > 0 and box["height"] > 0 for box in sizes), key
        share, colours = _ink(svg.screenshot())
        assert share > 0.03, (key, share)  # not a blank picture
        assert len(colours) > 3, key
    line = page.locator("#chart-issued-by-corridor svg polyline.line")
    assert line.count() >= 1 and line.first.bounding_box()["width"] > 100

    # The kind chart shows both series' colours (Okabe–Ito blue and orange).
    _share, colours = _ink(page.locator("#chart-issued-by-kind svg").screenshot())
    assert any(abs(r - 0x00) < 20 and abs(g - 0x72) < 20 and abs(b - 0xB2) < 20 for r, g, b in colours)
    assert any(abs(r - 0xE6) < 20 and abs(g - 0x9F) < 20 and abs(b - 0x00) < 20 for r, g, b in colours)
    page.screenshot(path=str(tmp_path / "dashboard.png"), full_page=True)

    # The data table behind a chart opens, and the chart downloads as CSV.
    figure = page.locator("#chart-issued-by-kind")
    figure.locator("summary", has_text="Data table").click()
    expect(figure.locator("table tbody tr").first).to_be_visible()
    with page.expect_download() as download:
        figure.get_by_role("link", name="Download CSV").click()
    content = Path(download.value.path()).read_bytes().decode("utf-8")
    assert content.startswith("Month,Training,Prior skills\r\n") and content.count("\r\n") >= 7

    # A filter narrows the figures and the CSV links carry it.
    page.locator("form.filters select[name=corridor]").select_option("MY")
    page.get_by_role("button", name="Apply").click()
    expect(page).to_have_url(re.compile(r"corridor=MY"))
    expect(charts).to_have_count(10)
    assert "corridor=MY" in (figure.get_by_role("link", name="Download CSV").get_attribute("href") or "")
    assert_accessible(page, context="on the indicators dashboard")
    context.close()


def test_the_public_version_renders_without_signing_in(browser: Any, dashboard_server: LiveServer) -> None:
    context = browser.new_context(locale="en-GB", viewport={"width": 412, "height": 915})
    page = context.new_page()
    page.goto(dashboard_server.url + "/indicators/ph-tesda")
    expect(page.get_by_role("heading", name="Skills recognition indicators · TESDA")).to_be_visible()
    svg = page.locator("#chart-issued-by-kind svg")
    svg.scroll_into_view_if_needed()
    assert svg.locator("rect.bar").count() >= 1
    share, _colours = _ink(svg.screenshot())
    assert share > 0.03
    assert "History 1" not in page.content()  # no personal data
    assert_accessible(page, context="on the public indicators")
    context.close()
