"""Child processes that never outlive their parent (Linux ``PR_SET_PDEATHSIG``)."""

from __future__ import annotations

import signal
import sys

PR_SET_PDEATHSIG = 1


def die_with_parent(sig: int = signal.SIGKILL) -> None:
    """Ask the kernel to send ``sig`` to this process when its parent dies, even by ``kill -9``.

    Call it first thing in a child (or as ``preexec_fn``). Linux only; elsewhere a no-op, and the
    child must notice EOF on its pipes instead. The parent is the *thread* that forked: fork from
    a thread that outlives the child.
    """
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, int(sig))
    except OSError:
        pass
