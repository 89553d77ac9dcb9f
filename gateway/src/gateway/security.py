"""Security headers on every gateway response (the public entry)."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

HEADERS = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "content-security-policy": "frame-ancestors 'none'",
    "permissions-policy": "geolocation=(), camera=(), microphone=()",
}


class SecurityHeadersMiddleware:
    """Adds the headers above; `Cache-Control: no-store` unless the upstream set a policy (API
    answers carry personal data and must not sit in shared caches); HSTS when `hsts` (behind
    TLS in production). The Swagger page keeps its own CSP needs: only `frame-ancestors` is set."""

    def __init__(self, app: ASGIApp, *, hsts: bool) -> None:
        self.app = app
        self.hsts = hsts
        defaults = {**HEADERS, "cache-control": "no-store"}
        if hsts:
            defaults["strict-transport-security"] = "max-age=31536000; includeSubDomains"
        self.defaults = [(name.encode("latin-1"), value.encode("latin-1")) for name, value in defaults.items()]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", ()))
                present = {name.lower() for name, _ in headers}
                headers += [(name, value) for name, value in self.defaults if name not in present]
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)
