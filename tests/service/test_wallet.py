"""The migrant's wallet: claim codes, accounts, the list, downloads, share links, history and the hooks.

Domain functions are called directly; the pages through Flask's test client with their
CSRF tokens. Every test runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from pypdf import PdfReader
from qr_support import decode_published
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from certsvc.accounts import api_tokens
from certsvc.credentials.cosigned import parse_credential_text
from certsvc.demo.seed import demo_claim, seed
from certsvc.qr.image import decode_image
from certsvc.store import db
from certsvc.store.credential_records import qr_text_of
from certsvc.store.models import (
    AuditEntry,
    Credential,
    CredentialClaim,
    CredentialState,
    Organisation,
    OrgKind,
    Qualification,
    Role,
    ShareLink,
    VerificationEvent,
    WalletUser,
)
from certsvc.store.signers import signer_for
from certsvc.wallet import cards, claims, errors, holders, shares, throttle
from issuers import lifecycle
from issuers.issuance import LearnerData, issue_credential, register_learner

from .support import CHEAP_HASHER, KEK, csrf_token, login, make_org, make_user

BASE = "https://skills.example.org"
HOLDER = "Rosa Mae Dizon"
PASSWORD = "wallet-password-1"
POLICY = throttle.ThrottlePolicy(max_failures=3, window=timedelta(minutes=15))
NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


# -- a small world: one provider, one embassy, one qualification --------------------------------


@dataclass
class World:
    provider_id: int
    embassy_id: int
    qualification_id: int


def build_world(session: Session) -> World:
    provider = make_org(session, "weld-my")
    embassy = make_org(session, "ph-kl", OrgKind.EMBASSY)
    qualification = Qualification(
        provider_id=provider.id,
        code="SMAW2",
        name="Shielded Metal Arc Welding",
        description="SKM level 2 certificate in welding",
        framework="SKM",
        level="2",
        isco_code="7212",
        isco_title="Welders and flamecutters",
        asean_level=2,
    )
    session.add(qualification)
    session.flush()
    return World(provider.id, embassy.id, qualification.id)


def issue(session: Session, world: World, name: str = HOLDER, *, cosign: bool = False, when: datetime = NOW):
    provider = session.get(Organisation, world.provider_id)
    learner = register_learner(session, provider, LearnerData(name, date(1994, 8, 12), "PH", "P9876543Z"), actor="t")
    credential = issue_credential(
        session,
        provider,
        learner,
        session.get(Qualification, world.qualification_id),
        signer=signer_for(session, provider, KEK, BASE),
        base_url=BASE,
        now=when,
        actor="t",
    )
    if cosign:
        embassy = session.get(Organisation, world.embassy_id)
        signer = signer_for(session, embassy, KEK, BASE)
        lifecycle.cosign(session, embassy, credential, signer=signer, now=when + timedelta(days=1), actor="t")
    return credential


def new_user(session: Session, login: str = "+639171234567") -> WalletUser:
    return holders.create_wallet_user(session, login, PASSWORD, hasher=CHEAP_HASHER)


def claim_row(session: Session, credential: Credential) -> CredentialClaim:
    session.expire_all()
    found = session.get(CredentialClaim, credential.id)
    assert found is not None
    return found


# -- claim codes --------------------------------------------------------------------------------


def test_claim_codes_are_ten_crockford_characters_and_forgive_typing() -> None:
    code = claims.new_claim_code()
    assert len(code) == 10 and set(code) <= set(claims.CROCKFORD)
    assert re.fullmatch(r"[0-9]{6}", claims.new_pin())
    assert claims.format_claim_code("7KQ2M9XDAB") == "7KQ2M-9XDAB"
    assert claims.normalise_claim_code(" 7kq2m-9xdab ") == "7KQ2M9XDAB"
    assert claims.normalise_claim_code("IL0O1-22222") == "11001" + "22222"
    for wrong in ("7KQ2M9XDA", "7KQ2M9XDABC", "7KQ2M9XDAU", "7KQ2M9XDA!", ""):
        assert claims.normalise_claim_code(wrong) is None


def test_create_claim_keeps_only_hashes_and_claim_works_once(db_session: Session) -> None:
    world = build_world(db_session)
    credential = issue(db_session, world)
    code, pin = claims.create_claim(db_session, credential, hasher=CHEAP_HASHER)
    first, second = new_user(db_session), new_user(db_session, "rosa@example.org")
    db_session.commit()
    row = claim_row(db_session, credential)
    normalised = code.replace("-", "")
    assert row.code_hash == hashlib.sha256(normalised.encode()).hexdigest()
    assert row.pin_hash.startswith("$argon2id$") and pin not in row.pin_hash
    assert row.claimed_at is None and row.wallet_user_id is None

    claimed = claims.claim(db_session, code.lower(), pin, first, hasher=CHEAP_HASHER, policy=POLICY)
    db_session.commit()
    assert claimed.id == credential.id
    assert [c.public_id for c in cards.wallet_credentials(db_session, first, NOW)] == [credential.public_id]

    # Used once: another wallet, or the same one again, is refused and nothing changes.
    with pytest.raises(errors.ClaimUsed) as used:
        claims.claim(db_session, code, pin, second, hasher=CHEAP_HASHER, policy=POLICY)
    assert used.value.data["mine"] is False
    with pytest.raises(errors.ClaimUsed) as again:
        claims.claim(db_session, code, pin, first, hasher=CHEAP_HASHER, policy=POLICY)
    assert again.value.data["mine"] is True
    db_session.rollback()
    assert claim_row(db_session, credential).wallet_user_id == first.id
    assert cards.wallet_credentials(db_session, second, NOW) == []
    # A claimed credential gets no new code.
    with pytest.raises(errors.ClaimUsed):
        claims.create_claim(db_session, credential, hasher=CHEAP_HASHER)
    actions = db_session.scalars(select(AuditEntry.action).where(AuditEntry.subject == credential.public_id)).all()
    assert "wallet.claim_code_made" in actions and "wallet.claimed" in actions


def test_wrong_pins_lock_the_code_and_wrong_codes_throttle_the_client(db_session: Session) -> None:
    world = build_world(db_session)
    credential = issue(db_session, world)
    code, pin = claims.create_claim(db_session, credential, hasher=CHEAP_HASHER)
    user = new_user(db_session)
    db_session.commit()
    wrong_pin = "000000" if pin != "000000" else "111111"
    lenient = throttle.ThrottlePolicy(max_failures=100)
    for n in range(claims.MAX_PIN_FAILURES):
        with pytest.raises(errors.WrongClaim):
            claims.claim(db_session, code, wrong_pin, user, address=f"10.0.0.{n}", hasher=CHEAP_HASHER, policy=lenient)
        db_session.commit()  # as the page does: the failure counts although nothing was claimed
    assert claim_row(db_session, credential).failures == claims.MAX_PIN_FAILURES
    with pytest.raises(errors.ClaimLocked):
        claims.claim(db_session, code, pin, user, address="10.0.1.1", hasher=CHEAP_HASHER, policy=lenient)
    db_session.rollback()
    assert claim_row(db_session, credential).claimed_at is None
    # The provider makes a new code: the old one is gone, the new one works.
    new_code, new_pin = claims.create_claim(db_session, credential, hasher=CHEAP_HASHER)
    db_session.commit()
    with pytest.raises(errors.WrongClaim):
        claims.claim(db_session, code, pin, user, address="10.0.2.1", hasher=CHEAP_HASHER, policy=lenient)
    db_session.commit()

    # Per client: unknown codes from one address are throttled; another address still may try.
    for _ in range(POLICY.max_failures):
        with pytest.raises(errors.WrongClaim):
            claims.claim(
                db_session, "ZZZZZ-ZZZZZ", "123456", user, address="10.9.9.9", hasher=CHEAP_HASHER, policy=POLICY
            )
        db_session.commit()
    with pytest.raises(errors.ClaimThrottled) as throttled:
        claims.claim(db_session, new_code, new_pin, user, address="10.9.9.9", hasher=CHEAP_HASHER, policy=POLICY)
    assert 0 < throttled.value.data["retry_after"] <= 15 * 60 + 1
    db_session.rollback()
    assert claim_row(db_session, credential).claimed_at is None
    claims.claim(db_session, new_code, new_pin, user, address="10.8.8.8", hasher=CHEAP_HASHER, policy=POLICY)
    db_session.commit()
    assert claim_row(db_session, credential).wallet_user_id == user.id


# -- accounts -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("+63 917 123 4567", "+639171234567"),
        ("0063-917-123-4567", "+639171234567"),
        ("+95 (9) 123 456 789", "+959123456789"),
        (" Rosa@Example.ORG ", "rosa@example.org"),
    ],
)
def test_logins_are_e164_phone_numbers_or_emails(typed: str, stored: str) -> None:
    assert holders.normalise_login(typed) == stored


@pytest.mark.parametrize("typed", ["09171234567", "+0917123456", "+63 917", "rosa@", "+63917123456789012", ""])
def test_bad_logins_are_refused(typed: str) -> None:
    with pytest.raises(errors.WalletAccountError):
        holders.normalise_login(typed)


def test_wallet_accounts_sign_in_and_throttle(db_session: Session) -> None:
    user = new_user(db_session)
    db_session.commit()
    assert user.password_hash.startswith("$argon2id$")
    with pytest.raises(errors.WalletAccountExists):
        holders.create_wallet_user(db_session, "+63 917 123 4567", PASSWORD, hasher=CHEAP_HASHER)
    db_session.rollback()
    with pytest.raises(errors.WalletAccountError):
        holders.create_wallet_user(db_session, "+447700900123", "short", hasher=CHEAP_HASHER)
    db_session.rollback()
    signed = holders.authenticate_wallet_user(
        db_session, "+63-917-123-4567", PASSWORD, address="10.0.0.1", hasher=CHEAP_HASHER, policy=POLICY
    )
    assert signed.id == user.id
    for _ in range(POLICY.max_failures):
        with pytest.raises(errors.InvalidWalletLogin):
            holders.authenticate_wallet_user(
                db_session, "+639171234567", "wrong", address="10.0.0.1", hasher=CHEAP_HASHER, policy=POLICY
            )
        db_session.commit()
    with pytest.raises(errors.WalletLoginThrottled):
        holders.authenticate_wallet_user(
            db_session, "+639171234567", PASSWORD, address="10.0.0.1", hasher=CHEAP_HASHER, policy=POLICY
        )


# -- states, history, share links ---------------------------------------------------------------


def test_states_in_words_and_verification_history(db_session: Session) -> None:
    world = build_world(db_session)
    awaiting = issue(db_session, world, "A")
    recognised = issue(db_session, world, "B", cosign=True)
    revoked = issue(db_session, world, "C", cosign=True)
    provider = db_session.get(Organisation, world.provider_id)
    lifecycle.revoke(db_session, provider, revoked, "Issued in error.", now=NOW, actor="t")
    old = issue(db_session, world, "D", cosign=True, when=NOW - timedelta(days=6 * 365))
    db_session.add_all(
        [
            VerificationEvent(at=NOW - timedelta(days=3), result="recognized", credential_id=recognised.id),
            VerificationEvent(at=NOW - timedelta(days=1), result="recognized", credential_id=recognised.id),
            VerificationEvent(at=NOW, result="invalid", credential_id=revoked.id),
        ]
    )
    db_session.commit()
    assert cards.state_of(awaiting, NOW) is cards.WalletState.AWAITING
    assert cards.state_of(recognised, NOW) is cards.WalletState.RECOGNISED
    assert cards.state_of(revoked, NOW) is cards.WalletState.REVOKED
    assert cards.state_of(old, NOW) is cards.WalletState.EXPIRED
    recognised.withdrawn_at = NOW
    assert cards.state_of(recognised, NOW) is cards.WalletState.WITHDRAWN
    recognised.withdrawn_at = None
    history = cards.verification_history(db_session, [awaiting.id, recognised.id, revoked.id])
    assert history[recognised.id] == (2, NOW - timedelta(days=1))
    assert history[revoked.id] == (1, NOW)
    assert awaiting.id not in history
    card = cards.card_of(db_session, recognised, NOW)
    assert (card.verified, card.last_verified, card.signatures) == (2, NOW - timedelta(days=1), 2)
    assert (card.framework, card.level, card.provider, card.embassy) == ("SKM", "2", "Weld My", "Ph Kl")


def test_share_links_expire_and_revoke_without_touching_the_credential(db_session: Session) -> None:
    world = build_world(db_session)
    credential = issue(db_session, world, cosign=True)
    other_credential = issue(db_session, world, "Someone Else")
    code, pin = claims.create_claim(db_session, credential, hasher=CHEAP_HASHER)
    owner, stranger = new_user(db_session), new_user(db_session, "someone@example.org")
    claims.claim(db_session, code, pin, owner, hasher=CHEAP_HASHER, policy=POLICY)
    db_session.commit()

    with pytest.raises(errors.BadShareExpiry):
        shares.create_share_link(db_session, owner, credential, 2, now=NOW)
    with pytest.raises(errors.NotInWallet):
        shares.create_share_link(db_session, stranger, credential, 7, now=NOW)
    with pytest.raises(errors.NotInWallet):
        shares.create_share_link(db_session, owner, other_credential, 7, now=NOW)
    link, token = shares.create_share_link(db_session, owner, credential, 7, now=NOW)
    db_session.commit()
    assert link.token_hash == hashlib.sha256(token.encode()).hexdigest() and token not in link.token_hash
    assert shares.open_share_link(db_session, token, now=NOW + timedelta(days=6)).id == link.id
    with pytest.raises(errors.ShareLinkGone) as expired:
        shares.open_share_link(db_session, token, now=NOW + timedelta(days=7))
    assert expired.value.data["reason"] == "expired" and expired.value.http_status == 410
    with pytest.raises(errors.ShareLinkUnknown):
        shares.open_share_link(db_session, token[:-1] + ("A" if token[-1] != "A" else "B"), now=NOW)
    with pytest.raises(errors.ShareLinkUnknown):
        shares.revoke_share_link(db_session, stranger, credential, link.id)
    shares.revoke_share_link(db_session, owner, credential, link.id, now=NOW)
    db_session.commit()
    with pytest.raises(errors.ShareLinkGone) as revoked:
        shares.open_share_link(db_session, token, now=NOW)
    assert revoked.value.data["reason"] == "revoked"
    assert shares.share_state(link, NOW) == "revoked"
    db_session.refresh(credential)
    assert credential.state is CredentialState.COSIGNED and credential.revoked_at is None


# -- the pages ----------------------------------------------------------------------------------


@pytest.fixture
def small_world(app: Flask) -> World:
    with db.session_factory(app)() as session:
        world = build_world(session)
        session.commit()
        return world


def make_claim(app: Flask, world: World, name: str = HOLDER, cosign: bool = True) -> tuple[str, claims.ClaimSecrets]:
    with db.session_factory(app)() as session:
        credential = issue(session, world, name, cosign=cosign, when=datetime.now(UTC) - timedelta(days=2))
        secrets = claims.create_claim(session, credential, hasher=CHEAP_HASHER)
        session.commit()
        return credential.public_id, secrets


def open_wallet(client: FlaskClient, login: str, secrets: claims.ClaimSecrets) -> str:
    """Claim through the pages, opening a new wallet; return the credential page's path."""
    token = csrf_token(client, "/wallet/claim")
    found = client.post("/wallet/claim", data={"csrf_token": token, "code": secrets.code, "pin": secrets.pin})
    assert found.status_code == 302 and found.headers["Location"] == "/wallet/claim"
    step_two = client.get("/wallet/claim").get_data(as_text=True)
    assert "We found your credential" in step_two and "Shielded Metal Arc Welding" in step_two
    opened = client.post("/wallet/register", data={"csrf_token": token, "login": login, "password": PASSWORD})
    assert opened.status_code == 302, opened.get_data(as_text=True)
    return str(opened.headers["Location"])


