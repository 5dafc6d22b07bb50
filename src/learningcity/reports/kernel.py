"""The Jupyter kernel that runs reports: always this Python, this package.

A kernelspec named ``learningcity`` may exist elsewhere (another virtual
environment, a conda env). Reports must run the package version of the command
that started them, so the runner writes a private kernelspec pointing at
``sys.executable`` and puts it first on ``JUPYTER_PATH`` for the run.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["KERNEL_NAME", "kernel_env", "private_kernel"]

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
def private_kernel() -> Iterator[str]:
    """Make ``learningcity`` resolve to this interpreter while the block runs.

    Child processes started inside the block inherit the setting.
    """
    folder = Path(tempfile.mkdtemp(prefix="learningcity-kernel-"))
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
    """One kernel reused for many reports (started lazily, restarted if it dies).

    Starting a kernel and importing pandas, matplotlib and the package costs
    seconds; a batch pays it once per worker instead of once per report.

    Parameters
    ----------
    kernel_name : str
        A kernelspec name (see :func:`private_kernel`).
    cwd : path-like
        The kernel's working directory (the template's folder, as in JupyterLab).
    """

    def __init__(self, kernel_name: str, cwd: str | os.PathLike):
        self.kernel_name = kernel_name
        self.cwd = str(cwd)
        self.km = None

    def manager(self):
        """The kernel manager, with a live kernel in a clean state."""
        from jupyter_client.manager import KernelManager

        if self.km is None or not self.km.is_alive():
            self.shutdown()
            self.km = KernelManager(kernel_name=self.kernel_name)
            self.km.start_kernel(cwd=self.cwd)
        else:
            self._reset()
        return self.km

    def _reset(self, timeout: float = 60) -> None:
        kc = self.km.client()
        kc.start_channels()
        try:
            kc.wait_for_ready(timeout=timeout)
            reply = kc.execute_interactive(
                _RESET_CODE, store_history=False, timeout=timeout, output_hook=lambda msg: None
            )
            if reply["content"].get("status") != "ok":
                # A kernel that cannot even be reset is replaced by a fresh one.
                self.shutdown()
                self.manager()
        finally:
            kc.stop_channels()

    def shutdown(self) -> None:
        """Stop the kernel if one is running."""
        if self.km is not None:
            try:
                if self.km.is_alive():
                    self.km.shutdown_kernel(now=True)
            finally:
                self.km.cleanup_resources()
                self.km = None
