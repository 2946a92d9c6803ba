"""Stage accounting: every record ends forwarded, dropped with a named reason, or errored.

A stage is a plain function over records. Each record ends in one call on a
:class:`StageCounter`: ``ok()``, ``drop(key, reason)`` or ``error(key, exc)``; it counts
``forwarded / dropped_<reason> / error_<type>`` and keeps the quarantine rows, so a run's counts
always add up.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field

from pipeline.records import Quarantined

log = logging.getLogger(__name__)


class ErrorBudgetExceeded(RuntimeError):
    pass


@dataclass
class StageCounter:
    stage: str
    run_id: str
    error_budget: float = 0.5  # fail the stage when more than this share of records error
    seen: int = 0
    forwarded: int = 0
    dropped: Counter = field(default_factory=Counter)
    errors: Counter = field(default_factory=Counter)
    quarantine: list[Quarantined] = field(default_factory=list)

    def ok(self) -> None:
        self.seen += 1
        self.forwarded += 1

    def drop(self, key: str, reason: str, detail: str = "", site_id: str | None = None) -> None:
        self.seen += 1
        self.dropped[reason] += 1
        self.quarantine.append(Quarantined(self.run_id, self.stage, key, reason, detail[:500], site_id))

    def error(self, key: str, exc: BaseException, site_id: str | None = None) -> None:
        self.seen += 1
        name = type(exc).__name__
        self.errors[name] += 1
        log.warning("%s: %s failed: %s", self.stage, key, exc)
        self.quarantine.append(Quarantined(self.run_id, self.stage, key, f"error_{name}", str(exc)[:500], site_id))

    def check_budget(self) -> None:
        n_err = sum(self.errors.values())
        if self.seen >= 10 and n_err / self.seen > self.error_budget:
            raise ErrorBudgetExceeded(
                f"stage {self.stage}: {n_err} of {self.seen} records failed ({dict(self.errors)}); "
                "see the quarantine rows for the first failures"
            )

    def as_dict(self) -> dict[str, int]:
        out = {"seen": self.seen, "forwarded": self.forwarded}
        out.update({f"dropped_{k}": v for k, v in sorted(self.dropped.items())})
        out.update({f"error_{k}": v for k, v in sorted(self.errors.items())})
        return out