def count(app: Flask, model: type, *where: Any) -> int:
    with db.session_factory(app)() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where)) or 0


def test_claim_in_two_steps_then_list_and_show(app: Flask, client: FlaskClient, small_world: World) -> None:
    public_id, secrets = make_claim(app, small_world)
    assert client.get("/wallet").headers["Location"].startswith("/wallet/signin")
    path = open_wallet(client, "+63 917 123 4567", secrets)
    assert path == f"/wallet/c/{public_id}"
    page = client.get(path)
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "private" in page.headers["Cache-Control"]
    assert "Added to your wallet." in html and "Recognised" in html and HOLDER in html
    assert f'src="/wallet/c/{public_id}/qr.png"' in html and "Last updated:" in html
    assert "Not verified yet." in html
    assert "<script>" not in html and "<script src=" in html  # no inline script
    listing = client.get("/wallet").get_data(as_text=True)
    assert "Shielded Metal Arc Welding" in listing and "Recognised" in listing
    # Reused code: a clear message, nothing changes.
    token = csrf_token(client, "/wallet/claim")
    again = client.post("/wallet/claim", data={"csrf_token": token, "code": secrets.code, "pin": secrets.pin})
    assert again.status_code == 409 and "already in your wallet" in again.get_data(as_text=True)
    other = app.test_client()
    token = csrf_token(other, "/wallet/claim")
    used = other.post("/wallet/claim", data={"csrf_token": token, "code": secrets.code, "pin": secrets.pin})
    assert used.status_code == 409 and "was used already" in used.get_data(as_text=True)
    assert count(app, WalletUser) == 1


