"""The report's interactive part in headless Chromium (the Done-when of issue #16's report half).

Driven like a reader over the DevTools protocol (the client of test_report_browser.py): real mouse
moves and clicks at the painted marks, real <select>/<input type=date> changes. Checks: hover shows
a chart's values, clicking a topic lists its posts, clicking a post shows its thread, the site and
date filter narrows every chart and table (to the numbers the database gives), every post of the
period is named, no request leaves the file and nothing breaks the CSP.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

import pytest

from test_report import _query, hostile_db, realistic_db  # noqa: F401 - fixtures
from test_report_browser import DevTools, Page, browser, open_page  # noqa: F401 - fixture
from warehouse.report import build_report

pytest.importorskip("vl_convert", reason="the interactive report needs vl-convert-python (the [report] extra)")

CHARTS = ("chart-time", "chart-topics", "chart-tone", "chart-posts", "chart-late")


def wait_rendered(page: Page, after: int = 0, timeout: float = 60.0) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = page.evaluate("document.body.dataset.rendered || '0'")
        if int(value) > after:
            return int(value)
        page.tools.drain(0.1)
    raise TimeoutError("the charts were not drawn")


def mouse(page: Page, kind: str, x: float, y: float) -> None:
    params: dict[str, Any] = {"type": kind, "x": x, "y": y}
    if kind != "mouseMoved":
        params.update(button="left", clickCount=1)
    page.tools.send("Input.dispatchMouseEvent", params, session=page.session)


def click(page: Page, x: float, y: float) -> None:
    mouse(page, "mouseMoved", x, y)
    mouse(page, "mousePressed", x, y)
    mouse(page, "mouseReleased", x, y)
    page.tools.drain(0.3)


def centre_of(page: Page, selector_js: str) -> tuple[float, float]:
    """Scroll the element into view and give its centre in viewport pixels."""
    x, y = page.evaluate(f"""(() => {{
        const e = {selector_js};
        e.scrollIntoView({{block: 'center', inline: 'center'}});
        const r = e.getBoundingClientRect();
        return [r.left + r.width / 2, r.top + r.height / 2];
    }})()""")
    return x, y


def first_mark(chart: str, nth: int = 0) -> str:
    return f"document.querySelectorAll('#{chart} svg .mark-rect path')[{nth}]"


@pytest.fixture(scope="module")
def report_file(realistic_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:  # noqa: F811
    out = tmp_path_factory.mktemp("explore") / "report.html"
    build_report(realistic_db, out)
    return out


@pytest.fixture()
def page(browser: DevTools, report_file: Path) -> Page:  # noqa: F811
    page = open_page(browser, report_file, width=1280, height=1000)
    wait_rendered(page)
    return page


def test_the_interactive_part_runs_under_the_csp_and_asks_for_nothing(page: Page) -> None:
    assert page.evaluate("document.body.classList.contains('interactive')")
    assert page.evaluate("document.getElementById('explore').hidden") is False
    logged = [e["params"]["entry"] for e in page.events("Log.entryAdded")]
    assert [entry for entry in logged if entry.get("level") in ("error", "warning")] == []
    assert page.events("Runtime.exceptionThrown") == []
    requests = [e["params"]["request"]["url"] for e in page.events("Network.requestWillBeSent")]
    # data: URIs are inside the file (Chromium draws the date inputs' calendar icon from one).
    assert [url for url in requests if not url.startswith("data:")] == [page.url]
    assert page.events("Network.loadingFailed") == []
    for chart in CHARTS:
        assert page.evaluate(f"document.querySelectorAll('#{chart} svg .mark-rect path').length") > 0, chart
    # Every script that can run is listed by hash in the CSP (the JSON block is data, never run).
    csp = page.evaluate("document.querySelector('meta[http-equiv=Content-Security-Policy]').content")
    assert "'unsafe-inline'" not in csp and "'unsafe-eval'" not in csp and "default-src 'none'" in csp
    kinds = page.evaluate("[...document.scripts].map(s => s.type || 'classic')")
    assert kinds == ["application/json", "classic", "classic"]


def test_hover_shows_the_values_of_every_chart(page: Page) -> None:
    for chart in CHARTS:
        x, y = centre_of(page, first_mark(chart))
        mouse(page, "mouseMoved", x + 1, y)
        page.tools.drain(0.4)
        shown = page.evaluate("""(() => {
            const t = document.getElementById('vg-tooltip-element');
            return t && t.classList.contains('visible') ? t.innerText : null;
        })()""")
        assert shown, f"no tooltip on {chart}"
        assert any(ch.isdigit() for ch in shown), (chart, shown)
        assert ("comments" in shown) or ("share" in shown), (chart, shown)
        mouse(page, "mouseMoved", 2, 2)


def test_clicking_a_topic_lists_its_posts_and_a_post_shows_its_thread(page: Page, realistic_db: Path) -> None:  # noqa: F811
    x, y = centre_of(page, first_mark("chart-topics"))  # the busiest topic's bar
    click(page, x, y)
    heading = page.evaluate("document.getElementById('topic-posts-title').textContent")
    assert heading.startswith("Posts on “"), heading
    topic_id = int(heading.split("“T", 1)[1].split(" ", 1)[0])
    titles = page.evaluate("[...document.querySelectorAll('#topic-posts tbody tr td:first-child')]"
                           ".map(td => td.textContent)")
    expected = _query(realistic_db, "select title from v_post_discussion where topic_id = ?", [topic_id])
    assert sorted(titles) == sorted(t for (t,) in expected)
    header = page.evaluate("[...document.querySelectorAll('#topic-posts thead th')].map(th => th.textContent)")
    assert header == ["post", "site", "published", "comments", "tone"]

    # The liveliest post of the topic (first row), clicked as a reader would.
    x, y = centre_of(page, "document.querySelector('#topic-posts tbody tr button')")
    click(page, x, y)
    title = page.evaluate("document.querySelector('#topic-posts tbody tr td').textContent")
    assert page.evaluate("document.getElementById('thread-title').textContent") == f"Thread: {title}"
    post_id = _query(realistic_db, "select post_id from v_post_discussion where topic_id = ? and title = ? "
                                   "order by comments desc limit 1", [topic_id, title])[0][0]
    comments = _query(realistic_db, "select author_pseudonym, depth from comments where post_id = ?", [post_id])
    items = page.evaluate("""[...document.querySelectorAll('#thread ol.thread li')].map(li => ({
        who: li.querySelector('.who').textContent, depth: +li.dataset.depth, text: li.innerText}))""")
    assert len(items) == len(comments)
    assert sorted(i["who"] for i in items) == sorted(c[0] or "anonymous" for c in comments)
    assert sorted(i["depth"] for i in items) == sorted(c[1] for c in comments)
    assert all("after the post" in i["text"] for i in items)
    assert "comment text is left out" in page.evaluate("document.getElementById('thread-meta').textContent")
    assert "PRIVATE-COMMENT-TEXT" not in page.evaluate("document.body.innerText")


def _chart_totals(page: Page) -> dict[str, int]:
    return {c: int(page.evaluate(f"document.getElementById('{c}').dataset.total")) for c in CHARTS}


def _set(page: Page, element_id: str, value: str) -> None:
    page.evaluate(f"""(() => {{ const e = document.getElementById('{element_id}'); e.value = {json.dumps(value)};
        e.dispatchEvent(new Event('change', {{bubbles: true}})); }})()""")


def test_the_filter_narrows_every_chart_and_table(page: Page, realistic_db: Path) -> None:  # noqa: F811
    before = _chart_totals(page)
    rendered = int(page.evaluate("document.body.dataset.rendered"))
    _set(page, "f-site", "couch-talk")
    rendered = wait_rendered(page, rendered)
    _set(page, "f-from", "2025-01-01")
    rendered = wait_rendered(page, rendered)
    _set(page, "f-to", "2025-03-31")
    wait_rendered(page, rendered)
    after = _chart_totals(page)
    window = ["couch-talk", dt_from := "2025-01-01", dt_to := "2025-03-31"]
    written = _query(realistic_db, """select count(*) from comments c join posts p using (post_id)
        where p.site_id = ? and cast(c.published_at as date) between ? and ?""", window)[0][0]
    posts = _query(realistic_db, """select count(*), coalesce(sum(comments), 0) from v_post_discussion
        where site_id = ? and cast(published_at as date) between ? and ?""", window)[0]
    late = _query(realistic_db, """select count(*) from v_late_comments where site_id = ?
        and cast(comment_published_at as date) between ? and ?""", window)[0][0]
    assert after["chart-time"] == written < before["chart-time"]
    assert after["chart-topics"] == written < before["chart-topics"]
    assert after["chart-tone"] < before["chart-tone"]
    assert after["chart-posts"] < before["chart-posts"]
    assert after["chart-late"] == late < before["chart-late"]
    months = page.evaluate("[...document.querySelectorAll('#chart-time svg .role-axis-label text')]"
                           ".map(t => t.textContent)")
    months = [m for m in months if re.fullmatch(r"\d{4}-\d{2}", m)]  # the x axis (the y axis has counts)
    assert months == ["2025-01", "2025-02", "2025-03"] and months[0] == dt_from[:7] and months[-1] == dt_to[:7]
    # Tables: the topics' comments and the posts list follow the same filter.
    table_comments = page.evaluate("[...document.querySelectorAll('#topic-table tbody tr td:nth-child(3)')]"
                                   ".reduce((s, td) => s + Number(td.textContent.replace(/,/g, '')), 0)")
    assert table_comments == written
    rows = page.evaluate("[...document.querySelectorAll('#topic-posts tbody tr')].map(tr => tr.children[1].textContent)")
    assert len(rows) == posts[0] and set(rows) == {"couch-talk"}
    shown = page.evaluate("document.getElementById('f-shown').textContent")
    assert shown == f"Showing {posts[0]} posts and {written} comments"
    rendered = int(page.evaluate("document.body.dataset.rendered"))
    page.evaluate("document.getElementById('f-reset').click()")
    wait_rendered(page, rendered)
    assert _chart_totals(page) == before


def test_the_report_names_every_post_of_the_period(page: Page, report_file: Path, realistic_db: Path) -> None:  # noqa: F811
    titles = [t for (t,) in _query(realistic_db, "select title from posts")]
    data = json.loads(page.evaluate("document.getElementById('report-data').textContent"))
    named = [p["t"] for p in data["posts"] if p["p"]]
    assert sorted(named) == sorted(titles)
    listed = page.evaluate("[...document.querySelectorAll('#topic-posts tbody tr td:first-child')]"
                           ".map(td => td.textContent)")
    assert sorted(listed) == sorted(titles)  # with no topic chosen, the list holds every post of the period


def test_print_shows_the_static_charts_instead(page: Page) -> None:
    page.tools.send("Emulation.setEmulatedMedia", {"media": "print"}, session=page.session)
    try:
        assert page.evaluate("getComputedStyle(document.getElementById('explore')).display") == "none"
        sizes = page.evaluate("[...document.querySelectorAll('.static-report figure svg')]"
                              ".map(s => s.getBoundingClientRect().width)")
        assert len(sizes) == 7 and all(w > 300 for w in sizes)
    finally:
        page.tools.send("Emulation.setEmulatedMedia", {"media": ""}, session=page.session)


def test_hostile_strings_in_tooltips_tables_and_threads_stay_text(browser: DevTools, hostile_db: Path,  # noqa: F811
                                                                  tmp_path: Path) -> None:
    from test_report import HOSTILE_LABEL, HOSTILE_TITLE

    out = tmp_path / "report.html"
    build_report(hostile_db, out)
    page = open_page(browser, out, width=1280, height=1000)
    wait_rendered(page)
    # Hover every bar of the topics chart until the hostile label's tooltip shows.
    marks = page.evaluate("document.querySelectorAll('#chart-topics svg .mark-rect path').length")
    seen = []
    for nth in range(marks):
        x, y = centre_of(page, first_mark("chart-topics", nth))
        mouse(page, "mouseMoved", x + 1, y)
        page.tools.drain(0.3)
        seen.append(page.evaluate("document.getElementById('vg-tooltip-element').innerText"))
    assert any(HOSTILE_LABEL in text for text in seen), seen
    assert page.evaluate("document.querySelectorAll('#vg-tooltip-element *:not(table):not(tbody):not(tr):not(td)')"
                         ".length") == 0
    # The hostile post in the posts list, clicked: its thread opens, nothing runs.
    row = page.evaluate(f"""[...document.querySelectorAll('#topic-posts tbody tr button')]
        .findIndex(b => b.textContent === {json.dumps(HOSTILE_TITLE)})""")
    assert row >= 0
    x, y = centre_of(page, f"document.querySelectorAll('#topic-posts tbody tr button')[{row}]")
    click(page, x, y)
    assert page.evaluate("document.getElementById('thread-title').textContent") == f"Thread: {HOSTILE_TITLE}"
    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert page.evaluate("document.querySelectorAll('img, iframe, object, embed, foreignObject').length") == 0
    assert page.events("Page.javascriptDialogOpening") == []
    logged = [e["params"]["entry"] for e in page.events("Log.entryAdded")]
    assert [entry for entry in logged if entry.get("level") in ("error", "warning")] == []
