"""Cross-site request refusal for the routes a cookie authenticates (`/auth/refresh`, `/auth/logout`).

The refresh cookie is SameSite=Strict; this is the second lock. A browser names the page that sent a request
in `Origin` (or, failing that, `Referer`) and says whether it was cross-site in `Sec-Fetch-Site`: a request
from any origin other than the API's own, its public URL's or a configured CORS origin is refused. A request
with none of those headers does not come from a web page (curl, SDKs) and carries no ambient credentials to
abuse, so it passes.
"""

from __future__ import annotations

from fastapi import Depends, Request

from agentflow.config import url_origin
from agentflow.errors import Forbidden
from api.deps import SettingsDep


async def refuse_cross_site(request: Request, settings: SettingsDep) -> None:
    """403 csrf_refused for a request a page on another site made."""
    headers = request.headers
    if headers.get("sec-fetch-site", "").lower() == "cross-site":
        raise _refused("the browser marked it cross-site")
    sender = headers.get("origin") or headers.get("referer")
    if sender is None:
        return
    origin = url_origin(sender)  # "" for `Origin: null` (sandboxed frames, privacy redirects): refused
    # The request's own origin: the page that sent it was served by this host (what a browser calls
    # same-origin), whatever name the operator reaches it by (localhost or 127.0.0.1).
    own = url_origin(f"{request.url.scheme}://{headers.get('host', '')}")
    allowed = {own, settings.public_origin, *(url_origin(o) for o in settings.cors_origins)} - {""}
    if origin not in allowed:
        raise _refused(f"it came from {origin or 'an opaque origin'}")


def _refused(why: str) -> Forbidden:
    return Forbidden(
        f"Cross-site request refused: {why}. Sessions can only be refreshed or ended from this site.",
        code="csrf_refused",
    )


SAME_SITE_ONLY = Depends(refuse_cross_site)