def test_wrong_codes_say_so_change_nothing_and_are_throttled(app: Flask, small_world: World) -> None:
    app.config["WALLET_CLAIM_MAX_FAILURES"] = 3
    _, secrets = make_claim(app, small_world)
    client = app.test_client()
    token = csrf_token(client, "/wallet/claim")
    for _ in range(3):
        wrong = client.post("/wallet/claim", data={"csrf_token": token, "code": "ZZZZZ-ZZZZZ", "pin": "123456"})
        assert wrong.status_code == 400
        assert "The claim code or the PIN is wrong" in wrong.get_data(as_text=True)
    throttled = client.post("/wallet/claim", data={"csrf_token": token, "code": secrets.code, "pin": secrets.pin})
    assert throttled.status_code == 429 and int(throttled.headers["Retry-After"]) > 0
    assert "Too many wrong claim codes" in throttled.get_data(as_text=True)
    assert count(app, CredentialClaim, CredentialClaim.claimed_at.is_not(None)) == 0
    assert count(app, WalletUser) == 0
    # No CSRF token: refused before anything is looked up.
    assert client.post("/wallet/claim", data={"code": secrets.code, "pin": secrets.pin}).status_code == 400


def test_someone_elses_credential_is_not_found(app: Flask, small_world: World) -> None:
    mine, my_secrets = make_claim(app, small_world, "Rosa One")
    theirs, their_secrets = make_claim(app, small_world, "Ana Two")
    me, them = app.test_client(), app.test_client()
    open_wallet(me, "me@example.org", my_secrets)
    open_wallet(them, "+959123456789", their_secrets)
    with db.session_factory(app)() as session:
        owner = session.scalar(select(WalletUser).where(WalletUser.login == "+959123456789"))
        credential = session.scalar(select(Credential).where(Credential.public_id == theirs))
        link, _ = shares.create_share_link(session, owner, credential, 7)
        session.commit()
        link_id = link.id
    for suffix in ("", "/qr.png", "/qr.svg", "/credential.json", "/certificate.pdf", "/share", "/state.json"):
        assert me.get(f"/wallet/c/{theirs}{suffix}").status_code == 404, suffix
    page = me.get(f"/wallet/c/{theirs}").get_data(as_text=True)
    assert "This credential is not in your wallet." in page and "Ana Two" not in page
    token = csrf_token(me, f"/wallet/c/{mine}/share")
    assert me.post(f"/wallet/c/{theirs}/share/{link_id}/revoke", data={"csrf_token": token}).status_code == 404
    assert me.post(f"/wallet/c/{mine}/share/{link_id}/revoke", data={"csrf_token": token}).status_code == 404
    assert count(app, ShareLink, ShareLink.revoked_at.is_not(None)) == 0


