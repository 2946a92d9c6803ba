"""Topic and tone colours shared by the data (a topic keeps its colour) and the charts."""

from __future__ import annotations

# Topics beyond this many share the grey "other" colour and chart panel.
MAX_TOPICS_IN_CHARTS = 8

# Colour-blind safe (Okabe-Ito without its yellow, then Tol's muted): a topic keeps its colour.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#882255", "#44AA99",
           "#999933", "#332288")
OTHER_COLOUR = "#9aa3ad"
NEGATIVE, NEUTRAL, POSITIVE = "#D55E00", "#C9CED6", "#0072B2"
