"""Where each staff user works: the provider's dashboard, the embassy's queue, the authority's overview."""

from __future__ import annotations

from flask import url_for

from certsvc.accounts.users import Principal
from certsvc.store.models import OrgKind

#: The home page of each kind of organisation (endpoint names; the pages live with their roles).
WORKSPACES = {
    OrgKind.PROVIDER: "provider.dashboard",
    OrgKind.EMBASSY: "embassy.queue",
    OrgKind.AUTHORITY: "authority.overview",
}
#: What the workspace of each kind is called where it is listed (the demo's console, the front door).
WORKSPACE_NAMES = {
    OrgKind.PROVIDER: "training provider",
    OrgKind.EMBASSY: "embassy",
    OrgKind.AUTHORITY: "origin authority",
}


def workspace_endpoint(kind: OrgKind) -> str:
    """The endpoint of the workspace of an organisation of ``kind`` (the account page if it has none)."""
    return WORKSPACES.get(kind, "auth.account")


def workspace_url(principal: Principal | None) -> str | None:
    """The signed-in user's workspace, or None when nobody is signed in."""
    if principal is None:
        return None
    return url_for(workspace_endpoint(principal.org.kind))
