"""Indicators: every figure against a hand-counted fixture, the CSV downloads, the charts, and the public
version's suppression of small counts."""

from __future__ import annotations

import csv
import io
import itertools
import random
import re
import statistics
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from certsvc.authority import indicators
from certsvc.authority.charts import FONT, LABEL_CHARS, WIDTH, chart_for, nice_ticks, wrap_label
from certsvc.authority.indicator_tables import SUPPRESSED, Cell, Table, build, csv_text, public_count, share
from certsvc.authority.indicators import Figures, Filters
from certsvc.store import db
from certsvc.store.models import (
    Accreditation,
    Credential,
    Learner,
    Organisation,
    OrgKind,
    Qualification,
    Role,
    StatusListRecord,
    VerificationEvent,
)

from .support import PASSWORD, login, make_org, make_user


def at(day: str, hour: int = 0) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=UTC)


@dataclass(frozen=True)
class Row:
    """One credential of the fixture, as the table in the module docstring of the test data reads."""

    provider: str
    qualification: str
    kind: str
    sex: str | None
    issued: str
    state: str
    cosigned: datetime | None = None
    reason: str | None = None  # the officer's note
    code: str | None = None  # the reason code (None: a free-text reason from before the fixed list)
    revoked: str | None = None
    withdrawn: str | None = None
    nationality: str = "PH"


HOURS = "Hours do not match."
MISSING = "Missing evidence."
TRAINING = "training_record_mismatch"
#: The hand-counted fixture. Embassy: the PH embassy in the provider's country (none for Myanmar).
ROWS = [
    Row("prov-my", "WELD", "training", "F", "2026-01-05", "cosigned", at("2026-01-07")),  # 1: 2 days
    Row("prov-my", "WELD", "training", "M", "2026-01-20", "cosigned", at("2026-01-24")),  # 2: 4 days
    Row("prov-my", "COOK", "prior_skills", "F", "2026-01-25", "rejected", reason=HOURS, code=TRAINING),  # 3
    Row("prov-my", "COOK", "training", None, "2026-02-03", "awaiting_cosign"),  # 4
    Row("prov-my", "WELD", "training", "F", "2026-02-10", "revoked", at("2026-02-11"), revoked="2026-03-02"),  # 5: 1
    Row("prov-sg", "CARE", "prior_skills", "X", "2026-02-15", "cosigned", at("2026-02-25"), withdrawn="2026-03-05"),
    Row("prov-sg", "CARE", "training", "F", "2026-03-01", "rejected", reason=HOURS, code=TRAINING),  # 7
    Row("prov-sg", "CARE", "training", "M", "2026-03-09", "rejected", reason=MISSING),  # 8
    Row("prov-my", "WELD", "training", "F", "2026-03-15", "cosigned", at("2026-03-21", 12)),  # 9: 6.5 days
    Row("prov-my", "WELD", "training", "F", "2026-01-10", "awaiting_cosign", nationality="MM"),  # 10: not PH
    Row("prov-my", "WELD", "training", "M", "2025-12-20", "cosigned", at("2025-12-28")),  # 11: 8 days
]
#: (credential number, when, country); None: an event not linked to any credential.
EVENTS = [
    (1, "2026-02-01", "PH"),
    (1, "2026-02-03", "MY"),
    (2, "2026-03-10", "MY"),
    (6, "2026-03-02", "PH"),
    (9, "2026-03-20", "PH"),
    (9, "2026-03-25", "PH"),
    (10, "2026-02-01", "MM"),
    (None, "2026-02-01", "PH"),
]


def build_fixture(session: Session) -> dict[str, Organisation]:
    """Organisations, learners, credentials and verification events of the hand-counted fixture."""
    orgs = {
        "ph-auth": make_org(session, "ph-auth", OrgKind.AUTHORITY, country="PH"),
        "prov-my": make_org(session, "prov-my", OrgKind.PROVIDER, country="MY"),
        "prov-sg": make_org(session, "prov-sg", OrgKind.PROVIDER, country="SG"),
        "emb-my": make_org(session, "emb-my", OrgKind.EMBASSY, country="PH", host_country="MY", name="PH Embassy KL"),
        "emb-sg": make_org(session, "emb-sg", OrgKind.EMBASSY, country="PH", host_country="SG", name="PH Embassy SG"),
    }
    lists = {}
    for slug, codes in (("prov-my", ("WELD", "COOK")), ("prov-sg", ("CARE",))):
        provider = orgs[slug]
        lists[slug] = StatusListRecord(org_id=provider.id, list_number=1, size=1024)
        session.add(lists[slug])
        for code in codes:
            q = Qualification(
                provider_id=provider.id,
                code=code,
                name={"WELD": "Welding", "COOK": "Cookery", "CARE": "Caregiving"}[code],
                description="",
                framework="SKM",
                level="2",
                isco_code="7212",
                isco_title="",
            )
            session.add(q)
            session.flush()
            session.add(
                Accreditation(authority_id=orgs["ph-auth"].id, qualification_id=q.id, valid_from=date(2024, 1, 1))
            )
    session.flush()
    credentials = [_credential(session, n, row, orgs, lists) for n, row in enumerate(ROWS, start=1)]
    for number, day, country in EVENTS:
        credential_id = credentials[number - 1].id if number else None
        session.add(
            VerificationEvent(at=at(day, 10), result="recognized", country=country, credential_id=credential_id)
        )
    session.commit()
    return orgs


