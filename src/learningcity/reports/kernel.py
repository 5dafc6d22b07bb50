"""The Jupyter kernel that runs reports: always this Python, this package.

A kernelspec named ``learningcity`` may exist elsewhere (another virtual
environment, a conda env). Reports must run the package version of the command
that started them, so the runner writes a private kernelspec pointing at
``sys.executable`` and puts it first on ``JUPYTER_PATH`` for the run.
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import os
import shutil
import signal
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

__all__ = ["KERNEL_NAME", "WarmKernel", "kernel_env", "private_kernel"]

log = logging.getLogger(__name__)

KERNEL_NAME = "learningcity"

#: Environment of report kernels: no widget progress bars in the HTML, a
#: non-interactive plotting backend, and a fixed hash seed for reproducible runs.
kernel_env = {
    "TQDM_DISABLE": "1",
    "MPLBACKEND": "module://matplotlib_inline.backend_inline",
    "PYTHONHASHSEED": "0",
}


def write_kernelspec(folder: Path, python: str = sys.executable) -> Path:
    """Write ``kernels/learningcity/kernel.json`` under ``folder`` for ``python``."""
    spec_dir = folder / "kernels" / KERNEL_NAME
    spec_dir.mkdir(parents=True, exist_ok=True)
    spec = {
        # No input history: report kernels need none, parallel kernels would contend for
        # one SQLite file, and a reused kernel restarts its line numbers at 1.
        "argv": [
            python,
            "-m",
            "ipykernel_launcher",
            "-f",
            "{connection_file}",
            "--HistoryManager.enabled=False",
        ],
        "display_name": "Python (learningcity)",
        "language": "python",
        "env": kernel_env,
        "metadata": {"debugger": False},
    }
    (spec_dir / "kernel.json").write_text(json.dumps(spec, indent=1), encoding="utf-8")
    return spec_dir


@contextmanager
def private_kernel(parent: str | os.PathLike | None = None) -> Iterator[str]:
    """Make ``learningcity`` resolve to this interpreter while the block runs.

    Child processes started inside the block inherit the setting. The
    kernelspec goes in a new folder under ``parent`` (the system's temporary
    folder by default), removed when the block ends.
    """
    folder = Path(tempfile.mkdtemp(prefix="learningcity-kernel-", dir=parent))
    old = os.environ.get("JUPYTER_PATH")
    try:
        write_kernelspec(folder)
        os.environ["JUPYTER_PATH"] = os.pathsep.join(filter(None, [str(folder), old]))
        yield KERNEL_NAME
    finally:
        if old is None:
            os.environ.pop("JUPYTER_PATH", None)
        else:
            os.environ["JUPYTER_PATH"] = old
        shutil.rmtree(folder, ignore_errors=True)


# Run before each report on a reused kernel: a clean namespace, no figures left
# open, and execution counts that start at 1 as in a fresh kernel. Imported
# modules stay loaded — that is the point of reusing the kernel.
_RESET_CODE = """\
get_ipython().run_line_magic("reset", "-f")
import sys as _sys
if "matplotlib.pyplot" in _sys.modules:
    _sys.modules["matplotlib.pyplot"].close("all")
