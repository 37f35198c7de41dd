"""Which embassies may co-sign for which providers: an embassy of the holder's nationality that sits in
the provider's country (its ``host_country``), and no other. The verifier holds the same rule
(``cosigner_not_in_provider_country``); this is the issuing side of it."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from flask import Flask
from sqlalchemy import select

from certsvc.accounts.organisations import create_organisation
from certsvc.store import db
from certsvc.store.models import Credential, Organisation, OrgKind, Qualification
from certsvc.store.signers import signer_for
from issuers import cosign_queue, lifecycle
from issuers.issuance import LearnerData, issue_credential, register_learner
from issuers.lifecycle import NotYours

from .support import KEK
from .test_provider_views import BASE

NOW = datetime.now(UTC)


def _embassy(session: object, slug: str, host_country: str) -> Organisation:
    return create_organisation(
        session,  # type: ignore[arg-type]
        slug=slug,
        name=f"Indonesian Embassy {host_country}",
        kind=OrgKind.EMBASSY,
        country="ID",
        host_country=host_country,
        kek=KEK,
        now=NOW,
    )


def test_an_embassy_in_another_country_neither_sees_nor_cosigns_a_providers_credentials(demo: Flask) -> None:
    with db.session_factory(demo)() as session:
        provider = session.scalar(select(Organisation).where(Organisation.slug == "klwa"))
        assert provider is not None and provider.country == "MY"
        qualification = session.scalar(select(Qualification).where(Qualification.provider_id == provider.id))
        data = LearnerData("Siti Rahayu Wulandari", date(1994, 3, 8), "ID", "C1234567")
        learner = register_learner(session, provider, data, actor="test")
        # No Indonesian embassy sits in Malaysia yet: the credential waits for one, routed to none.
        credential = issue_credential(
            session, provider, learner, qualification, signer=signer_for(session, provider, KEK, BASE),
            base_url=BASE, now=NOW, actor="test",
        )  # fmt: skip
        assert credential.embassy_id is None
        elsewhere = _embassy(session, "id-sg", "SG")
        session.flush()

        def waiting_for(embassy: Organisation) -> list[str]:
            return list(session.scalars(cosign_queue.awaiting(embassy).with_only_columns(Credential.public_id)))

        assert credential.public_id not in waiting_for(elsewhere)
        with pytest.raises(NotYours):
            lifecycle.cosign(
                session, elsewhere, credential, signer=signer_for(session, elsewhere, KEK, BASE), now=NOW, actor="t"
            )
        assert credential.cosign_jws is None
        in_malaysia = _embassy(session, "id-kl", "MY")
        session.flush()
        assert credential.public_id in waiting_for(in_malaysia)
        lifecycle.cosign(
            session, in_malaysia, credential, signer=signer_for(session, in_malaysia, KEK, BASE), now=NOW, actor="t"
        )
        assert credential.cosign_jws and credential.embassy_id == in_malaysia.id
