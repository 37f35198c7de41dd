"""The training centre's whole job in a browser, on a phone and on a laptop, through its pages only.

Sign in and land on the workspace, register a learner (one mistake, corrected from the error
summary), issue a training credential, record a prior-skills assessment, find them again.
Then a cohort: import 200 rows with 3 bad ones, fix the file, confirm, watch the import finish,
download its claim slips once (the PDF reads back every learner's name and code) and give one
learner a new claim code.
Every page is checked for console errors and serious accessibility problems.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from datetime import date, timedelta

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from .conftest import LiveServer, running_service
from .journeys import Journey, journey, viewport

__all__ = ["journey", "viewport"]  # the shared fixtures, used by name

PROVIDER_LOGIN = "officer@klwa.example"
COHORT_ROWS = 200
HEADER = ("external_id", "name", "birth_date", "nationality", "id_number", "sex", "qualification_code", "kind",
          "assessment_method", "evidence_summary", "assessed_on", "assessor")  # fmt: skip
#: Lines (as the spreadsheet numbers them: the header is line 1) that the first upload gets wrong.
BAD_LINES = {5: "birth_date", 60: "nationality", 151: "qualification_code"}


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A service of this module's own: the cohorts it imports stay out of the other journeys."""
    with running_service(tmp_path_factory.mktemp("provider-journey")) as live:
        yield live


