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
        "argv": [python, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
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