del _sys
get_ipython().execution_count = 1
"""


class WarmKernel:
    """One kernel reused for many reports (started lazily, replaced if it dies).

    Starting a kernel and importing pandas, matplotlib and the package costs
    seconds; a batch pays it once per worker instead of once per report.

    The manager is jupyter_client's asynchronous one, as nbclient expects: with
    the blocking manager nbclient gets a blocking client whose ``get_msg`` stalls
    its event loop, so neither the cell timeout nor the dead-kernel check runs.
    Every wait of this class is bounded, and :meth:`kill` needs no event loop, so
    a signal handler or a watchdog thread can call it.

    Parameters
    ----------
    kernel_name : str
        A kernelspec name (see :func:`private_kernel`).
    cwd : path-like
        The kernel's working directory (the template's folder, as in JupyterLab).
    reset_timeout : float, default 30
        Seconds allowed to clean a reused kernel between reports; a kernel that
        does not answer in time is killed and replaced.
    """

    def __init__(
        self,
        kernel_name: str,
        cwd: str | os.PathLike,
        *,
        reset_timeout: float = 30,
        log: str | os.PathLike | None = None,
    ):
        self.kernel_name = kernel_name
        self.cwd = str(cwd)
        #: File the kernel's own stdout and stderr go to (its start-up warnings), or None.
        self.log = log
        self.reset_timeout = reset_timeout
        self.km: Any = None
        #: The kernel's process and its group (jupyter_client starts kernels in a session
        #: of their own, so the group is the kernel and whatever it started).
        self.pid: int | None = None
        self.pgid: int | None = None
        self._used = False  # a report ran on this kernel since it started

    def start(self) -> None:
        """Start a kernel now, if none is running (it boots while the caller goes on)."""
        if self.km is not None:
            return
        from jupyter_core.utils import run_sync

        km = _manager_class()(kernel_name=self.kernel_name)
        if self.log is not None:
            # Appended to by every kernel of the run; the handle is the child's from here.
            with open(self.log, "ab") as out:
                run_sync(km.start_kernel)(cwd=self.cwd, stdout=out, stderr=out)
        else:
            run_sync(km.start_kernel)(cwd=self.cwd)
        self.km, self._used = km, False
        provisioner = getattr(km, "provisioner", None)
        self.pid = getattr(provisioner, "pid", None)
        self.pgid = getattr(provisioner, "pgid", None)

    def manager(self) -> Any:
        """The kernel manager (asynchronous), with a live kernel in a clean state."""
        # First: a client left open shares the session's identity with the next one, and
        # the kernel would send that one's replies to it (the reset would time out).
        self.release()
        if self.km is not None and not (self._reset() if self._used else self._alive()):
            self.shutdown()
        self.start()
        self._used = True
        return self.km

    def _alive(self) -> bool:
        from jupyter_core.utils import run_sync

        try:
            return bool(run_sync(self.km.is_alive)())
        except Exception:
            return False

    def _reset(self) -> bool:
        """Clean the namespace of a reused kernel; False if it is dead, fails or hangs."""
        from jupyter_core.utils import run_sync

        try:
            return run_sync(self._async_reset)()
        except Exception:  # timeout, dead kernel, broken socket: a fresh kernel will do
            log.debug("kernel reset failed", exc_info=True)
            return False

    async def _async_reset(self) -> bool:
        import asyncio

        if not await self.km.is_alive():
            return False
        kc = self.km.client()
        kc.start_channels()
        try:
            # Each wait below has its own limit; the outer one bounds their sum.
            async with asyncio.timeout(2 * self.reset_timeout):
                await kc.wait_for_ready(timeout=self.reset_timeout)
                reply = await kc.execute_interactive(
                    _RESET_CODE,
                    store_history=False,
                    timeout=self.reset_timeout,
                    output_hook=lambda msg: None,
                )
        finally:
            kc.stop_channels()
        return reply["content"].get("status") == "ok"

    def release(self) -> None:
        """Close the clients handed out so far (their sockets and heartbeat threads).

        nbclient leaves open the client of a kernel it does not own; over a long
        batch those would exhaust the process's file descriptors.
        """
        if self.km is not None:
            for kc in self.km.handed_out:
                with contextlib.suppress(Exception):
                    kc.stop_channels()
            self.km.handed_out.clear()

    def kill(self) -> None:
        """Kill the kernel's process group at once; no event loop, no waiting.

        Safe in a signal handler or another thread: it only sends SIGKILL and
        removes the connection file.
        """
        pid, pgid, km = self.pid, self.pgid, self.km
        sigkill = getattr(signal, "SIGKILL", signal.SIGTERM)
        # Never our own group: a kernel that shared it would take the caller down with it.
        if pgid and hasattr(os, "killpg") and pgid != os.getpgrp():
            with contextlib.suppress(OSError):
                os.killpg(pgid, sigkill)
        elif pid:
            with contextlib.suppress(OSError):
                os.kill(pid, sigkill)
        if km is not None and getattr(km, "connection_file", None):
            with contextlib.suppress(OSError):
                os.unlink(km.connection_file)

    def shutdown(self) -> None:
        """Stop the kernel if one is running, and free its resources."""
        if self.km is None:
            return
        from jupyter_core.utils import run_sync

        self.release()
        self.kill()  # reports are saved by then: nothing to shut down gracefully
        km, self.km, self.pid, self.pgid = self.km, None, None, None
        try:
            # Reaps the process and closes the manager's sockets; bounded by the kill above.
            run_sync(km.shutdown_kernel)(now=True)
        except Exception:
            log.debug("kernel shutdown failed", exc_info=True)


@functools.cache
def _manager_class() -> type:
    """``AsyncKernelManager`` that remembers the clients it hands out."""
    from jupyter_client.manager import AsyncKernelManager

    class _Manager(AsyncKernelManager):
        def __init__(self, **kwargs: Any):
            super().__init__(**kwargs)
            self.handed_out: list[Any] = []

        def client(self, **kwargs: Any) -> Any:
            kc = super().client(**kwargs)
            self.handed_out.append(kc)
            return kc

    return _Manager
