"""``certsvc i18n``: what the catalogues lack against the source, and adding it for translators."""

from __future__ import annotations

import sys

import click

from certsvc.web import catalogue


@click.group("i18n")
def i18n_group() -> None:
    """The message catalogues (certsvc/web/translations/*.po) against the source's messages."""


@i18n_group.command("check")
def check() -> None:
    """List untranslated, fuzzy and placeholder-mismatched messages; exit 1 if there are any."""
    messages = catalogue.known_messages(catalogue.extract())
    failed = False
    for code in catalogue.languages():
        gaps = catalogue.gaps(code, messages)
        counts = f"{len(gaps.missing)} untranslated, {len(gaps.fuzzy)} fuzzy, {len(gaps.placeholders)} bad placeholders"
        click.echo(f"{code}: {counts}")
        for msgid in gaps.missing + gaps.fuzzy + gaps.placeholders:
            click.echo(f"  {msgid!r}  ({messages[msgid][0]})")
        failed = failed or bool(gaps)
    sys.exit(1 if failed else 0)


@i18n_group.command("update")
def update() -> None:
    """Append every message a catalogue lacks, untranslated, at the end of its .po file."""
    source = catalogue.extract()
    messages = catalogue.known_messages(source)
    for code in catalogue.languages():
        added = catalogue.append_missing(code, catalogue.gaps(code, messages).missing, messages)
        click.echo(f"{code}: {added} messages added to translate")
