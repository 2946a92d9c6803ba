"""pipeline.workers: per-document timeouts in worker processes, replacement, order, streaming.

The functions run by the workers live at module level (they are started with fork; with spawn
they would be pickled by name).
"""

from __future__ import annotations

import itertools
import os
import signal
import time
from pathlib import Path

from pipeline.extract import extract_paths
from pipeline.workers import default_workers, run_each


def square(x: int) -> int:
    return x * x


def misbehave(x: int) -> tuple[int, int]:
    """Slow, failing, dying and C-style hanging documents among ordinary ones."""
    if x == 3:
        time.sleep(30)  # interruptible: the worker's own timer stops it
    if x == 5:
        raise ValueError("bad document")
    if x == 7:
        os._exit(9)  # the worker dies
    if x == 9:
        # A hang the worker cannot interrupt (as in C code): the parent must kill it.
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})
        time.sleep(30)
    return x, os.getpid()


def test_results_in_input_order_with_every_outcome_named():
    outcomes = list(run_each(misbehave, range(12), workers=2, timeout=1.0, grace=0.5))
    assert [o.index for o in outcomes] == list(range(12))
    status = {o.index: o.status for o in outcomes}
    assert status[3] == "timeout" and status[9] == "timeout"
    assert status[5] == "error" and "bad document" in outcomes[5].detail
    assert status[7] == "error" and "died" in outcomes[7].detail
    assert all(status[i] == "ok" for i in (0, 1, 2, 4, 6, 8, 10, 11))
    assert [o.value[0] for o in outcomes if o.status == "ok"] == [0, 1, 2, 4, 6, 8, 10, 11]
    # Documents after a timeout ran in fresh workers.
    assert outcomes[11].value[1] != outcomes[0].value[1] or outcomes[10].value[1] != outcomes[0].value[1]


def test_input_is_streamed_not_loaded_first():
    consumed = []

    def endless():
        for i in itertools.count():
            consumed.append(i)
            yield i

    results = run_each(square, endless(), workers=2, timeout=5, queue_depth=2)
    first = [next(results).value for _ in range(10)]
    results.close()
    assert first == [i * i for i in range(10)]
    assert len(consumed) < 60  # bounded read-ahead


def test_too_large_items_are_not_sent():
    outcomes = list(run_each(len, [b"x" * 10, b"y" * 1000, "z"], workers=1, timeout=5, max_bytes=100))
    assert [o.status for o in outcomes] == ["ok", "too_large", "ok"]
    assert default_workers() >= 1


def test_huge_page_times_out_and_the_next_page_is_processed(tmp_path: Path):
    huge = tmp_path / "huge.html"
    with huge.open("w", encoding="utf-8") as out:
        out.write("<html><body><article>")
        for i in range(200_000):
            out.write(f"<p>Line {i} of text</p>")  # 200,000 elements, ~4 MB
        out.write("</article></body></html>")
    normal = tmp_path / "normal.html"
    normal.write_text("<html><body><article><h1>Fine</h1><p>" + "A normal post about sleep. " * 40
                      + "</p></article></body></html>", encoding="utf-8")
    records = list(extract_paths([str(huge), str(normal), str(normal)], workers=2, timeout=2))
    assert [r["status"] for r in records] == ["timeout", "ok", "ok"]
    assert "2 s" in records[0]["reason"] and records[0]["path"] == str(huge)
    assert "A normal post about sleep." in records[1]["text"]