def test_downloads_file_qr_and_printable_certificate(app: Flask, client: FlaskClient, small_world: World) -> None:
    public_id, secrets = make_claim(app, small_world)
    open_wallet(client, "rosa@example.org", secrets)
    with db.session_factory(app)() as session:
        credential = session.scalar(select(Credential).where(Credential.public_id == public_id))
        expected_qr = qr_text_of(credential, BASE)

    file = client.get(f"/wallet/c/{public_id}/credential.json")
    assert file.mimetype == "application/json"
    assert file.headers["Content-Disposition"] == f'attachment; filename="credential-{public_id}.json"'
    general = json.loads(file.data)
    assert len(general["signatures"]) == 2
    parsed, _ = parse_credential_text(file.get_data(as_text=True))
    assert len(parsed.signatures) == 2

    png = client.get(f"/wallet/c/{public_id}/qr.png?download=1")
    assert png.mimetype == "image/png" and "attachment" in png.headers["Content-Disposition"]
    assert decode_image(png.data) == expected_qr
    assert len(decode_published(decode_image(png.data), app.config["DATABASE_URL"]).signatures) == 2
    assert (
        client.get(f"/wallet/c/{public_id}/qr.png", headers={"If-None-Match": png.headers["ETag"]}).status_code == 304
    )
    svg = client.get(f"/wallet/c/{public_id}/qr.svg")
    assert svg.mimetype == "image/svg+xml" and svg.data.lstrip().startswith(b"<?xml")

    pdf = client.get(f"/wallet/c/{public_id}/certificate.pdf")
    assert pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")
    reader = PdfReader(io.BytesIO(pdf.data))
    page = reader.pages[0]
    assert [round(float(v)) for v in page.mediabox[2:]] == [595, 842]  # A4 in points
    text = page.extract_text()
    issued = (datetime.now(UTC) - timedelta(days=2)).date().isoformat()
    for expected in (HOLDER, "Shielded Metal Arc Welding", "SKM level 2", "Training (skills gained abroad)", "Weld My"):
        assert expected in text
    for expected in ("Ph Kl", issued, f"{BASE}/verify", public_id):
        assert expected in text
    images = page.images
    assert len(images) == 1
    buffer = io.BytesIO()
    images[0].image.save(buffer, format="PNG")
    assert decode_image(buffer.getvalue()) == expected_qr


