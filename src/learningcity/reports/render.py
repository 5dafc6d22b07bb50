"""Planner HTML: an executed notebook without code, prompts or warnings."""

from __future__ import annotations

import copy
import re
from pathlib import Path

__all__ = ["render_html"]

#: Cells removed entirely / inputs removed / outputs removed in the HTML copy.
REMOVE_CELL_TAGS = {"injected-parameters", "parameters", "remove-cell"}
REMOVE_INPUT_TAGS = {"remove-input"}
REMOVE_OUTPUT_TAGS = {"remove-output"}

_exporter = None


def _get_exporter():
    # One exporter per process: building it loads the Jinja templates (slow).
    global _exporter
    if _exporter is None:
        from nbconvert import HTMLExporter
        from traitlets.config import Config

        config = Config()
        config.TagRemovePreprocessor.enabled = True
        config.TagRemovePreprocessor.remove_cell_tags = REMOVE_CELL_TAGS
        config.TagRemovePreprocessor.remove_input_tags = REMOVE_INPUT_TAGS
        config.TagRemovePreprocessor.remove_all_outputs_tags = REMOVE_OUTPUT_TAGS
        config.HTMLExporter.exclude_input = True
        config.HTMLExporter.exclude_input_prompt = True
        config.HTMLExporter.exclude_output_prompt = True
        _exporter = HTMLExporter(
            config=config,
            extra_template_basedirs=[str(Path(__file__).with_name("html_templates"))],
            template_name="planner",
        )
    return _exporter


def _planner_copy(nb):
    """Drop what a planner should not see: stderr streams and papermill's marker cells."""
    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = [
                o
                for o in cell.get("outputs", [])
                if not (o.get("output_type") == "stream" and o.get("name") == "stderr")
            ]
    return nb


def render_html(notebook: Path, html: Path, *, title: str, lang: str = "vi") -> str:
    """Render ``notebook`` as HTML for planners and return the text.

    The caller writes the text (atomically); nothing is written here.

    Parameters
    ----------
    notebook : Path
        An executed notebook.
    html : Path
        Where the HTML will go (used only for relative resources).
    title : str
        The browser tab title.
    lang : {"vi", "en"}
        The page language (``<html lang=…>``), so screen readers and
        translation tools treat the text right.
    """
    import nbformat

    nb = _planner_copy(nbformat.read(notebook, as_version=4))
    nb.metadata["title"] = title
    body, _ = _get_exporter().from_notebook_node(
        nb, resources={"metadata": {"path": str(html.parent)}}
    )
    return re.sub(r"<html(\s|>)", f'<html lang="{lang}"\\1', body, count=1)
