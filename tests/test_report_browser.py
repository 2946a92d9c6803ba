"""The report in a real browser: headless Chromium driven over the DevTools protocol.

Checks what only a browser can tell: no console errors or CSP violations, every chart laid out
with a size and painted (the screenshot is not blank), hostile strings shown as text and never
run, no network request at all beyond the file itself, and that the CSV ``data:`` download links
still download under ``default-src 'none'``.

Chromium is Debian's ``chromium`` (CI installs it in ``.ci/run``). Without it the tests skip,
except under CI (``CI`` set), where a missing browser is a failure. The DevTools client is a few
lines over ``websockets`` (installed with Prefect); nothing else is needed.
"""

from __future__ import annotations

import base64
import io
import json
import os
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from test_report import (HOSTILE_LABEL, HOSTILE_PSEUDONYM, HOSTILE_TITLE, PAYLOAD_URL,  # noqa: F401 - fixtures
                         build_database, hostile_db, realistic_db)
from warehouse.report import build_report

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-default-apps", "--disable-extensions", "--mute-audio", "--hide-scrollbars",
    # Nothing may resolve: a request that slipped past the CSP could not leave the machine either.
    "--host-resolver-rules=MAP * ~NOTFOUND",
]


def chromium_path() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    if os.environ.get("CI"):
        pytest.fail("chromium is not installed; CI must install it (.ci/run: apt-get install -y chromium)")
    pytest.skip("chromium is not installed (apt-get install -y chromium); the browser checks need it")