def cohort_csv(size: str, *, with_mistakes: bool, rows: int = COHORT_ROWS) -> bytes:
    """A cohort of Filipino welders and carers; with mistakes, three rows are wrong."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADER)
    for n in range(rows):
        line = n + 2
        row = [f"J-{size}-{n:04d}", f"Cohort {size.title()} Worker {n:03d}", f"19{80 + n % 20}-0{1 + n % 9}-11", "PH",
               f"PJ{size[0].upper()}{n:06d}", "F" if n % 2 else "M", "SMAW2", "training", "", "", "", ""]  # fmt: skip
        if n % 5 == 4:
            assessed = (date.today() - timedelta(days=7)).isoformat()
            row[6:] = ["CARE2", "prior_skills", "practical_test", "Transfers and feeding observed.", assessed, "A. Lim"]
        if with_mistakes and line in BAD_LINES:
            column = BAD_LINES[line]
            row[HEADER.index(column)] = {"birth_date": "1990-02-30", "nationality": "Filipino"}.get(column, "WELD9")
        writer.writerow(row)
    return out.getvalue().encode()


def test_the_training_centre_does_its_whole_job(journey: Journey) -> None:
    page, size = journey.page, journey.size
    name = f"Lourdes {size.title()} Villanueva"
    id_number, typed_loosely = {"phone": ("P4455667K", "p 445 5667 k"), "desktop": ("P9988776K", "p-998-8776 k")}[size]

    with journey.step("sign in and land on the workspace"):
        page.goto(journey.url + "/provider/")
        expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
        journey.sign_in(PROVIDER_LOGIN)
        expect(page).to_have_url(re.compile(r"/provider/$"))
        expect(page.get_by_role("heading", name="Kuala Lumpur Welding Academy", level=1)).to_be_visible()
        expect(page.get_by_role("heading", name="Credentials by state")).to_be_visible()
        journey.check_page("the provider's workspace")

    with journey.step("register a learner with a mistake"):
        page.get_by_role("link", name="Learners", exact=True).click()
        expect(page.get_by_role("heading", name="Register a learner")).to_be_visible()
        page.get_by_label("Full name").fill(name)
        page.get_by_label("Birth date").fill("1993-06-18")
        page.get_by_label(re.compile("^Nationality")).fill("Filipino")  # the mistake
        page.get_by_label(re.compile("^ID document number")).fill(id_number)
        page.get_by_label(re.compile("^Sex")).select_option("F")
        page.get_by_role("button", name="Register learner").click()
        summary = page.get_by_role("alert").filter(has_text="There is a problem")
        expect(summary).to_be_visible()
        expect(summary).to_be_focused()
        expect(page).to_have_title(re.compile("^Error: "))
        journey.check_page("the register form with an error")

    with journey.step("correct it from the error summary"):
        summary.get_by_role("link", name=re.compile("Use a two-letter country code")).click()
        nationality = page.get_by_label(re.compile("^Nationality"))
        expect(nationality).to_be_focused()
        expect(nationality).to_have_attribute("aria-invalid", "true")
        nationality.fill("PH")
        expect(page.get_by_label("Full name")).to_have_value(name)  # what was typed is kept
        page.get_by_role("button", name="Register learner").click()
        expect(page.get_by_role("heading", name=name, level=1)).to_be_visible()
        expect(page.get_by_role("status").filter(has_text=f"Learner {name} registered.")).to_be_visible()
        journey.check_page("the new learner")

    with journey.step("issue a training credential"):
        page.get_by_label("Qualification", exact=True).select_option(label="Commercial Cookery (COOK2)")
        page.get_by_role("button", name="Issue training credential").click()
        expect(page.get_by_role("heading", name="Credential issued")).to_be_visible()
        expect(page.get_by_text("Commercial Cookery", exact=True)).to_be_visible()
        expect(page.get_by_role("img", name=re.compile("^QR code of credential"))).to_be_visible()
        expect(page.get_by_role("heading", name="Claim code for the learner")).to_be_visible()
        training_id = re.search(r"/credentials/([0-9A-Z]+)/receipt", page.url).group(1)  # type: ignore[union-attr]
        journey.check_page("the issuance receipt")

    with journey.step("reload the receipt: the code was shown once, nothing is issued twice"):
        page.reload()
        expect(page.get_by_role("heading", name="Credential issued")).to_be_visible()
        expect(page.get_by_role("heading", name="Claim code for the learner")).to_have_count(0)
        expect(page.get_by_text("were shown once, when the credential was issued")).to_be_visible()

    with journey.step("record a prior-skills assessment"):
        page.get_by_role("link", name="Back to the learner").click()
        form = page.locator("form", has=page.get_by_role("button", name="Record assessment and issue credential"))
        form.get_by_label("Skills the worker brought").select_option(label="Home-based Personal Care (CARE2)")
        form.get_by_label("Assessment method").select_option(label="Portfolio of work")
        form.get_by_label(re.compile("^Evidence seen")).fill("Photos and employer letters of two years of home care.")
        form.get_by_label("Assessor name").fill("Aisyah Rahman")
        form.get_by_label("Assessment date").fill((date.today() - timedelta(days=1)).isoformat())
        form.get_by_role("button", name="Record assessment and issue credential").click()
        expect(page.get_by_role("heading", name="Credential issued")).to_be_visible()
        expect(page.get_by_text("Prior skills (recognised on arrival)")).to_be_visible()
        prior_id = re.search(r"/credentials/([0-9A-Z]+)/receipt", page.url).group(1)  # type: ignore[union-attr]

    with journey.step("find the learner's credentials again"):
        page.get_by_role("link", name="Credentials", exact=True).click()
        search = page.get_by_role("search", name="Search credentials")
        search.get_by_label(re.compile("^Name, ID document number")).fill(typed_loosely)  # the ID number, typed loosely
        search.get_by_role("button", name="Filter").click()
        results = page.get_by_role("region", name="Credentials")
        expect(results.get_by_role("link", name=training_id)).to_be_visible()
        expect(results.get_by_role("link", name=prior_id)).to_be_visible()
        expect(results.get_by_role("row")).to_have_count(3)  # the header and the two
        journey.check_page("the credentials found by ID number")
        results.get_by_role("link", name=training_id).click()
        expect(page.get_by_role("heading", name=f"Credential {training_id}")).to_be_visible()
        expect(page.get_by_text("Awaiting embassy co-signature").first).to_be_visible()
        expect(page.get_by_role("button", name="Revoke")).to_be_visible()
        journey.check_page("a credential's details")


def test_the_cohorts_claim_slips_download_as_a_pdf_that_reads_back(journey: Journey) -> None:
    """Import a cohort (three bad rows, fixed), watch it finish, take its claim slips once, read them back."""
    page, size = journey.page, journey.size

    with journey.step("sign in at the import page"):
        page.goto(journey.url + "/provider/imports")
        journey.sign_in(PROVIDER_LOGIN)
        expect(page.get_by_role("heading", name="Import a cohort", level=1)).to_be_visible()

    with journey.step("upload a cohort with three bad rows"):
        journey.check_page("the import page")
        upload = {"name": f"cohort-{size}.csv", "mimeType": "text/csv"}
        page.get_by_label("Cohort file (.csv)").set_input_files(
            {**upload, "buffer": cohort_csv(size, with_mistakes=True)}
        )
        page.get_by_role("button", name="Check the file").click()
        summary = page.get_by_role("alert").filter(has_text="There is a problem")
        expect(summary).to_be_focused()
        for line in BAD_LINES:
            expect(summary.get_by_role("link", name=re.compile(f"^Line {line}, "))).to_be_visible()
        expect(page.get_by_text("3 problem(s) in 3 row(s). Nothing was issued.")).to_be_visible()
        journey.check_page("the cohort's problems")

    with journey.step("upload the corrected file and confirm"):
        summary.get_by_role("link", name=re.compile("^Correct the file")).click()
        corrected = page.get_by_label("Corrected cohort file (.csv)")
        expect(corrected).to_be_focused()
        corrected.set_input_files({**upload, "buffer": cohort_csv(size, with_mistakes=False)})
        page.get_by_role("button", name="Check the file").click()
        expect(page.get_by_role("status").filter(has_text=f"All {COHORT_ROWS} rows are valid.")).to_be_visible()
        journey.check_page("the cohort ready to issue")
        page.get_by_role("button", name=f"Issue {COHORT_ROWS} credential(s)").click()

    with journey.step("watch the import's progress"):
        expect(page.get_by_role("heading", name=re.compile(r"^Import batch #\d+"))).to_be_visible()
        expect(page.locator("#batch-state")).to_contain_text("Done", timeout=60_000)
        expect(page.locator("#batch-progress")).to_have_text(f"{COHORT_ROWS} / {COHORT_ROWS}")
        expect(page.locator("#batch-issued")).to_have_text(str(COHORT_ROWS))
        expect(page.get_by_text("Import complete.")).to_be_visible()
        journey.check_page("the finished import")

    with journey.step("download the claim slips (PDF) once"):
        slips = page.get_by_role("region", name="Claim slips")
        expect(slips.get_by_text("The codes can be downloaded once")).to_be_visible()
        with page.expect_download() as download:
            slips.get_by_role("button", name="Download claim slips (PDF)").click()
        expect(slips.get_by_role("status")).to_contain_text("The claim slips are downloading.")
        expect(slips.get_by_role("button", name="Download claim slips (CSV)")).to_be_hidden()
        assert re.fullmatch(r"claim-slips-batch-\d+\.pdf", download.value.suggested_filename)
        text = "\n".join(p.extract_text() for p in PdfReader(download.value.path()).pages)
        for n in range(COHORT_ROWS):
            assert f"Cohort {size.title()} Worker {n:03d}" in text
        codes = re.findall(r"\b[0-9A-Z]{5}-[0-9A-Z]{5}\b", text)
        assert len(set(codes)) == COHORT_ROWS
        journey.check_page("the import after downloading its slips")

    with journey.step("the page says the slips were taken, and when"):
        page.reload()
        expect(slips.get_by_text(re.compile(r"^The claim slips were downloaded on \d{4}-\d\d-\d\d"))).to_be_visible()
        expect(slips.get_by_role("button")).to_have_count(0)
        journey.check_page("the import whose slips were taken")

    with journey.step("find an imported learner"):
        page.get_by_role("link", name="Learners", exact=True).click()
        search = page.get_by_role("search", name="Search learners")
        search.get_by_label("Name or ID document number").fill(f"worker 117 cohort {size}")
        search.get_by_role("button", name="Search").click()
        expect(page.get_by_role("link", name=f"Cohort {size.title()} Worker 117")).to_be_visible()
        journey.check_page("the learners found by name")

    with journey.step("issue a new claim code for a learner who lost their slip"):
        page.get_by_role("link", name=f"Cohort {size.title()} Worker 117").click()
        page.get_by_role("table").get_by_role("link").first.click()
        expect(page.get_by_text("Not yet in the holder's wallet.")).to_be_visible()
        page.get_by_role("link", name="Issue a new claim code").click()
        expect(page.get_by_role("heading", name="Issue a new claim code?")).to_be_visible()
        expect(page.get_by_text(re.compile("will stop working"))).to_be_visible()
        journey.check_page("the question before a new claim code")
        page.get_by_role("button", name="Issue a new claim code").click()
        expect(page.get_by_role("heading", name="New claim code issued")).to_be_visible()
        new_code = page.locator(".claim-once .secret").first.inner_text()
        assert re.fullmatch(r"[0-9A-Z]{5}-[0-9A-Z]{5}", new_code) and new_code not in codes
        expect(page).to_have_url(re.compile(r"/provider/credentials/[0-9A-Z]+$"))  # a reload shows no code
        journey.check_page("the new claim code")
        page.reload()
        expect(page.get_by_role("heading", name=re.compile("^Credential "))).to_be_visible()
        expect(page.get_by_text(new_code)).to_have_count(0)


def test_signing_in_from_the_sign_in_page_lands_on_the_workspace(journey: Journey) -> None:
    journey.page.goto(journey.url + "/login")
    journey.sign_in(PROVIDER_LOGIN)
    expect(journey.page).to_have_url(re.compile(r"/provider/$"), timeout=3_000)
