"""Server-rendered HTML: the Jinja2 templates of every page, and the headers of every response.

Pages are templates in `templates/` (autoescape on: a value is text unless the code marks it
`Markup`; `StrictUndefined`: a missing value is an error, never an empty spot on a page). One
`Templates` is made per app by create_app (and one per command by the CLI that writes the usage
report to a file), never at import time.

A page's styles are inline, from `templates/css/`, so each page is one self-contained file (the
usage report is mailed and opened from disk too). The Content-Security-Policy allows exactly
those stylesheets, by their SHA-256, and no inline script at all.

Why every template lives here and not beside its feature: one folder of stylesheets is the
policy's whole hash list, checked in one place; and the features (parcels/page.py,
usage/report.py) hand over plain view objects, so they import neither Jinja nor FastAPI and
are tested without HTML.

`SecurityHeaders` puts the headers on in one place, for every route there is and will be:
`X-Content-Type-Options: nosniff` on every response, and on every `text/html` response the
CSP, `X-Frame-Options: DENY` (no framing, no clickjacking) and `Referrer-Policy: no-referrer`
(the pickup page's URL holds a token that must not leak to another site).
"""
from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, cast

from fastapi import Depends, Request
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

TEMPLATES_DIR = Path(__file__).with_name("templates")
STYLESHEETS = "css"
NOSNIFF = {"X-Content-Type-Options": "nosniff"}


@dataclass(frozen=True)
class Templates:
    environment: Environment
    content_security_policy: str

    def render(self, name: str, **context: Any) -> str:
        return self.environment.get_template(name).render(**context)


def make_templates(directory: Path = TEMPLATES_DIR) -> Templates:
    environment = Environment(loader=FileSystemLoader(directory), autoescape=True,
                              undefined=StrictUndefined, auto_reload=False, keep_trailing_newline=True)
    # Each stylesheet exactly as a template's {% include %} puts it between <style> tags.
    styles = [environment.get_template(f"{STYLESHEETS}/{path.name}").render()
              for path in sorted((directory / STYLESHEETS).glob("*.css"))]
    return Templates(environment, content_security_policy(styles))


def content_security_policy(inline_styles: Iterable[str]) -> str:
    hashes = " ".join(f"'sha256-{_sha256_b64(style)}'" for style in inline_styles)
    return "; ".join([
        "default-src 'self'",
        f"style-src {hashes}" if hashes else "style-src 'self'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ])


def _sha256_b64(text: str) -> str:
    return base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii")


def html_headers(content_security_policy: str) -> dict[str, str]:
    return {
        "Content-Security-Policy": content_security_policy,
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "no-referrer",
        **NOSNIFF,
    }


class SecurityHeaders:
    """ASGI middleware: nosniff on every response, the HTML headers on every HTML response.

    Plain ASGI rather than BaseHTTPMiddleware (which runs the endpoint in a task of its own and
    wraps every body in a stream): this only edits the response's first message on its way out."""

    def __init__(self, app: ASGIApp, content_security_policy: str) -> None:
        self.app = app
        self.html = html_headers(content_security_policy)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                is_html = headers.get("content-type", "").lower().startswith("text/html")
                headers.update(self.html if is_html else NOSNIFF)
            await send(message)

        await self.app(scope, receive, send_with_headers)


def get_templates(request: Request) -> Templates:
    return cast(Templates, request.app.state.templates)


TemplatesDep = Annotated[Templates, Depends(get_templates)]
