"""The run manifest (``manifest.json``) and the run's ``index.html``.

A dated folder may hold several runs of the same day. ``manifest.json`` keeps
every run: a new run is appended under a lock and the file is replaced
atomically, so an earlier run's record is never lost.
"""

from __future__ import annotations

import contextlib
import html
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from learningcity.files import atomic_write_text

__all__ = ["append_run", "read_manifest", "render_index", "write_index"]

SCHEMA_VERSION = 1

_LABELS = {
    "title": "Báo cáo mức độ sẵn sàng thành phố học tập · Learning-city readiness reports",
    "run": "Lượt chạy · Run",
    "unit": "Đơn vị · Unit",
    "status": "Trạng thái · Status",
    "report": "Báo cáo · Report",
    "notebook": "Notebook",
    "ok": "hoàn thành · done",
    "failed": "lỗi · failed",
    "params": "Tham số · Parameters",
}


@contextlib.contextmanager
def _locked(folder: Path) -> Iterator[None]:
    folder.mkdir(parents=True, exist_ok=True)
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: single-writer assumption
        yield
        return
    with open(folder / ".manifest.lock", "a+") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def read_manifest(folder: Path) -> dict[str, Any]:
    """Return the folder's manifest, or an empty one."""
    path = folder / "manifest.json"
    if not path.exists():
        return {"schema": SCHEMA_VERSION, "folder": folder.name, "runs": []}
    return json.loads(path.read_text(encoding="utf-8"))


def append_run(folder: Path, run: dict[str, Any]) -> dict[str, Any]:
    """Add ``run`` to ``folder/manifest.json`` and rewrite ``index.html``.

    Earlier runs whose report files this run replaced (``--force``) are kept,
    and their entries are marked ``replaced_by``.
    """
    with _locked(folder):
        manifest = read_manifest(folder)
        replaced = {r["notebook"] for r in run["reports"]} | {
            r["html"] for r in run["reports"] if r.get("html")
        }
        for old in manifest["runs"]:
            for rep in old["reports"]:
                if rep.get("notebook") in replaced and not rep.get("replaced_by"):
                    rep["replaced_by"] = run["run_id"]
        manifest["runs"].append(run)
        atomic_write_text(
            folder / "manifest.json", json.dumps(manifest, ensure_ascii=False, indent=2) + "\n"
        )
        write_index(folder, manifest)
    return manifest


def render_index(manifest: dict[str, Any]) -> str:
    """HTML page listing every run and report of a dated folder, newest first."""
    esc = html.escape
    parts = [
        "<!DOCTYPE html>",
        '<html lang="vi"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{esc(_LABELS['title'])} — {esc(manifest.get('folder', ''))}</title>",
        "<style>body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;"
        "padding:0 1rem;color:#222}table{border-collapse:collapse;width:100%;margin:.5rem 0 2rem}"
        "th,td{border-bottom:1px solid #ddd;padding:.4rem;text-align:left}"
        ".failed{color:#b00020;font-weight:600}.ok{color:#1b5e20}"
        ".replaced{color:#777;text-decoration:line-through}</style></head><body>",
        f"<h1>{esc(_LABELS['title'])}</h1>",
        f"<p>{esc(manifest.get('folder', ''))}</p>",
    ]
    for run in reversed(manifest.get("runs", [])):
        params = run.get("parameters", {})
        shown = ", ".join(f"{k} = {v}" for k, v in params.items() if v is not None)
        parts.append(
            f"<h2>{esc(_LABELS['run'])} {esc(run['run_id'])} · "
            f"{esc(run.get('template', {}).get('name', ''))}</h2>"
            f"<p>{esc(_LABELS['params'])}: {esc(shown)} · learningcity "
            f"{esc(str(run.get('package_version', '')))}</p>"
        )
        parts.append(
            f"<table><thead><tr><th>{esc(_LABELS['unit'])}</th><th>{esc(_LABELS['status'])}</th>"
            f"<th>{esc(_LABELS['report'])}</th><th>{esc(_LABELS['notebook'])}</th></tr></thead><tbody>"
        )
        for rep in run.get("reports", []):
            status = rep.get("status", "")
            cls = "replaced" if rep.get("replaced_by") else status
            label = _LABELS.get(status, status)
            if rep.get("message"):
                label += f" ({rep['message']})"
            link = (
                f'<a href="{esc(rep["html"])}">{esc(rep["html"])}</a>' if rep.get("html") else "—"
            )
            nb = f'<a href="{esc(rep["notebook"])}">{esc(rep["notebook"])}</a>'
            parts.append(
                f'<tr class="{esc(cls)}"><td>{esc(rep.get("unit_name", ""))} '
                f"({esc(rep.get('unit_code', ''))})</td>"
                f'<td class="{esc(status)}">{esc(label)}</td><td>{link}</td><td>{nb}</td></tr>'
            )
        parts.append("</tbody></table>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def write_index(folder: Path, manifest: dict[str, Any]) -> Path:
    """Write ``folder/index.html`` atomically."""
    return atomic_write_text(folder / "index.html", render_index(manifest))
