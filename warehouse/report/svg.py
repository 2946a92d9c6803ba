"""Turning a matplotlib figure into inline SVG that is safe to put in the page."""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET
from typing import Any

_SVG_ID = re.compile(r'\bid="([^"]+)"')
_SVG_REF = re.compile(r'(url\(#|href="#)([^)"]+)')
_SVG_FORBIDDEN_TAGS = {"script", "foreignobject", "iframe", "a", "image", "feimage", "animate", "set",
                       "animatemotion", "animatetransform", "handler", "listener"}


_STYLE_ATTR = re.compile(r'<([a-zA-Z][\w:-]*)((?:\s+[\w:-]+="[^"]*")*?)\s+style="([^"]*)"')
_STYLE_ELEMENT = re.compile(r"<style[^>]*>.*?</style>\s*", re.S)


def presentation_attributes(svg: str) -> str:
    """``style="fill: #fff; stroke: #000"`` becomes ``fill="#fff" stroke="#000"``.

    The page's CSP allows no inline style (only its one <style>, by hash), which would blank
    matplotlib's colours; SVG presentation attributes carry the same longhand properties and are
    not styles. matplotlib's own ``<style>`` (``stroke-linejoin: round; stroke-linecap: butt``) is
    dropped: report.css sets the same for every figure.
    """
    svg = _STYLE_ELEMENT.sub("", svg)

    def convert(m: re.Match[str]) -> str:
        tag, attrs, style = m.group(1), m.group(2), m.group(3)
        present = set(re.findall(r'([\w:-]+)="', attrs))
        extra = []
        for decl in style.split(";"):
            if ":" not in decl:
                continue
            name, value = (x.strip() for x in decl.split(":", 1))
            if re.fullmatch(r"[a-z-]+", name) and name not in present:
                extra.append(f'{name}="{value}"')
        return f"<{tag}{attrs}" + "".join(" " + e for e in extra)

    previous = None
    while previous != svg:  # one style attribute per tag per pass
        previous, svg = svg, _STYLE_ATTR.sub(convert, svg)
    return svg


def check_svg(svg: str) -> None:
    """Refuse to inline an SVG with anything active in it (defence in depth: matplotlib escapes text)."""
    root = ET.fromstring(svg)
    for el in root.iter():
        tag = el.tag.rsplit("}", 1)[-1].lower()
        if tag in _SVG_FORBIDDEN_TAGS:
            raise RuntimeError(f"chart SVG contains a <{tag}> element; refusing to inline it")
        for name, value in el.attrib.items():
            local = name.rsplit("}", 1)[-1].lower()
            if local.startswith("on"):
                raise RuntimeError(f"chart SVG has an event attribute {local}; refusing to inline it")
            if local == "href" and not value.startswith("#"):
                raise RuntimeError("chart SVG links outside itself; refusing to inline it")


def svg_markup(fig: Any, prefix: str, label: str) -> Any:
    """Inline SVG markup for a figure: unique ids per chart, no XML prolog, checked, accessible."""
    from markupsafe import Markup, escape

    buf = io.StringIO()
    fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None, "Format": None, "Type": None})
    svg = buf.getvalue()
    svg = svg[svg.index("<svg"):]
    svg = re.sub(r"<metadata>.*?</metadata>\s*", "", svg, flags=re.S)
    # Several SVGs share one HTML document: prefix ids so clip paths do not cross charts.
    svg = _SVG_ID.sub(lambda m: f'id="{prefix}-{m.group(1)}"', svg)
    svg = _SVG_REF.sub(lambda m: f"{m.group(1)}{prefix}-{m.group(2)}", svg)
    svg = presentation_attributes(svg)
    check_svg(svg)
    # Drop the fixed size in pt: CSS scales the chart to the page, the viewBox keeps its shape.
    svg = re.sub(r'<svg\b([^>]*?)\swidth="[^"]*"\s+height="[^"]*"',
                 lambda m: f'<svg{m.group(1)} role="img" aria-label="{escape(label)}"', svg, count=1)
    return Markup(svg)
