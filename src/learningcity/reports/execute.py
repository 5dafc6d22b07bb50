"""Executing one report notebook with papermill and classifying the outcome.

papermill counts an early ``sys.exit(0)`` as success and exits 1 for every
kind of failure; here the outcome is read from the executed notebook itself.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["Outcome", "execute_notebook"]

log = logging.getLogger(__name__)


@dataclass
class Outcome:
    """What happened to one report."""

    status: str  # "ok" | "failed"
    failure: str | None = None  # "cell-error" | "kernel-died" | "timeout" | "incomplete" | …
    message: str | None = None
    cell_index: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def _pending_cells(path: Path) -> list[int]:
    import nbformat

    nb = nbformat.read(path, as_version=4)
    return [
        i
        for i, cell in enumerate(nb.cells)
        if cell.cell_type == "code"
        and cell.metadata.get("papermill", {}).get("status") in {"pending", "running"}
    ]


def execute_notebook(
    template: Path,
    output: Path,
    parameters: dict[str, Any],
    *,
    kernel_name: str,
    timeout: float | None = 600,
    start_timeout: float = 120,
    km: Any = None,
) -> Outcome:
    """Run ``template`` into ``output`` with ``parameters``; never raises on failure.

    The kernel starts in the template's folder, as in JupyterLab. The partial
    notebook stays at ``output`` with papermill's error banner when a cell
    fails. ``km`` is a running kernel manager to reuse, an asynchronous one
    as nbclient expects (see :class:`~learningcity.reports.kernel.WarmKernel`);
    without it papermill starts and stops a kernel for this notebook alone. A
    kernel that dies fails the report as ``"kernel-died"`` and a cell that runs
    past ``timeout`` seconds as ``"timeout"`` (None: no limit); the caller
    replaces the kernel then.
    """
    import papermill as pm
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    try:
        pm.execute_notebook(
            str(template),
            str(output),
            parameters=parameters,
            kernel_name=kernel_name,
            cwd=str(template.parent),
            progress_bar=False,
            execution_timeout=timeout,
            start_timeout=start_timeout,
            **({"km": km} if km is not None else {}),
        )
    except pm.PapermillExecutionError as exc:
        return Outcome(
            "failed",
            "cell-error",
            f"{exc.ename}: {exc.evalue}",
            exc.cell_index,
            {"exec_count": exc.exec_count},
        )
    except DeadKernelError as exc:
        return Outcome("failed", "kernel-died", str(exc).splitlines()[0] if str(exc) else "")
    except (CellTimeoutError, TimeoutError) as exc:
        return Outcome("failed", "timeout", str(exc).splitlines()[0] if str(exc) else "timeout")
    except Exception as exc:  # kernel start-up, I/O …: report, do not stop the batch
        log.debug("report execution failed", exc_info=True)
        return Outcome("failed", type(exc).__name__, str(exc))
    pending = _pending_cells(output)
    if pending:
        return Outcome(
            "failed",
            "incomplete",
            f"{len(pending)} cell(s) never ran (the notebook stopped early, e.g. sys.exit)",
            pending[0],
        )
    return Outcome("ok")