def test_share_link_pages_say_the_link_expires_not_the_credential(
    app: Flask, client: FlaskClient, small_world: World
) -> None:
    public_id, secrets = make_claim(app, small_world)
    open_wallet(client, "rosa@example.org", secrets)
    token = csrf_token(client, f"/wallet/c/{public_id}/share")
    assert client.post(f"/wallet/c/{public_id}/share", data={"csrf_token": token, "days": "2"}).status_code == 400
    made = client.post(f"/wallet/c/{public_id}/share", data={"csrf_token": token, "days": "30"})
    assert made.status_code == 302
    share_page = client.get(f"/wallet/c/{public_id}/share").get_data(as_text=True)
    url = re.search(r'id="new-link">([^<]+)<', share_page).group(1)  # type: ignore[union-attr]
    assert url.startswith(f"{BASE}/s/")
    assert 'id="new-link"' not in client.get(f"/wallet/c/{public_id}/share").get_data(as_text=True)  # shown once
    path = url.removeprefix(BASE)

    employer = app.test_client()
    shared = employer.get(path)
    html = shared.get_data(as_text=True)
    assert shared.status_code == 200 and shared.headers["Cache-Control"] == "no-store"
    assert "It is the link that expires, not the credential." in html and HOLDER in html
    assert "Set-Cookie" not in shared.headers
    assert decode_image(employer.get(path + "/qr.png").data).startswith(BASE.upper() + "/V#")

    with db.session_factory(app)() as session:
        link = session.scalar(select(ShareLink))
        link.expires_at = datetime.now(UTC) - timedelta(minutes=1)
        session.commit()
        link_id = link.id
    expired = employer.get(path)
    assert expired.status_code == 410 and "This share link has expired" in expired.get_data(as_text=True)
    assert "does not mean the credential has expired" in expired.get_data(as_text=True)
    with db.session_factory(app)() as session:
        session.get(ShareLink, link_id).expires_at = datetime.now(UTC) + timedelta(days=1)
        session.commit()
    assert employer.get(path).status_code == 200
    revoked = client.post(f"/wallet/c/{public_id}/share/{link_id}/revoke", data={"csrf_token": token})
    assert revoked.status_code == 302
    gone = employer.get(path)
    assert gone.status_code == 410 and "The holder stopped this link" in gone.get_data(as_text=True)
    assert employer.get(path + "/qr.png").status_code == 410
    assert employer.get("/s/" + "x" * 24).status_code == 404
    assert count(app, Credential, Credential.state == CredentialState.COSIGNED) == 1