def _credential(session: Session, n: int, row: Row, orgs: dict[str, Organisation], lists: dict) -> Credential:
    provider = orgs[row.provider]
    learner = Learner(
        provider_id=provider.id,
        name=f"Secret Name {n}",
        birth_date=date(1990, 1, 1) + timedelta(days=n),
        nationality=row.nationality,
        id_number_hash="h",
        id_number_salt="s",
        sex=row.sex,
    )
    session.add(learner)
    session.flush()
    embassy = None if row.nationality != "PH" else orgs["emb-my" if row.provider == "prov-my" else "emb-sg"]
    credential = Credential(
        public_id=f"FIX{n:05d}",
        provider_id=provider.id,
        learner_id=learner.id,
        kind=row.kind,
        qualification_code=row.qualification,
        state=row.state,
        payload=b"{}",
        provider_jws="x",
        cosign_jws="y" if row.cosigned else None,
        embassy_id=embassy.id if embassy else None,
        reject_reason=row.reason,
        reject_code=row.code,
        status_list_id=lists[row.provider].id,
        status_idx=n,
        issued_at=at(row.issued),
        cosigned_at=row.cosigned,
        revoked_at=at(row.revoked) if row.revoked else None,
        withdrawn_at=at(row.withdrawn) if row.withdrawn else None,
    )
    session.add(credential)
    session.flush()
    return credential


@pytest.fixture
def fixture(db_session: Session) -> Session:
    build_fixture(db_session)
    return db_session


def test_issued_counts_match_the_hand_count(fixture: Session) -> None:
    figures = indicators.figures(fixture, Filters("PH"))
    assert figures.total_issued == 10  # the Myanmar learner's credential is not PH's
    assert figures.months() == ["2025-12", "2026-01", "2026-02", "2026-03"]
    assert figures.issued_by("corridor") == {
        ("2025-12", "MY → PH"): 1,
        ("2026-01", "MY → PH"): 3,
        ("2026-02", "MY → PH"): 2,
        ("2026-02", "SG → PH"): 1,
        ("2026-03", "MY → PH"): 1,
        ("2026-03", "SG → PH"): 2,
    }
    assert figures.issued_by("kind") == {
        ("2025-12", "training"): 1,
        ("2026-01", "training"): 2,
        ("2026-01", "prior_skills"): 1,
        ("2026-02", "training"): 2,
        ("2026-02", "prior_skills"): 1,
        ("2026-03", "training"): 3,
    }
    assert figures.issued_by("sex") == {
        ("2025-12", "M"): 1,
        ("2026-01", "F"): 2,
        ("2026-01", "M"): 1,
        ("2026-02", "F"): 1,
        ("2026-02", "X"): 1,
        ("2026-02", "not recorded"): 1,
        ("2026-03", "F"): 2,
        ("2026-03", "M"): 1,
    }
    assert [(q.label, q.count) for q in figures.qualifications] == [
        ("Welding (Prov My)", 5),
        ("Caregiving (Prov Sg)", 3),
        ("Cookery (Prov My)", 2),
    ]


def test_embassy_rejection_revocation_and_verification_figures(fixture: Session) -> None:
    figures = indicators.figures(fixture, Filters("PH"))
    embassies = {e.embassy: (e.credentials, e.cosigned, e.rejected, e.median_days) for e in figures.embassies}
    assert embassies == {"PH Embassy KL": (7, 5, 1, 4.0), "PH Embassy SG": (3, 1, 2, 10.0)}
    # Counted by reason code; a free-text reason from before the list counts as "other", its text kept aside.
    assert figures.rejection_reasons == [(TRAINING, 2), ("other", 1)]
    assert figures.other_notes == [(MISSING, 1)]
    assert figures.revocations == {("2026-03", "revoked"): 1, ("2026-03", "co-signature withdrawn"): 1}
    assert figures.verifications == {
        ("2026-02", "at home"): 1,
        ("2026-02", "elsewhere"): 1,
        ("2026-03", "at home"): 3,
        ("2026-03", "elsewhere"): 1,
    }
    assert figures.verified_home == {"MY": (7, 2), "SG": (3, 1)}
    assert figures.corridors == ["MY", "SG"]


