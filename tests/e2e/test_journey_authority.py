"""The origin authority's whole job in a browser, on a phone and on a laptop, through its pages only.

Accredit a foreign provider for a qualification, enrol an embassy, add a national
qualification and an equivalence, see the signed trust list's version go up with each
change, and read the indicators dashboard on a 360 px screen. Every page is checked for
console errors and serious accessibility problems.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from certsvc.store.models import Organisation, Qualification

from .conftest import LiveServer, running_service
from .journeys import VIEWPORTS, Journey, journey, viewport

__all__ = ["journey", "viewport"]  # the shared fixtures, used by name

AUTHORITY_LOGIN = "admin@ph-tesda.example"
#: The smallest text a chart may show on a 360 px screen, in CSS pixels.
READABLE_PX = 12


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A service of this module's own: its trust-list versions are this journey's to count."""
    with running_service(tmp_path_factory.mktemp("authority-journey")) as live:
        yield live


def _new_qualification(live: LiveServer, size: str) -> str:
    """A qualification a Singapore provider has just started to teach (the provider's catalogue, not TESDA's)."""
    code = f"TILE-{size.upper()}"
    with live.session() as session:
        provider = session.scalar(select(Organisation).where(Organisation.slug == "jcsc"))
        assert provider is not None
        session.add(
            Qualification(
                provider_id=provider.id,
                code=code,
                name=f"Tiling and Plastering ({size})",
                description="Certificate in tiling and plastering",
                framework="SEC(K)",
                level="2",
                isco_code="7122",
                isco_title="Floor layers and tile setters",
                asean_level=2,
            )
        )
        session.commit()
    return code


def _version(journey: Journey) -> int:
    """The trust-list version the overview says is current."""
    journey.page.get_by_role("link", name="Overview").click()
    card = journey.page.get_by_role("link", name=re.compile("Current trust-list version"))
    return int(re.search(r"\d+", card.inner_text()).group(0))  # type: ignore[union-attr]


def _flashed(journey: Journey, message: str, version: int) -> None:
    status = journey.page.get_by_role("status").filter(has_text=message)
    expect(status).to_contain_text(f"Trust list version {version} is current.")