def test_languages_sign_out_and_offline_files(app: Flask, client: FlaskClient, small_world: World) -> None:
    expected = {"es": "Añadir una credencial", "fil": "Magdagdag ng kredensyal", "my": "အထောက်အထား ထည့်ရန်"}
    for code, heading in expected.items():
        assert heading in client.get(f"/wallet/claim?lang={code}").get_data(as_text=True)
    assert "Add a credential" in client.get("/wallet/claim?lang=en").get_data(as_text=True)
    browser = app.test_client()
    assert "Añadir una credencial" in browser.get("/wallet/claim", headers={"Accept-Language": "es"}).get_data(True)

    worker = client.get("/wallet/sw.js")
    assert worker.mimetype == "text/javascript" and worker.headers["Service-Worker-Allowed"] == "/wallet"
    assert b"networkFirst" in worker.data
    manifest = json.loads(client.get("/wallet/manifest.webmanifest").data)
    assert manifest["start_url"] == "/wallet" and manifest["display"] == "standalone"
    for name in ("wallet.js", "wallet.css", "icon.svg"):
        assert client.get(f"/wallet/assets/{name}").status_code == 200
    assert client.get("/wallet/assets/sw.py").status_code == 404

    _, secrets = make_claim(app, small_world)
    open_wallet(client, "rosa@example.org", secrets)
    token = csrf_token(client, "/wallet")
    signed_out = client.post("/wallet/signout", data={"csrf_token": token})
    assert 'data-forget-offline="1"' in signed_out.get_data(as_text=True)
    assert client.get("/wallet").status_code == 302
    # Signing in again with the same phone number and password.
    token = csrf_token(client, "/wallet/signin")
    wrong = client.post("/wallet/signin", data={"csrf_token": token, "login": "rosa@example.org", "password": "nope"})
    assert wrong.status_code == 401 and "Wrong phone number, email or password." in wrong.get_data(as_text=True)
    right = client.post("/wallet/signin", data={"csrf_token": token, "login": "ROSA@example.org", "password": PASSWORD})
    assert right.status_code == 302 and right.headers["Location"] == "/wallet"


