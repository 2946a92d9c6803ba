"""blogscope's bundled demo blogs: generated content, ground truth and a local HTTP server.

Import from the submodules (kept separate so ``demoblog.generate`` stays a module)::

    from demoblog.generate import generate, add_comment, truth_dict, write_truth
    from demoblog.server import serve

This package imports only ``pipeline`` (for canonical URLs) and the standard library.
"""
