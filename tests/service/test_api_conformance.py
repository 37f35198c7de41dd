"""The API does what its OpenAPI document says, by every check schemathesis has, for every kind of caller.

Each operation is called with requests that fit the document (they must be taken: 2xx, or 401/403/
404/409 for what the caller may not see or do) and requests that do not (they must be refused),
as a provider's token, an embassy's token and without one. Every answer must be documented, match
its schema and headers, and no answer is a server error. ``tests/schemathesis.toml`` says which statuses
count for the verifier's photos and texts (a picture without a QR code is a 422, a text over the
limit a 413), and is read here as by ``schemathesis run --config-file tests/schemathesis.toml``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.config import SchemathesisConfig
from schemathesis.core.parameters import ParameterLocation
from schemathesis.generation.modes import GenerationMode
from sqlalchemy import select

from certsvc.accounts import api_tokens
from certsvc.store import db
from certsvc.store.models import User

from .hostile_support import EMBASSY, Hostile, hostile_world

OPENAPI = "/api/v1/openapi.json"
EXAMPLES = 10


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Iterator[Hostile]:
    with hostile_world("sqlite", tmp_path_factory.mktemp("conformance"), sqlite_template) as seeded:
        with db.session_factory(seeded.app)() as session:
            user = session.scalar(select(User).where(User.email == EMBASSY))
            assert user is not None
            seeded.ids["embassy_token"] = api_tokens.create_token(session, user, "conformance", actor="t").secret
            session.commit()
        yield seeded


CONFIG = Path(__file__).parent.parent / "schemathesis.toml"


@pytest.fixture(scope="module")
def api_schema(world: Hostile) -> Any:
    return schemathesis.openapi.from_wsgi(OPENAPI, world.app, config=SchemathesisConfig.from_path(CONFIG))


def run_operation(operation: Any, headers: dict[str, str], mode: GenerationMode) -> None:
    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    def run(case: Any) -> None:
        # A case made to break its headers (Authorization left out, say) must stay broken: the
        # caller's token would mend it into a request that fits, which the server rightly takes.
        broken_headers = case.meta is not None and case.meta.is_negative_at(ParameterLocation.HEADER)
        # Every check the configuration enables: all of them.
        case.call_and_validate(headers={} if broken_headers else headers)

    run()


@pytest.mark.parametrize("caller", ["provider token", "embassy token", "no token"])
@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=["fits", "does-not-fit"])
def test_every_operation_conforms(api_schema: Any, world: Hostile, caller: str, mode: GenerationMode) -> None:
    tokens = {"provider token": world.token, "embassy token": world.ids["embassy_token"]}
    headers = {"Authorization": f"Bearer {tokens[caller]}"} if caller in tokens else {}
    failures = []
    operations = [found.ok() for found in api_schema.get_all_operations()]
    assert len(operations) >= 19
    for operation in operations:
        try:
            run_operation(operation, headers, mode)
        except Unsatisfiable:
            assert mode is GenerationMode.NEGATIVE, operation.path  # nothing to spoil: no parameters, no body
        except Exception as exc:  # schemathesis raises its failures grouped; keep going to report them all
            failures.append(f"{operation.method.upper()} {operation.path}: {exc}")
    assert not failures, "\n\n".join(failures)