# -- hooks in the provider's pages, the API and the demo -------------------------------------------


def test_provider_receipt_shows_the_claim_code_once(app: Flask, small_world: World) -> None:
    with db.session_factory(app)() as session:
        make_user(session, session.get(Organisation, small_world.provider_id))
        session.commit()
    provider = app.test_client()
    assert login(provider).status_code == 302
    token = csrf_token(provider, "/provider/learners")
    learner = provider.post(
        "/provider/learners",
        data={
            "csrf_token": token,
            "name": HOLDER,
            "birth_date": "1994-08-12",
            "nationality": "PH",
            "id_number": "P 9876-543 Z",
            "sex": "F",
        },
    )
    issued = provider.post(
        f"{learner.headers['Location']}/credentials",
        data={"training-csrf_token": token, "training-qualification": "SMAW2"},
    )
    # The receipt with the code is the answer to the issue form; it names its own address for a reload.
    receipt, html = issued, issued.get_data(as_text=True)
    receipt_path = re.search(r'data-page-address="([^"]+)"', html).group(1)  # type: ignore[union-attr]
    assert receipt.headers["Cache-Control"] == "private, no-store"
    assert "Claim code for the learner" in html and f"{BASE}/wallet/claim" in html
    code, pin = re.findall(r'<span class="secret">([^<]+)</span>', html)
    assert re.fullmatch(r"[0-9A-Z]{5}-[0-9A-Z]{5}", code) and re.fullmatch(r"[0-9]{6}", pin)
    assert "Claim code for the learner" not in provider.get(receipt_path).get_data(as_text=True)

    holder = app.test_client()
    path = open_wallet(holder, "+639171234567", claims.ClaimSecrets(code, pin))
    assert "Awaiting embassy co-signature" in holder.get(path).get_data(as_text=True)


