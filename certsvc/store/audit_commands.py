"""``certsvc audit``: check the audit log's hash chain."""

from __future__ import annotations

import sys

import click

from certsvc.store import audit
from certsvc.store.db import make_engine, make_session_factory
from certsvc.store.db_commands import command_database_url


@click.group("audit")
def audit_group() -> None:
    """Inspect the audit log."""


@audit_group.command("verify")
@click.option("--database-url", default=None, help="SQLAlchemy URL; default: as the app is configured.")
@click.option(
    "--expect-head",
    default=None,
    metavar="SEQ:HASH",
    help="A head noted earlier (e.g. from a previous run); fails unless the log still holds it.",
)
@click.option(
    "--no-chain",
    is_flag=True,
    help="Only read: do not first chain entries committed but not chained yet (e.g. by a killed process).",
)
def verify_command(database_url: str | None, expect_head: str | None, no_chain: bool) -> None:
    """Chain waiting entries, then recompute every entry's hash and link; exit 1 and say where if anything changed."""
    anchor = _parse_anchor(expect_head) if expect_head else None
    engine = make_engine(command_database_url(database_url))
    try:
        chained = 0 if no_chain else audit.chain_now(engine)
        with make_session_factory(engine)() as session:
            report = audit.verify_chain(session, anchor)
    finally:
        engine.dispose()
    if chained:
        click.echo(f"chained {chained} entries that were waiting", err=True)
    if report.ok:
        waiting = f", {report.pending} waiting to be chained" if report.pending else ""
        click.echo(f"audit log OK: {report.entries} entries, head {report.head_seq}:{report.head_hash}{waiting}")
        return
    click.echo(f"audit log FAILED: {len(report.problems)} problem(s) in {report.entries} entries", err=True)
    for problem in report.problems:
        click.echo(f"  entry {problem.seq}: {problem.kind}: {problem.message}", err=True)
    sys.exit(1)


def _parse_anchor(text: str) -> tuple[int, str]:
    seq, _, digest = text.partition(":")
    if not seq.isdigit() or len(digest) != 64:
        raise click.BadParameter("expected SEQ:HASH, e.g. 42:3f1c…", param_hint="--expect-head")
    return int(seq), digest.lower()
