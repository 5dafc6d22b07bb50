"""The run manifest (``manifest.json``) and the run's ``index.html``.

A dated folder may hold several runs of the same day. ``manifest.json`` keeps
every run: a new run is appended under a lock and the file is replaced
atomically, so an earlier run's record is never lost.

A run is appended when it starts, with ``"status": "running"`` and each report
``"pending"`` (no file named), and updated as each report is published; at the
end its status is ``"done"`` or ``"interrupted"``. A record left ``"running"``
by a killed process is closed by the next run in the folder (:func:`close_run`).
"""

from __future__ import annotations

import contextlib
import html
import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from learningcity.files import atomic_write_text

__all__ = [
    "append_run",
    "close_run",
    "read_manifest",
    "render_index",
    "summarize",
    "update_run",
    "write_index",
]

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
    "pending": "chưa xong · not finished",
    "interrupted": "bị dừng · interrupted",
    "run-running": "đang chạy hoặc đã dừng đột ngột · running, or stopped abruptly",
    "run-interrupted": "bị dừng giữa chừng · stopped before the end",
    "params": "Tham số · Parameters",
    "level": "Cấp · Level",
    "year": "Năm · Year",
    "lang": "Ngôn ngữ · Language",
    "pdf": "PDF",
    "filter": "Lọc theo tên · Filter by name",
    "log": "Nhật ký kernel · Kernel log",
}
#: Unit types shown as levels in the run's site (the unit table's ``type``, in both languages).
_LEVELS = {
    "Tỉnh": "tỉnh · province", "Thành phố": "thành phố · city", "Đô thị": "đô thị · city",
    "Thị xã": "thị xã · town", "Huyện": "huyện · district", "Quận": "quận · urban district",
    "Phường": "phường · ward", "Xã": "xã · commune", "Thị trấn": "thị trấn · township",
    "Đặc khu": "đặc khu · special zone",
}  # fmt: skip
# Offline filter: hides the report rows whose unit does not contain the typed text,
# ignoring case and Vietnamese diacritics ("nghia lo" finds "Nghĩa Lộ").
_FILTER_JS = """<script>
(function () {
  function fold(t) {
    return t.normalize("NFD").replace(/[\u0300-\u036f]/g, "").replace(/đ/g, "d")
      .replace(/Đ/g, "D").toLowerCase();
  }
  var box = document.getElementById("filter");
  box.addEventListener("input", function () {
    var want = fold(box.value.trim());
    document.querySelectorAll("tr.report").forEach(function (row) {
      var name = fold(row.getAttribute("data-unit") || "");
      row.hidden = want !== "" && name.indexOf(want) < 0;
    });
  });
})();
</script>"""


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
        replaced = {r["notebook"] for r in run["reports"] if r.get("notebook")} | {
            r["html"] for r in run["reports"] if r.get("html")
        }
        _mark_replaced(manifest, replaced, run["run_id"])
        manifest["runs"].append(run)
        _write(folder, manifest)
    return manifest


def update_run(
    folder: Path, run: dict[str, Any], *, published: Iterable[str] = ()
) -> dict[str, Any]:
    """Replace the record of ``run["run_id"]`` with ``run`` and rewrite ``index.html``.

    Parameters
    ----------
    folder : Path
        The dated folder.
    run : dict
        The run's whole record, as appended by :func:`append_run` and updated
        since; it is copied, not kept.
    published : iterable of str, optional
        Notebooks this run has just put in place. Entries of other runs with
        those names were replaced (``--force``) and are marked ``replaced_by``;
        marks that later runs set on this run's entries are kept.

    Returns
    -------
    dict
        The manifest as written. A run missing from it (the file was edited by
        hand) is appended.
    """
    with _locked(folder):
        manifest = read_manifest(folder)
        _mark_replaced(manifest, set(published), run["run_id"])
        for k, old in enumerate(manifest["runs"]):
            if old.get("run_id") == run["run_id"]:
                new = json.loads(json.dumps(run))  # the caller keeps its own copy
                for rep_new, rep_old in zip(new["reports"], old.get("reports", []), strict=False):
                    if rep_old.get("replaced_by") and rep_new.get("notebook") == rep_old.get(
                        "notebook"
                    ):
                        rep_new["replaced_by"] = rep_old["replaced_by"]
                manifest["runs"][k] = new
                break
        else:
            manifest["runs"].append(run)
        _write(folder, manifest)
    return manifest


def close_run(folder: Path, run_id: str, *, message: str) -> bool:
    """Mark a run that ended without closing its record as ``"interrupted"``.

    Parameters
    ----------
    folder : Path
        The dated folder.
    run_id : str
        The run, e.g. one whose process was killed.
    message : str
        Why its ``"pending"`` reports become ``"interrupted"``; its finished
        reports are left as they are.

    Returns
    -------
    bool
        False if the run is not in the manifest or its record is closed already.
    """
    if not (folder / "manifest.json").exists():
        return False
    with _locked(folder):
        manifest = read_manifest(folder)
        for run in manifest["runs"]:
            if run.get("run_id") == run_id and run.get("status") == "running":
                break
        else:
            return False
        run["status"] = "interrupted"
        for rep in run.get("reports", []):
            if rep.get("status") == "pending":
                rep.update(status="interrupted", failure="interrupted", message=message)
        run["summary"] = summarize(run.get("reports", []))
        _write(folder, manifest)
    return True


