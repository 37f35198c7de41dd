"""``certsvc keys rewrap``: re-encrypt every private signing key under a new key-encryption key.

The KEKs never go on the command line (the process list shows it): the new one comes from
``--new-kek-file`` or ``CERTSVC_NEW_KEY_ENCRYPTION_KEY`` / ``CERTSVC_NEW_KEY_ENCRYPTION_KEY_FILE``;
the old one from ``--old-kek-file``, ``CERTSVC_OLD_KEY_ENCRYPTION_KEY`` / ``..._FILE``, else the
configured ``KEY_ENCRYPTION_KEY``. Every key is rewrapped in one transaction that also checks
that each one decrypts under the new KEK; any failure rolls everything back, so the keys are
either all under the old KEK or all under the new one.
"""

from __future__ import annotations

import os
from pathlib import Path

import click
from sqlalchemy import select, text
from sqlalchemy.orm import Session, sessionmaker

from certsvc import config
from certsvc.credentials.errors import CertsvcError
from certsvc.store import keystore
from certsvc.store.db import make_engine, make_session_factory
from certsvc.store.db_commands import command_database_url, database_option
from certsvc.store.models import SigningKeyRecord

ACTOR = "cli:keys-rewrap"


class RewrapFailed(CertsvcError):
    """A key could not be rewrapped or does not decrypt afterwards; nothing was changed."""

    code = "rewrap_failed"


def rewrap_all(factory: sessionmaker[Session], old_kek: str, new_kek: str, *, actor: str = ACTOR) -> int:
    """Rewrap every private key under ``new_kek`` in one transaction, check each decrypts; return how many."""
    with factory() as session:
        try:
            _lock_keys(session)
            count = keystore.rewrap_private_keys(session, old_kek, new_kek, actor=actor)
            session.flush()
            _require_all_decrypt(session, new_kek)
            session.commit()
        except (CertsvcError, ValueError) as exc:
            session.rollback()
            message = exc.message if isinstance(exc, CertsvcError) else str(exc)
            raise RewrapFailed(f"{message}; nothing was changed, every key is still under the old KEK") from exc
    with factory() as session:
        _require_all_decrypt(session, new_kek)  # as stored, read back after the commit
    return count


def undecryptable(session: Session, kek: str) -> list[str]:
    """The kids of stored keys that do not decrypt under ``kek``."""
    failed = []
    for record in session.scalars(select(SigningKeyRecord).order_by(SigningKeyRecord.id)):
        try:
            keystore.decrypt_signing_key(record, kek)
        except CertsvcError:
            failed.append(record.kid)
    return failed


def _require_all_decrypt(session: Session, kek: str) -> None:
    failed = undecryptable(session, kek)
    if failed:
        raise RewrapFailed(f"{len(failed)} key(s) do not decrypt under the new KEK", kids=failed)


def _lock_keys(session: Session) -> None:
    # No key may be created or rotated under the old KEK while this runs (SQLite: BEGIN IMMEDIATE does it).
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("LOCK TABLE signing_keys IN SHARE ROW EXCLUSIVE MODE"))


def kek_from(file: Path | None, env_name: str) -> str | None:
    """A KEK from a file, else from ``env_name`` or the file ``<env_name>_FILE`` names."""
    if file is not None:
        return file.read_text(encoding="utf-8").strip()
    if os.environ.get(env_name):
        return os.environ[env_name].strip()
    named = os.environ.get(f"{env_name}_FILE")
    return Path(named).read_text(encoding="utf-8").strip() if named else None


@click.group("keys")
def keys_group() -> None:
    """Look after the organisations' signing keys at rest."""


@keys_group.command("rewrap")
@click.option(
    "--old-kek-file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="File holding the current KEK; default: CERTSVC_OLD_KEY_ENCRYPTION_KEY[_FILE], else the configured one.",
)
@click.option(
    "--new-kek-file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="File holding the new KEK; default: CERTSVC_NEW_KEY_ENCRYPTION_KEY[_FILE].",
)
@database_option
def rewrap_command(old_kek_file: Path | None, new_kek_file: Path | None, database_url: str | None) -> None:
    """Re-encrypt every private key under a new KEK, all or nothing; then set the new KEK and restart.

    Exit status: 0 done, 1 failed (nothing changed), 2 bad usage.
    """
    settings = config.load_settings(config.instance_path())
    old_kek = kek_from(old_kek_file, "CERTSVC_OLD_KEY_ENCRYPTION_KEY") or settings.get("KEY_ENCRYPTION_KEY")
    new_kek = kek_from(new_kek_file, "CERTSVC_NEW_KEY_ENCRYPTION_KEY")
    if not old_kek:
        raise click.UsageError("no old KEK: configure KEY_ENCRYPTION_KEY or give --old-kek-file")
    if not new_kek or len(new_kek) < config.MIN_SECRET_CHARS:
        raise click.UsageError(
            f"the new KEK (--new-kek-file or CERTSVC_NEW_KEY_ENCRYPTION_KEY) must have at least "
            f"{config.MIN_SECRET_CHARS} characters; generate one with: {config.GENERATE_HINT}"
        )
    if new_kek == old_kek:
        raise click.UsageError("the new KEK is the old one")
    engine = make_engine(command_database_url(database_url))
    try:
        count = rewrap_all(make_session_factory(engine), old_kek, new_kek)
    except CertsvcError as exc:
        raise click.ClickException(exc.message) from exc
    finally:
        engine.dispose()
    click.echo(f"rewrapped {count} key(s); every one decrypts under the new KEK")
    click.echo("Now set KEY_ENCRYPTION_KEY to the new KEK on every app node and restart them; keep the old one")
    click.echo("until the restart is done (a node still on the old KEK cannot sign until it restarts).")
