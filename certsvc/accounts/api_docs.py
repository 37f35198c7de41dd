"""How ``GET /api/v1/account`` (who a token acts as) describes itself in the OpenAPI document."""

from __future__ import annotations

from typing import Any

from certsvc.web.openapi import error_responses, json_response, operation

TAG = "Account"
TAGS = {TAG: "Who an API token acts as: its user, role and organisation."}
EXAMPLE = {
    "email": "officer@klwa.example",
    "role": "officer",
    "org": {"slug": "klwa", "name": "Kuala Lumpur Welding Academy", "kind": "provider"},
    "via": "token",
}
SCHEMAS: dict[str, dict[str, Any]] = {
    "Account": {
        "type": "object",
        "required": ["email", "role", "org", "via"],
        "properties": {
            "email": {"type": "string", "description": "The token's user."},
            "role": {"type": "string", "enum": ["admin", "officer", "viewer"]},
            "org": {
                "type": "object",
                "required": ["slug", "name", "kind"],
                "properties": {
                    "slug": {"type": "string"},
                    "name": {"type": "string"},
                    "kind": {"type": "string", "enum": ["provider", "embassy", "authority"]},
                },
            },
            "via": {"type": "string", "enum": ["token"], "description": "How the request was authenticated."},
        },
    }
}
PATHS: dict[str, dict[str, Any]] = {
    "/api/v1/account": {
        "get": operation(
            "Who this token acts as",
            tag=TAG,
            operation_id="getAccount",
            description="The user, role and organisation of the API token; check a token with it.",
            responses={
                "200": json_response("The token's account", {"$ref": "#/components/schemas/Account"}, EXAMPLE),
                **error_responses(401, 403),
            },
        )
    }
}
