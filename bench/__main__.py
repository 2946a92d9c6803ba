"""Run every benchmark module ``bench/bench_*.py`` (or the ones named) and print a summary.

usage: python -m bench [NAME ...]      e.g. python -m bench extract load
Shared data: ../shared/data beside the project root, or BLOGSCOPE_SHARED_DATA.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str]) -> int:
    data = Path(os.environ.get("BLOGSCOPE_SHARED_DATA", ROOT.parent / "shared" / "data")).resolve()
    names = argv or sorted(p.stem.removeprefix("bench_") for p in (ROOT / "bench").glob("bench_*.py"))
    failed = 0
    results = {}
    for name in names:
        print(f"== bench {name}", flush=True)
        start = time.perf_counter()
        try:
            module = importlib.import_module(f"bench.bench_{name}")
            results[name] = module.run(data)
            print("   " + json.dumps(results[name], default=str)[:2000], flush=True)
        except Exception:  # noqa: BLE001 - report and go on to the next benchmark
            traceback.print_exc()
            failed += 1
            results[name] = {"error": True}
        print(f"   ({time.perf_counter() - start:.1f} s)", flush=True)
    out = ROOT / ".bench" / "last.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, indent=2, default=str), encoding="utf-8")
    print(f"results: {out}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