def test_filters_by_date_range_and_corridor(fixture: Session) -> None:
    figures = indicators.figures(fixture, Filters("PH", date(2026, 1, 1), date(2026, 3, 31), "MY"))
    assert figures.total_issued == 6
    assert figures.months() == ["2026-01", "2026-02", "2026-03"]
    assert [(e.embassy, e.credentials, e.cosigned, e.rejected, e.median_days) for e in figures.embassies] == [
        ("PH Embassy KL", 6, 4, 1, 3.0)  # median of 1, 2, 4 and 6.5 days
    ]
    assert figures.rejection_reasons == [(TRAINING, 1)] and figures.other_notes == []
    assert figures.revocations == {("2026-03", "revoked"): 1}  # the withdrawal was in the SG corridor
    assert figures.verifications == {
        ("2026-02", "at home"): 1,
        ("2026-02", "elsewhere"): 1,
        ("2026-03", "at home"): 2,
        ("2026-03", "elsewhere"): 1,
    }
    assert figures.verified_home == {"MY": (6, 2)}
    only_february = indicators.figures(fixture, Filters("PH", date(2026, 2, 1), date(2026, 2, 28)))
    assert only_february.total_issued == 3 and only_february.revocations == {}


def test_the_median_agrees_with_python_on_random_data(db_session: Session) -> None:
    orgs = build_fixture(db_session)
    rng = random.Random(5)
    days: list[float] = []
    lists = {r.org_id: r for r in db_session.query(StatusListRecord)}
    for n in range(100, 157):  # with the fixture's five co-signed credentials: 62, an even count
        hours = rng.randrange(1, 24 * 30)
        days.append(hours / 24)
        row = Row(
            "prov-my", "WELD", "training", "F", "2026-04-01", "cosigned", at("2026-04-01") + timedelta(hours=hours)
        )
        _credential(db_session, n, row, orgs, {"prov-my": lists[orgs["prov-my"].id]})
    db_session.commit()
    medians = indicators.median_days_to_cosign(db_session, Filters("PH"))
    expected = statistics.median([*days, 2, 4, 1, 6.5, 8])
    assert medians[orgs["emb-my"].id] == pytest.approx(expected, abs=1e-6)


def test_authority_tables_are_exact_and_download_as_csv(fixture: Session) -> None:
    board = build(indicators.figures(fixture, Filters("PH")), public=False)
    assert [h.cell.text for h in board.headlines] == ["10", "60.0", "30.0", "1"]
    corridor = board.table("issued-by-corridor")
    assert corridor is not None
    assert csv_text(corridor) == (
        "Month,MY → PH,SG → PH\r\n2025-12,1,0\r\n2026-01,3,0\r\n2026-02,2,1\r\n2026-03,1,2\r\n"
    )
    embassies = board.table("cosigned-by-embassy")
    assert embassies is not None
    rows = list(csv.reader(io.StringIO(csv_text(embassies))))
    assert rows == [
        ["Embassy", "Credentials", "Co-signed", "Rejected", "Share co-signed", "Median days to co-signature"],
        ["PH Embassy KL", "7", "5", "1", "71.4", "4.0"],
        ["PH Embassy SG", "3", "1", "2", "33.3", "10.0"],
    ]


def test_public_counts_hide_small_numbers_and_round_the_rest() -> None:
    assert [public_count(n).text for n in (0, 1, 4, 5, 7, 8, 12, 13, 102)] == [
        "0",
        "<5",
        "<5",
        "5",
        "5",
        "10",
        "10",
        "15",
        "100",
    ]
    assert public_count(3).value is None
    assert share(public_count(12), public_count(15), True).text == "66.7"  # from the rounded 10 and 15
    assert share(public_count(3), public_count(40), True).value is None  # a small part
    assert share(public_count(38), public_count(40), True).value is None  # a small remainder


