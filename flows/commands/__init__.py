"""One module per ``blogscope`` command, as Scrapy's ``scrapy/commands/`` does.

Each module has:

- ``NAME`` (the command word), ``HELP`` (its line in ``blogscope --help``) and ``EXAMPLES`` (the
  epilog of ``blogscope NAME --help``; ``tests/test_examples.py`` runs some of them);
- ``configure_parser(parser)``: adds the command's options to its ``argparse`` sub-parser;
- ``run(args, settings) -> int``: does the work and returns the exit code. ``settings`` is the
  typed ``Settings`` read once from ``--home``/``--config`` by ``flows/cli.py`` (``None`` for
  commands without ``--home``: extract, sentiment, topics).

Modules are listed explicitly in ``flows/cli.py`` (``COMMANDS``). They import nothing heavy at
module level (``blogscope --help`` answers at once) and never Prefect unless they orchestrate a
run (run, demo, schedule). The work itself lives in plain functions in ``flows/jobs.py``,
``flows/orchestration.py``, ``pipeline/`` and ``warehouse/``, which return values or raise
typed errors (``flows/errors.py``); only these modules print to the terminal.
"""