def test_api_create_answers_the_claim_code_once(app: Flask, client: FlaskClient, small_world: World) -> None:
    with db.session_factory(app)() as session:
        user = make_user(session, session.get(Organisation, small_world.provider_id), role=Role.OFFICER)
        secret = api_tokens.create_token(session, user, "api", actor="t").secret
        session.commit()
    body = {
        "learner": {"name": HOLDER, "birth_date": "1994-08-12", "nationality": "PH", "id_number": "P1234567"},
        "qualification_code": "SMAW2",
        "kind": "training",
        "external_id": "W-1",
    }
    headers = {"Authorization": f"Bearer {secret}"}
    created = client.post("/api/v1/credentials", json=body, headers=headers)
    assert created.status_code == 201, created.get_data(as_text=True)
    claim = created.get_json()["claim"]
    assert re.fullmatch(r"[0-9A-Z]{5}-[0-9A-Z]{5}", claim["code"]) and re.fullmatch(r"[0-9]{6}", claim["pin"])
    repeated = client.post("/api/v1/credentials", json=body, headers=headers)
    assert repeated.status_code == 200 and "claim" not in repeated.get_json()
    assert "claim" not in client.get(f"/api/v1/credentials/{created.get_json()['id']}", headers=headers).get_json()
    holder = app.test_client()
    assert open_wallet(holder, "rosa@example.org", claims.ClaimSecrets(claim["code"], claim["pin"]))


def test_demo_seed_makes_claim_codes_it_can_print(app: Flask) -> None:
    with db.session_factory(app)() as session:
        seed(session, kek=KEK, base_url=BASE, hasher=CHEAP_HASHER, now=datetime.now(UTC))
        session.commit()
        printed = demo_claim(session, KEK)
        unclaimed = session.scalar(select(func.count()).select_from(CredentialClaim))
        credentials = session.scalar(select(func.count()).select_from(Credential))
        assert printed is not None and unclaimed == credentials
        seed(session, kek=KEK, base_url=BASE, hasher=CHEAP_HASHER, now=datetime.now(UTC))  # idempotent
        session.commit()
        assert demo_claim(session, KEK) == printed
    holder = app.test_client()
    path = open_wallet(holder, "+639171234567", claims.ClaimSecrets(printed.code, printed.pin))
    assert "Maria Santos Dela Cruz" in holder.get(path).get_data(as_text=True)
    with db.session_factory(app)() as session:
        assert demo_claim(session, KEK) is None