def test_no_suppressed_count_can_be_worked_out_from_the_public_tables(fixture: Session) -> None:
    """Brute force: for every month, any value 1-4 of a suppressed cell fits all published figures."""
    figures = _bigger(indicators.figures(fixture, Filters("PH")))
    board = build(figures, public=True)
    tables = [board.table(k) for k in ("issued-by-corridor", "issued-by-kind", "issued-by-sex")]
    for month in figures.months():
        true_total = sum(n for (m, _), n in figures.issued_by("kind").items() if m == month)
        # Every month total from 0 to twice the truth, that each table's published row allows:
        possible = set(range(2 * true_total + 10))
        for table in tables:
            assert table is not None
            possible &= _totals_consistent_with(table, month)
        assert true_total in possible
        for table in tables:
            assert table is not None
            for column in table.columns:
                if table.cell(month, column).text == SUPPRESSED:
                    others = [table.cell(month, c) for c in table.columns if c != column]
                    candidates = {v for v in range(1, 5) if any(t - v in _sums(others) for t in possible)}
                    assert len(candidates) > 1, (table.key, month, column, candidates)


def _bigger(figures: Figures) -> Figures:
    """The fixture's months with larger counts, so rounding and suppression mix in one row."""
    figures.issued = {
        ("2026-01", "MY", "training", "F"): 12,
        ("2026-01", "MY", "prior_skills", "M"): 3,
        ("2026-01", "SG", "training", "F"): 21,
        ("2026-02", "MY", "training", "X"): 1,
        ("2026-02", "SG", "training", "F"): 7,
        ("2026-02", "SG", "prior_skills", "not recorded"): 9,
    }
    return figures


def _sums(cells: list[Cell]) -> set[int]:
    """Every total the published cells allow (a rounded count r is r-2..r+2, "<5" is 1..4)."""
    ranges = []
    for cell in cells:
        if cell.text == SUPPRESSED:
            ranges.append(range(1, 5))
        elif cell.value == 0:
            ranges.append(range(0, 1))
        else:
            value = int(cell.value or 0)
            ranges.append(range(max(5, value - 2), value + 3))
    return {sum(combo) for combo in itertools.product(*ranges)}


def _totals_consistent_with(table: Any, month: str) -> set[int]:
    return _sums([table.cell(month, c) for c in table.columns])


def test_charts_are_drawn_from_the_tables(fixture: Session) -> None:
    board = build(indicators.figures(fixture, Filters("PH")), public=False)
    kind = chart_for(board.table("issued-by-kind"))  # type: ignore[arg-type]
    assert len(kind.bars) == 6 and all(b.height > 0 and b.width > 0 for b in kind.bars)
    assert {b.label for b in kind.bars} >= {"2026-01, training: 2", "2026-03, training: 3"}
    line = chart_for(board.table("issued-by-corridor"))  # type: ignore[arg-type]
    assert [len(s) for s in line.lines[0].segments] == [4]
    share_chart = chart_for(board.table("cosigned-by-embassy"))  # type: ignore[arg-type]
    assert [b.label for b in share_chart.bars] == ["PH Embassy KL: 71.4 %", "PH Embassy SG: 33.3 %"]
    public_kind = chart_for(build(indicators.figures(fixture, Filters("PH")), public=True).table("issued-by-kind"))  # type: ignore[arg-type]
    assert public_kind.bars == []  # every count is below 5: nothing drawn
    assert nice_ticks(7) == [0, 2, 4, 6, 8] and nice_ticks(0.6, whole=False)[-1] >= 0.6


# -- the pages ------------------------------------------------------------------------------


@pytest.fixture
def site(app: Flask) -> Flask:
    with db.session_factory(app)() as session:
        orgs = build_fixture(session)
        make_user(session, orgs["ph-auth"], "admin@ph-auth.example", Role.ADMIN)
        make_user(session, orgs["prov-my"], "officer@prov-my.example", Role.OFFICER)
        session.commit()
    return app


def test_the_dashboard_shows_charts_with_tables_and_csv_links(site: Flask, client: FlaskClient) -> None:
    login(client, "admin@ph-auth.example", PASSWORD)
    page = client.get("/authority/indicators").get_data(as_text=True)
    assert page.count("<svg") == 10 and page.count("<details>") == 10
    assert 'role="img"' in page and '<title id="issued-by-kind-title">' in page
    assert "/authority/indicators/rejection-reasons.csv" in page
    assert MISSING in page  # the authority sees every reason
    filtered = client.get("/authority/indicators?from=2026-01-01&to=2026-03-31&corridor=MY").get_data(as_text=True)
    assert "/authority/indicators/issued-by-kind.csv?from=2026-01-01&amp;to=2026-03-31&amp;corridor=MY" in filtered
    response = client.get("/authority/indicators/issued-by-kind.csv?corridor=SG")
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == 'attachment; filename="ph-auth-issued-by-kind.csv"'
    assert response.get_data(as_text=True) == "Month,Training,Prior skills\r\n2026-02,0,1\r\n2026-03,2,0\r\n"
    assert client.get("/authority/indicators?from=yesterday").status_code == 400
    assert client.get("/authority/indicators/nothing.csv").status_code == 404