class DevTools:
    """A minimal Chrome DevTools Protocol client over one browser websocket (flat sessions)."""

    def __init__(self, url: str) -> None:
        from websockets.sync.client import connect

        self.ws = connect(url, max_size=None, open_timeout=30)
        self.events: list[dict[str, Any]] = []
        self._next_id = 0

    def send(self, method: str, params: dict[str, Any] | None = None, session: str | None = None,
             timeout: float = 60.0) -> dict[str, Any]:
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        self.ws.send(json.dumps(message))
        deadline = time.monotonic() + timeout
        while True:
            reply = json.loads(self.ws.recv(timeout=max(0.1, deadline - time.monotonic())))
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def wait_for(self, matches: Callable[[dict[str, Any]], bool], timeout: float = 60.0) -> dict[str, Any]:
        for event in self.events:
            if matches(event):
                return event
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            event = json.loads(self.ws.recv(timeout=max(0.1, deadline - time.monotonic())))
            self.events.append(event)
            if matches(event):
                return event
        raise TimeoutError("the browser did not send the awaited event")

    def drain(self, seconds: float) -> None:
        """Collect events for a while (late console messages, late requests)."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                self.events.append(json.loads(self.ws.recv(timeout=max(0.05, deadline - time.monotonic()))))
            except TimeoutError:
                return

    def close(self) -> None:
        self.ws.close()


class Page:
    """One tab with the report loaded, and everything the browser said while loading it."""

    def __init__(self, tools: DevTools, session: str, url: str) -> None:
        self.tools, self.session, self.url = tools, session, url

    def evaluate(self, expression: str) -> Any:
        result = self.tools.send("Runtime.evaluate", {"expression": expression, "returnByValue": True},
                                 session=self.session)
        if "exceptionDetails" in result:
            raise RuntimeError(f"evaluate failed: {result['exceptionDetails']}")
        return result["result"].get("value")

    def events(self, *methods: str) -> list[dict[str, Any]]:
        return [e for e in self.tools.events if e.get("method") in methods
                and e.get("sessionId", self.session) == self.session]


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevTools]:
    exe = chromium_path()
    profile = tmp_path_factory.mktemp("chromium-profile")
    proc = subprocess.Popen([exe, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--remote-debugging-port=0",
                             "--remote-debugging-address=127.0.0.1", "about:blank"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        port_file = profile / "DevToolsActivePort"
        deadline = time.monotonic() + 60
        while not (port_file.exists() and len(port_file.read_text().splitlines()) >= 2):
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"chromium did not start (exit code {proc.poll()})")
            time.sleep(0.1)
        port, path = port_file.read_text().splitlines()[:2]
        tools = DevTools(f"ws://127.0.0.1:{port}{path}")
        yield tools
        tools.close()
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=20)


def open_page(tools: DevTools, html_file: Path, *, width: int = 1280, height: int = 900) -> Page:
    target = tools.send("Target.createTarget", {"url": "about:blank"})["targetId"]
    session = tools.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
    for domain in ("Page", "Runtime", "Network", "Log"):
        tools.send(f"{domain}.enable", session=session)
    tools.send("Emulation.setDeviceMetricsOverride",
               {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False}, session=session)
    url = html_file.resolve().as_uri()
    frame = tools.send("Page.navigate", {"url": url}, session=session)
    assert "errorText" not in frame, frame
    tools.wait_for(lambda e: e.get("method") == "Page.loadEventFired" and e.get("sessionId") == session)
    tools.drain(0.5)
    page = Page(tools, session, url)
    # A report with the interactive part: wait until its charts are drawn (their errors count too).
    deadline = time.monotonic() + 60
    while page.evaluate("!!document.getElementById('explore') && !document.body.dataset.rendered"):
        if time.monotonic() > deadline:
            raise TimeoutError("the report's interactive charts were not drawn")
        tools.drain(0.1)
    return page


def screenshot(page: Page, *, full: bool = True) -> bytes:
    params: dict[str, Any] = {"format": "png"}
    if full:
        params["captureBeyondViewport"] = True
        size = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.scrollHeight]")
        params["clip"] = {"x": 0, "y": 0, "width": size[0], "height": size[1], "scale": 1}
    return base64.b64decode(page.tools.send("Page.captureScreenshot", params, session=page.session)["data"])


def pixel_stdev(png: bytes, box: tuple[int, int, int, int] | None = None) -> float:
    from PIL import Image, ImageStat

    image = Image.open(io.BytesIO(png)).convert("L")
    if box:
        image = image.crop(box)
    return ImageStat.Stat(image).stddev[0]


@pytest.fixture(scope="module")
def hostile_page(browser: DevTools, hostile_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Page:
    out = tmp_path_factory.mktemp("browser-hostile") / "report.html"
    build_report(hostile_db, out)
    return open_page(browser, out)


def test_no_console_errors_and_no_csp_violations(hostile_page: Page) -> None:
    logged = [e["params"]["entry"] for e in hostile_page.events("Log.entryAdded")]
    problems = [entry for entry in logged if entry.get("level") in ("error", "warning")]
    assert problems == [], problems
    console = [e["params"] for e in hostile_page.events("Runtime.consoleAPICalled")]
    assert console == [], console
    assert hostile_page.events("Runtime.exceptionThrown") == []


def static_view(page: Page) -> None:
    """Show the static sections as a reader without script (or a printout) sees them.

    With script on, the interactive part replaces them on screen; they stay in the page for print
    and for browsers without script, and these tests check that rendering.
    """
    page.evaluate("document.body.classList.remove('interactive')")


def outside_requests(page: Page) -> list[str]:
    """Requests for anything but the file itself; data: URIs are inside the file (Chromium draws the date
    inputs' calendar icon from one)."""
    return [e["params"]["request"]["url"] for e in page.events("Network.requestWillBeSent")
            if e["params"]["request"]["url"] != page.url and not e["params"]["request"]["url"].startswith("data:")]


def test_nothing_is_requested_beyond_the_file_itself(hostile_page: Page) -> None:
    requests = [e["params"]["request"]["url"] for e in hostile_page.events("Network.requestWillBeSent")]
    assert requests[0] == hostile_page.url and outside_requests(hostile_page) == []
    assert hostile_page.events("Network.loadingFailed") == []


def test_hostile_strings_show_as_text_and_never_run(hostile_page: Page) -> None:
    page = hostile_page
    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert page.events("Page.javascriptDialogOpening") == []
    # Only the report's own scripts: its data (JSON, never run), the chart library and the page's script.
    assert page.evaluate("[...document.scripts].map(s => s.type || 'classic')") == [
        "application/json", "classic", "classic"]
    assert page.evaluate("document.querySelectorAll('img, iframe, object, embed, foreignObject').length") == 0
    explore = page.evaluate("document.getElementById('explore').innerText")
    for payload in (HOSTILE_TITLE, HOSTILE_LABEL):  # the interactive tables show them as text
        assert payload in explore, payload
    static_view(page)
    text = page.evaluate("document.body.innerText")
    for payload in (HOSTILE_TITLE, HOSTILE_LABEL, HOSTILE_PSEUDONYM, PAYLOAD_URL):
        assert payload in text, payload
    hrefs = page.evaluate("[...document.querySelectorAll('a[href]')].map(a => a.href)")
    assert hrefs and all(h.startswith(("https://", "http://", "data:text/csv;", page.url + "#")) for h in hrefs), \
        [h[:80] for h in hrefs if not h.startswith(("https://", "http://", "data:text/csv;"))]
    assert not any(h.lower().startswith("javascript:") for h in hrefs)
    # The payload title is a plain table cell, not a link.
    linked = page.evaluate("[...document.querySelectorAll('#most-discussed a')].map(a => a.textContent)")
    assert HOSTILE_TITLE not in linked


def test_every_chart_is_laid_out_and_painted(hostile_page: Page) -> None:
    page = hostile_page
    static_view(page)
    boxes = page.evaluate("""[...document.querySelectorAll('figure svg')].map(s => {
        const r = s.getBoundingClientRect();
        return {w: r.width, h: r.height, x: r.left, y: r.top + window.scrollY,
                texts: s.querySelectorAll('text').length, paths: s.querySelectorAll('path').length};
    })""")
    assert len(boxes) == 7
    for box in boxes:
        assert box["w"] > 300 and box["h"] > 100, box
        assert box["texts"] > 3 and box["paths"] > 3, box
    png = screenshot(page)
    assert pixel_stdev(png) > 20
    for box in boxes:  # each chart's own area is painted, not blank
        area = (int(box["x"]), int(box["y"]), int(box["x"] + box["w"]), int(box["y"] + box["h"]))
        assert pixel_stdev(png, area) > 15, area


def test_csv_links_download_under_the_content_security_policy(browser: DevTools, hostile_page: Page,
                                                               tmp_path: Path) -> None:
    page = hostile_page
    static_view(page)
    browser.send("Browser.setDownloadBehavior",
                 {"behavior": "allowAndName", "downloadPath": str(tmp_path), "eventsEnabled": True})
    name, href, x, y = page.evaluate("""(() => {
        const a = document.querySelector('#trends a[download]');
        a.scrollIntoView({block: 'center'});
        const r = a.getBoundingClientRect();
        return [a.getAttribute('download'), a.href, r.left + r.width / 2, r.top + r.height / 2];
    })()""")
    assert name == "topic-trends.csv"
    for kind in ("mousePressed", "mouseReleased"):  # a real (trusted) click, as an editor would
        browser.send("Input.dispatchMouseEvent",
                     {"type": kind, "x": x, "y": y, "button": "left", "clickCount": 1}, session=page.session)
    begun = browser.wait_for(lambda e: e.get("method") == "Browser.downloadWillBegin", timeout=30)
    assert begun["params"]["suggestedFilename"] == "topic-trends.csv"
    done = browser.wait_for(lambda e: e.get("method") == "Browser.downloadProgress"
                            and e["params"]["state"] in ("completed", "canceled"), timeout=30)
    assert done["params"]["state"] == "completed"
    saved = (tmp_path / done["params"]["guid"]).read_bytes()
    assert saved == base64.b64decode(href.split(",", 1)[1])
    assert saved.decode("utf-8").startswith("\ufeffmodel_run_id,topic_id,topic,")
    # Downloading did not navigate away, nor log a CSP complaint.
    assert page.evaluate("location.href") == page.url
    browser.drain(0.3)
    assert [e for e in page.events("Log.entryAdded") if e["params"]["entry"].get("level") == "error"] == []


def test_empty_report_renders_cleanly(browser: DevTools, tmp_path: Path) -> None:
    db = build_database(tmp_path / "blogscope.duckdb", None)
    out = tmp_path / "report.html"
    build_report(db, out)
    page = open_page(browser, out)
    assert page.evaluate("document.querySelectorAll('svg').length") == 0
    assert page.evaluate("document.querySelectorAll('.nodata').length") >= 6
    assert [e for e in page.events("Log.entryAdded") if e["params"]["entry"].get("level") == "error"] == []
    assert outside_requests(page) == []


def test_screenshot_of_a_realistic_report(browser: DevTools, realistic_db: Path, tmp_path: Path) -> None:
    """Renders the realistic (clean) fixture; with BLOGSCOPE_UPDATE_DOCS=1 it refreshes docs/report.png."""
    out = tmp_path / "report.html"
    build_report(realistic_db, out, title="Reader discussion report: demo psychiatry blogs")
    page = open_page(browser, out, width=1200, height=1700)
    png = base64.b64decode(browser.send("Page.captureScreenshot", {"format": "png"}, session=page.session)["data"])
    assert pixel_stdev(png) > 20
    small = shrink_png(png)
    assert len(small) < 400_000
    if os.environ.get("BLOGSCOPE_UPDATE_DOCS") == "1":
        (ROOT / "docs" / "report.png").write_bytes(small)


def shrink_png(png: bytes, colours: int = 256) -> bytes:
    """A palette PNG: charts and text have few colours, so the file shrinks several times over."""
    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("RGB")
    paletted = image.quantize(colors=colours, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE)
    buf = io.BytesIO()
    paletted.save(buf, format="PNG", optimize=True)
    return buf.getvalue()


def test_the_harness_sees_violations_when_there_are_some(browser: DevTools, tmp_path: Path) -> None:
    """Guards the checks above: a page that breaks the rules must be caught by the same probes."""
    from warehouse.report import CSP

    bad = tmp_path / "bad.html"
    bad.write_text(f"""<!DOCTYPE html><html><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{CSP}"></head><body>
<img src="https://cdn.example.org/x.png" onerror="window.__pwned=1"><script>window.__pwned=2</script>
</body></html>""", encoding="utf-8")
    page = open_page(browser, bad)
    assert page.evaluate("typeof window.__pwned") == "undefined"  # the CSP held...
    errors = [e["params"]["entry"]["text"] for e in page.events("Log.entryAdded")
              if e["params"]["entry"].get("level") == "error"]
    assert any("Content Security Policy" in text for text in errors)  # ...and was seen complaining
    requests = [e["params"]["request"]["url"] for e in page.events("Network.requestWillBeSent")]
    assert "https://cdn.example.org/x.png" in requests  # an attempted fetch is visible too
