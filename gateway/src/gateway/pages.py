"""Pages people open in a browser, served by the gateway itself (beside `/docs`): a static
shell that holds no data. The monitoring dashboard (监测驾驶舱, `/dashboard`) signs its reader in
with `/v1/auth/login` and fetches every figure from the services with the token, so the
services keep every operation behind a scope and the region scoping of the caller. The script
is a file of its own: the Content-Security-Policy allows no inline script."""

from __future__ import annotations

import importlib.resources

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)


def _page(name: str) -> str:
    return importlib.resources.files("gateway").joinpath("pages", name).read_text(encoding="utf-8")


def pages_router() -> APIRouter:
    """`GET /dashboard` and its script (read once, when the app is built)."""
    router = APIRouter(include_in_schema=False)
    page, script = _page("dashboard.html"), _page("dashboard.js")
    headers = {"Content-Security-Policy": CSP, "Cache-Control": "no-cache"}

    @router.get("/dashboard")
    async def dashboard() -> HTMLResponse:
        return HTMLResponse(page, headers=headers)

    @router.get("/dashboard/app.js")
    async def dashboard_script() -> Response:
        return Response(script, media_type="text/javascript; charset=utf-8", headers=headers)

    return router
