"""Server-rendered HTML: the template environment's guarantees and the security headers."""
from __future__ import annotations

import base64
import hashlib
import re

import pytest
from fastapi import FastAPI
from fastapi.responses import HTMLResponse, PlainTextResponse
from fastapi.testclient import TestClient
from jinja2 import UndefinedError

from sync.server.api.html import (
    SecurityHeaders,
    content_security_policy,
    make_templates,
)

STYLE = re.compile(r"<style>(.*?)</style>", re.DOTALL)


def test_values_are_escaped_and_a_missing_one_is_an_error() -> None:
    templates = make_templates()
    page = templates.environment.from_string("<p>{{ name }}</p>").render(name="<script>x</script>")
    assert page == "<p>&lt;script&gt;x&lt;/script&gt;</p>"
    with pytest.raises(UndefinedError):
        templates.environment.from_string("<p>{{ name }}</p>").render()


def test_the_policy_allows_exactly_the_inline_stylesheets_and_no_inline_script() -> None:
    templates = make_templates()
    policy = templates.content_security_policy
    for name in ("pickup.html", "usage_report.html"):
        source = templates.environment.loader.get_source(templates.environment, name)[0]  # type: ignore[union-attr]
        include = re.search(r'<style>{% include "(.*?)" %}</style>', source)
        assert include, f"{name} has no stylesheet"
        style = templates.environment.get_template(include[1]).render()
        digest = base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in policy
    directives = dict(d.split(" ", 1) for d in policy.split("; "))
    assert directives["default-src"] == "'self'" and directives["frame-ancestors"] == "'none'"
    assert "script-src" not in directives and "unsafe-inline" not in policy  # default-src: no inline script


def test_no_stylesheets_means_self_only() -> None:
    assert "style-src 'self'" in content_security_policy([])


def _app() -> FastAPI:
    app = FastAPI()

    @app.get("/page", response_class=HTMLResponse)
    def page() -> str:
        return "<p>hi</p>"

    @app.get("/data")
    def data() -> dict[str, str]:
        return {"a": "b"}

    @app.get("/text", response_class=PlainTextResponse)
    def text() -> str:
        return "plain"

    app.add_middleware(SecurityHeaders, content_security_policy="default-src 'self'")
    return app


def test_html_gets_every_header_and_everything_else_nosniff() -> None:
    with TestClient(_app()) as client:
        page, data, text = client.get("/page"), client.get("/data"), client.get("/text")
        missing = client.get("/nowhere")
    assert page.headers["Content-Security-Policy"] == "default-src 'self'"
    assert page.headers["X-Frame-Options"] == "DENY" and page.headers["Referrer-Policy"] == "no-referrer"
    for response in (page, data, text, missing):
        assert response.headers["X-Content-Type-Options"] == "nosniff"
    for response in (data, text, missing):
        assert "Content-Security-Policy" not in response.headers and "X-Frame-Options" not in response.headers
