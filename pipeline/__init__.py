"""blogscope core: records, settings and the processing stages.

This package imports none of ``crawl``, ``warehouse`` or ``flows``; they build on it.
"""
