"""Server-rendered HTML: the template environment's guarantees and the security headers."""
from __future__ import annotations

import base64
import hashlib
import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.responses import HTMLResponse, PlainTextResponse
from fastapi.testclient import TestClient
from httpx import Response
from jinja2 import UndefinedError

from sync.server import admin_tokens
from sync.server.api.app import create_app
from sync.server.api.html import (
    SecurityHeaders,
    content_security_policy,
    make_templates,
)
from sync.server.db.engine import make_engine, make_session_factory, upgrade
from sync.server.db.kiosks import ServicePoint
from sync.server.db.parcels import Parcel
from tests.sync.helpers import LiveServer

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


# --- every HTML page of the real app ----------------------------------------------------------

LINK_TOKEN, DONE_TOKEN, ENV_ADMIN_TOKEN = "link-token-1", "link-token-done", "env-admin-token-of-the-test"


@dataclass
class PagesApp:
    app: FastAPI
    admin_token: str


@pytest.fixture
def pages_app(tmp_path: Path) -> Iterator[PagesApp]:
    """The real app on SQLite with a stored and a picked-up parcel and an admin token."""
    url = f"sqlite:///{tmp_path / 'central.db'}"
    upgrade(url)
    now = datetime.now(UTC)
    engine = make_engine(url)
    with make_session_factory(engine).begin() as session:
        session.add(ServicePoint(id="SP-A", name="Byabutiken <&>", created_at=now))
        session.flush()
        for parcel_id, state, token in (("P1", "stored", LINK_TOKEN), ("P2", "picked_up", DONE_TOKEN)):
            session.add(Parcel(parcel_id=parcel_id, service_point_id="SP-A", tracking_id=f"RR{parcel_id}",
                               state=state, stored_event_id=f"e-{parcel_id}", language="fi",
                               pickup_code="123456", deadline=date(2030, 3, 9), link_token=token))
        admin = admin_tokens.create(session, "pages test", now)
    engine.dispose()
    yield PagesApp(create_app(url, admin_token=ENV_ADMIN_TOKEN), admin)


def _get_every_route(client: TestClient, app: FastAPI, admin_token: str) -> list[Response]:
    """One GET of every GET operation the app has, path parameters filled in, as an admin."""
    responses = []
    for path, operations in app.openapi()["paths"].items():
        if "get" in operations:
            url = re.sub(r"\{[^}]+\}", "x", path.replace("{token}", LINK_TOKEN))
            responses.append(client.get(url, headers={"Authorization": f"Bearer {admin_token}"}))
    # The pickup page's other answers: an unknown link and a parcel that is done.
    responses += [client.get("/p/unknown"), client.get(f"/p/{DONE_TOKEN}")]
    return responses


def _is_html(response: Response) -> bool:
    return str(response.headers.get("content-type", "")).startswith("text/html")


def test_every_html_response_of_the_app_has_the_security_headers(pages_app: PagesApp) -> None:
    with TestClient(pages_app.app) as client:
        responses = _get_every_route(client, pages_app.app, pages_app.admin_token)
    html = [r for r in responses if _is_html(r)]
    assert {r.url.path for r in html} >= {f"/p/{LINK_TOKEN}", "/p/unknown", f"/p/{DONE_TOKEN}",
                                           "/v1/admin/directory/usage.html"}
    assert sorted(r.status_code for r in html if r.url.path.startswith("/p/")) == [200, 404, 410]
    policy = make_templates().content_security_policy
    for response in html:
        assert response.headers["Content-Security-Policy"] == policy, response.url
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["Referrer-Policy"] == "no-referrer"
        assert "<script" not in response.text  # none inline, none hashed: the policy allows none
        for style in STYLE.findall(response.text):  # each inline stylesheet is one the policy allows
            digest = base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()
            assert f"'sha256-{digest}'" in policy, response.url
    for response in responses:
        assert response.headers["X-Content-Type-Options"] == "nosniff", response.url


def test_the_pickup_page_escapes_what_it_shows(pages_app: PagesApp) -> None:
    with TestClient(pages_app.app) as client:
        page = client.get(f"/p/{LINK_TOKEN}")
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    assert "Byabutiken &lt;&amp;&gt;" in page.text and "<&>" not in page.text
    assert '<p class="code">123456</p>' in page.text and '<html lang="fi">' in page.text


def test_chromium_applies_the_pages_styles_under_their_policy(pages_app: PagesApp, output_dir: Path) -> None:
    """A real browser: no Content-Security-Policy violation on the pickup page or the report."""
    if shutil.which("chromium") is None:
        pytest.skip("chromium is not installed")
    live = LiveServer(pages_app.app).start()
    try:
        for name, path in (("pickup", f"/p/{LINK_TOKEN}"), ("gone", f"/p/{DONE_TOKEN}")):
            screenshot = output_dir / f"{name}.png"
            browser = subprocess.run(
                ["chromium", "--headless=new", "--no-sandbox", "--disable-gpu", "--enable-logging=stderr",
                 "--v=0", f"--screenshot={screenshot}", "--window-size=480,900", live.url + path],
                capture_output=True, text=True, timeout=60, check=True)
            assert "Content Security Policy" not in browser.stderr, browser.stderr
            assert screenshot.stat().st_size > 5_000  # a drawn page
    finally:
        live.stop()
