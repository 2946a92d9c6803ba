"""The charting library of the interactive report: Vega, Vega-Lite and Vega-Embed, inlined.

Why Vega-Lite (through the ``vl-convert-python`` wheel) and not Plotly or hand-built SVG:

- it runs under a strict CSP. Vega compiles chart expressions with ``new Function`` unless the
  spec is parsed with ``ast: true``; Vega-Embed then evaluates them with its bundled interpreter
  (vega-interpreter), so the page needs no ``'unsafe-eval'``. Checked in headless Chromium: no CSP
  report, charts drawn (tests/test_report_browser.py).
- it is small enough: the bundle is 0.90 MB (vl-convert-python 1.9.0.post1, Vega-Lite 6.4), where
  plotly.min.js from the plotly wheel is ~4.6 MB, over the report's ~3 MB budget on its own.
- tooltips, click events and data updates come with it; hand-built SVG would re-implement them.

The bundle comes from the wheel, offline: ``vl_convert.javascript_bundle()`` builds it from the
JavaScript packed inside the wheel (no CDN). Building takes ~20 s, so it is cached per
vl-convert version in blogscope's cache folder (``$BLOGSCOPE_CACHE_DIR``, ``~/.cache/blogscope``).
Without vl-convert installed (``pip install 'blogscope[report]'``) the report stays static.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from pipeline.language import model_cache_dir

log = logging.getLogger(__package__)

_memo: dict[str, str] = {}


def vega_bundle() -> str | None:
    """The Vega + Vega-Lite + Vega-Embed bundle (exposes ``vegaEmbed`` on window), or None without vl-convert."""
    try:
        import vl_convert as vlc
    except ImportError:
        log.info("report: vl-convert-python is not installed; the report has static charts only")
        return None
    version = getattr(vlc, "__version__", "unknown")
    if version in _memo:
        return _memo[version]
    cache = model_cache_dir()
    cached = cache / f"vega-embed-bundle-{version}.js" if cache else None
    if cached is not None and cached.is_file():
        bundle = cached.read_text(encoding="utf-8")
    else:
        bundle = vlc.javascript_bundle()
        if cached is not None:
            _write_atomically(cached, bundle)
    _memo[version] = bundle
    return bundle


def _write_atomically(path: Path, text: str) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
    except OSError as exc:  # a read-only cache costs 20 s per report, nothing more
        log.info("report: cannot cache the chart library in %s (%s)", path, exc)