def test_the_authority_does_its_whole_job(journey: Journey) -> None:
    page, size = journey.page, journey.size
    code = _new_qualification(journey.live, size)
    today = date.today().isoformat()

    with journey.step("sign in and land on the overview"):
        page.goto(journey.url + "/authority/")
        journey.sign_in(AUTHORITY_LOGIN)
        expect(page.get_by_role("heading", name=re.compile("^TESDA"), level=1)).to_be_visible()
        journey.check_page("the authority's overview")
        version = _version(journey)

    with journey.step("accredit a provider for a qualification"):
        page.get_by_role("link", name="Accreditations", exact=True).click()
        form = page.get_by_role("region", name="Accredit qualifications")
        form.get_by_role("button", name="Accredit").click()  # nothing chosen yet
        summary = page.get_by_role("alert").filter(has_text="There is a problem")
        expect(summary).to_be_focused()
        expect(summary.get_by_role("link", name=re.compile("^Qualifications"))).to_be_visible()
        journey.check_page("the accreditation form with errors")
        form = page.get_by_role("region", name="Accredit qualifications")
        label = f"Tiling and Plastering ({size}) · {code} (Jurong Construction Skills Centre, SG)"
        form.get_by_label("Qualifications (provider)").select_option(label=label)
        form.get_by_label("Accredited from").fill(today)
        form.get_by_role("button", name="Accredit").click()
        version += 1
        _flashed(journey, "Accreditation recorded.", version)
        row = page.get_by_role("row", name=re.compile(code))
        expect(row).to_contain_text("Jurong Construction Skills Centre (Singapore)")
        expect(row).to_contain_text("active")
        journey.check_page("the accreditations")

    with journey.step("enrol an embassy"):
        page.get_by_role("link", name="Embassies", exact=True).click()
        form = page.get_by_role("region", name="Enrol an embassy")
        form.get_by_label("Name", exact=True).fill(f"Philippine Embassy Singapore ({size})")
        form.get_by_label(re.compile("^Short name")).fill(f"ph-sg-{size}")
        form.get_by_label(re.compile("^Country where it sits")).fill("SG")
        form.get_by_role("button", name="Enrol").click()
        version += 1
        _flashed(journey, "Embassy enrolled.", version)
        expect(page.get_by_role("row", name=re.compile(f"ph-sg-{size}"))).to_contain_text("in the trust list")
        journey.check_page("the embassies")

    with journey.step("add a national qualification"):
        page.get_by_role("link", name="National qualifications", exact=True).click()
        form = page.get_by_role("region", name="Add a national qualification")
        form.get_by_label("Code", exact=True).fill(f"TILE-NCII-{size}")
        form.get_by_label("Title", exact=True).fill("Tile Setting NC II")
        form.get_by_label(re.compile("^Framework")).fill("PQF")
        form.get_by_label("Level", exact=True).fill("2")
        form.get_by_label("ISCO-08 code").fill("7122")
        form.get_by_role("button", name="Add").click()
        expect(page.get_by_role("status").filter(has_text="National qualification added.")).to_be_visible()
        expect(page.get_by_role("row", name=re.compile(f"TILE-NCII-{size}"))).to_contain_text("Tile Setting NC II")
        journey.check_page("the national catalogue")

    with journey.step("add an equivalence"):
        page.get_by_role("link", name="Equivalences", exact=True).click()
        form = page.get_by_role("region", name="Set a rule")
        form.get_by_label("Foreign qualification (provider)").select_option(label=label)
        form.get_by_label("National qualification", exact=True).select_option(
            label=f"TILE-NCII-{size} · Tile Setting NC II (PQF 2)"
        )
        form.get_by_label("Conditions or notes").fill("Practical test on return for the first cohort.")
        form.get_by_role("button", name="Save rule").click()
        version += 1
        _flashed(journey, "Equivalence rule saved.", version)
        rule = page.get_by_role("row", name=re.compile(code))
        expect(rule).to_contain_text("Tile Setting NC II")
        journey.check_page("the equivalences")

    with journey.step("see the trust list's version go up"):
        page.get_by_role("link", name="Trust list", exact=True).click()
        newest = page.get_by_role("region", name="Published trust-list versions").get_by_role("row").nth(1)
        expect(newest).to_contain_text(str(version))
        expect(newest).to_contain_text("current")
        journey.check_page("the trust-list versions")
        assert _version(journey) == version

    with journey.step("read the dashboard on a 360 px screen"):
        page.set_viewport_size(VIEWPORTS["phone"])
        page.get_by_role("banner").get_by_role("link", name="Indicators", exact=True).click()
        expect(page.get_by_role("heading", name="Indicators · TESDA")).to_be_visible()
        charts = page.get_by_role("img")
        expect(charts.first).to_be_visible()
        smallest = page.evaluate(SMALLEST_CHART_TEXT)
        assert smallest["count"] > 20 and smallest["px"] >= READABLE_PX, smallest
        assert smallest["outside"] == [], f"labels cut off: {smallest['outside']}"
        figure = page.get_by_role("figure", name="Credentials issued by qualification")
        figure.get_by_text("Data table", exact=True).click()
        expect(figure.get_by_role("region", name=re.compile("^Data table"))).to_be_visible()
        journey.check_page("the indicators on a phone")


#: The rendered size of the smallest text in the page's charts, and any text that pokes out of its chart.
SMALLEST_CHART_TEXT = """() => {
  const sizes = [], outside = [];
  for (const svg of document.querySelectorAll("figure.chart svg")) {
    const frame = svg.getBoundingClientRect();
    for (const text of svg.querySelectorAll("text")) {
      const box = text.getBoundingClientRect();
      if (!box.width) continue;
      sizes.push(parseFloat(getComputedStyle(text).fontSize) * frame.width / svg.viewBox.baseVal.width);
      if (box.left < frame.left - 1 || box.right > frame.right + 1) outside.push(text.textContent.trim());
    }
  }
  return {count: sizes.length, px: Math.min(...sizes), outside};
}"""


def test_signing_in_from_the_sign_in_page_lands_on_the_overview(journey: Journey) -> None:
    journey.page.goto(journey.url + "/login")
    journey.sign_in(AUTHORITY_LOGIN)
    expect(journey.page).to_have_url(re.compile(r"/authority/$"), timeout=3_000)