def test_only_authorities_see_the_dashboard(site: Flask, client: FlaskClient) -> None:
    assert client.get("/authority/indicators").status_code == 302
    login(client, "officer@prov-my.example", PASSWORD)
    assert client.get("/authority/indicators").status_code == 403
    assert client.get("/authority/indicators/issued-by-kind.csv").status_code == 403


def test_the_public_version_suppresses_small_counts_and_shows_no_personal_data(
    site: Flask, client: FlaskClient
) -> None:
    response = client.get("/indicators/ph-auth")
    assert response.status_code == 200
    assert response.cache_control.public and "Set-Cookie" not in response.headers
    page = response.get_data(as_text=True)
    assert "&lt;5" in page and "Secret Name" not in page
    assert MISSING not in page and HOURS not in page  # reasons given fewer than 5 times
    csv_rows = list(
        csv.reader(io.StringIO(client.get("/indicators/ph-auth/issued-by-corridor.csv").get_data(as_text=True)))
    )
    assert csv_rows[0] == ["Month", "MY → PH", "SG → PH"]
    assert {cell for row in csv_rows[1:] for cell in row[1:]} <= {"0", "<5"}
    embassies = client.get("/indicators/ph-auth/cosigned-by-embassy.csv").get_data(as_text=True)
    assert "71.4" not in embassies and "10.0" not in embassies  # shares and medians of small counts withheld
    assert "4.0" in embassies  # a median of 5 co-signatures is no small count
    assert client.get("/indicators/ph-auth?year=2026&corridor=MY").status_code == 200
    assert client.get("/indicators/prov-my").status_code == 404
    assert client.get("/indicators/nobody").status_code == 404
    assert client.get("/indicators/ph-auth?year=abc").status_code == 400


def test_long_labels_wrap_within_a_phone_wide_chart_and_keep_their_full_text() -> None:
    assert wrap_label("Cookery (KLWA)") == ["Cookery (KLWA)"]
    long = "Construction Trade Test: Electrical Wiring and Installation (Jurong Construction Skills Centre, Singapore)"
    lines = wrap_label(long)
    assert len(lines) == 2 and lines[-1].endswith("…") and all(len(line) <= LABEL_CHARS for line in lines)
    rows = ["Cookery (KLWA)", long]
    cells = {(rows[0], "Credentials"): Cell(3, "3"), (rows[1], "Credentials"): Cell(12, "12")}
    table = Table("t", "T", "T.", "Qualification", rows, ["Credentials"], cells, "hbar")
    chart = chart_for(table, label=str.upper)
    assert [label.full for label in chart.category_labels] == [rows[0].upper(), long.upper()]
    assert [label.shortened for label in chart.category_labels] == [False, True]
    # Every label line fits the chart's width at its font size (a generous 0.6 em per character).
    assert all(4 + len(line) * FONT * 0.6 <= WIDTH for label in chart.category_labels for line in label.lines)
    # Each bar sits below its label's lines, and the longest ends before the room kept for its value.
    for label, bar in zip(chart.category_labels, chart.bars, strict=True):
        assert bar.y >= label.y + (len(label.lines) - 1) * chart.line_height
        assert bar.x + bar.width <= WIDTH - 50
    assert chart.height >= chart.bars[-1].y + chart.bars[-1].height + 20


def test_the_dashboard_writes_wrapped_labels_with_their_full_text_as_a_title(site: Flask, client: FlaskClient) -> None:
    login(client, "admin@ph-auth.example", PASSWORD)
    page = client.get("/authority/indicators").get_data(as_text=True)
    figure = page[page.index('id="chart-issued-by-qualification"') :]
    figure = figure[: figure.index("</figure>")]
    assert f'font-size="{FONT}"' in figure and 'viewBox="0 0 360 ' in figure
    labels = re.findall(r'<text class="category"[^>]*><title>([^<]+)</title>(.*?)</text>', figure, re.S)
    assert labels and all(title.startswith(("Welding", "Caregiving", "Cookery")) for title, _ in labels)
    assert all("<tspan" in lines for _, lines in labels)