def summarize(reports: list[dict[str, Any]]) -> dict[str, int]:
    """Counts of a run's reports: ``ok`` and ``failed``, and the others only if any.

    Examples
    --------
    >>> summarize([{"status": "ok"}, {"status": "failed"}, {"status": "interrupted"}])
    {'ok': 1, 'failed': 1, 'interrupted': 1}
    """
    counts = {"ok": 0, "failed": 0}
    for rep in reports:
        status = rep.get("status", "failed")
        counts[status] = counts.get(status, 0) + 1
    return counts


def _mark_replaced(manifest: dict[str, Any], names: set[str], run_id: str) -> None:
    for old in manifest["runs"]:
        if old.get("run_id") == run_id:
            continue
        for rep in old.get("reports", []):
            if rep.get("notebook") and rep["notebook"] in names and not rep.get("replaced_by"):
                rep["replaced_by"] = run_id


def _write(folder: Path, manifest: dict[str, Any]) -> None:
    atomic_write_text(
        folder / "manifest.json", json.dumps(manifest, ensure_ascii=False, indent=2) + "\n"
    )
    write_index(folder, manifest)


def _link(target: Any) -> str:
    """A link to a report file of the folder; anything else is shown as text.

    Only a relative path inside the folder (or an http/https address) becomes
    an ``href``: a ``javascript:`` or ``data:`` value in a damaged or crafted
    manifest stays inert text.
    """
    text = str(target)
    parts = urlsplit(text)
    relative = not parts.scheme and not parts.netloc and not text.startswith(("/", "\\"))
    web = parts.scheme in ("http", "https") and bool(parts.netloc)
    if relative:
        href = quote(text, safe="/")  # a quote, space or "#" in a file name stays in the path
    elif web and not any(ch.isspace() or ord(ch) < 32 for ch in text):
        href = text
    else:
        return html.escape(text)
    return f'<a href="{html.escape(href)}">{html.escape(text)}</a>'


def render_index(manifest: dict[str, Any]) -> str:
    """HTML page listing every run and report of a dated folder, newest first.

    Every text from the manifest (unit names, messages, parameters, file
    names) is HTML-escaped, and only relative paths and http(s) addresses
    become links.

    Examples
    --------
    >>> run = {"run_id": "r1", "parameters": {}, "reports": [{"unit_name": "<b>X</b>",
    ...        "unit_code": "1", "status": "ok", "html": "javascript:alert(1)",
    ...        "notebook": "city-x.ipynb"}]}
    >>> page = render_index({"folder": "2026-03-01", "runs": [run]})
    >>> "&lt;b&gt;X&lt;/b&gt;" in page, 'href="javascript' in page, 'href="city-x.ipynb"' in page
    (True, False, True)
    """
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
        ".pending,.interrupted,.run-status{color:#8a5a00;font-weight:600}"
        ".replaced{color:#777;text-decoration:line-through}</style></head><body>",
        f"<h1>{esc(_LABELS['title'])}</h1>",
        f"<p>{esc(manifest.get('folder', ''))}</p>",
        f'<p><label for="filter">{esc(_LABELS["filter"])}</label> '
        '<input id="filter" type="search" autocomplete="off"></p>',
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
        if run.get("status") in ("running", "interrupted"):
            # A planner must not take an unfinished run for a finished one.
            parts.append(f'<p class="run-status">{esc(_LABELS["run-" + run["status"]])}</p>')
        heads = ("unit", "level", "year", "lang", "status", "report", "pdf", "notebook")
        parts.append(
            "<table><thead><tr>"
            + "".join(f"<th>{esc(_LABELS[h])}</th>" for h in heads)
            + "</tr></thead><tbody>"
        )
        for rep in run.get("reports", []):
            status = rep.get("status", "")
            cls = "replaced" if rep.get("replaced_by") else status
            label = _LABELS.get(status, status)
            if rep.get("message"):
                # A failed report shows its error's kind ("cell-error: ValueError: …").
                kind = f"{rep['failure']}: " if rep.get("failure") else ""
                label += f" ({kind}{rep['message']})"
            link = _link(rep["html"]) if rep.get("html") else "—"
            pdf = _link(rep["pdf"]) if rep.get("pdf") else "—"
            nb = _link(rep["notebook"]) if rep.get("notebook") else "—"  # not written yet
            rp = rep.get("parameters") or {}
            unit = f"{rep.get('unit_name', '')} ({rep.get('unit_code', '')})"
            level = _LEVELS.get(str(rep.get("unit_type", "")), str(rep.get("unit_type", "")))
            parts.append(
                f'<tr class="report {esc(cls)}" data-unit="{esc(unit)}"><td>{esc(unit)}</td>'
                f"<td>{esc(level)}</td><td>{esc(str(rp.get('year', params.get('year', ''))))}</td>"
                f"<td>{esc(str(rp.get('lang', params.get('lang', ''))))}</td>"
                f'<td class="{esc(status)}">{esc(label)}</td><td>{link}</td><td>{pdf}</td>'
                f"<td>{nb}</td></tr>"
            )
        parts.append("</tbody></table>")
        if run.get("kernel_log"):
            parts.append(f"<p>{esc(_LABELS['log'])}: {_link(run['kernel_log'])}</p>")
    parts.append(_FILTER_JS)
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def write_index(folder: Path, manifest: dict[str, Any]) -> Path:
    """Write ``folder/index.html`` atomically."""
    return atomic_write_text(folder / "index.html", render_index(manifest))
