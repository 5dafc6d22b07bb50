"""Where the project's folders are, independent of the working directory.

JupyterLab starts a kernel in the notebook's folder and papermill in the
caller's, so data and notebook paths are never built from ``os.getcwd()``.

Resolution order for the project home:

1. the ``LEARNINGCITY_HOME`` environment variable (a folder holding ``data/``,
   ``notebooks/`` and ``reports/``);
2. the repository this module sits in (editable install, the usual case);
3. the copies bundled inside the package by a non-editable install.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["bundled_root", "data_dir", "notebooks_dir", "project_root", "reports_dir"]

_PACKAGE_DIR = Path(__file__).resolve().parent


def bundled_root() -> Path:
    """Folder with ``data/`` and ``notebooks/`` copied into a built wheel."""
    return _PACKAGE_DIR / "_bundled"


def project_root() -> Path:
    """Return the project home (see the module docstring for the order).

    Examples
    --------
    >>> (project_root() / "data").is_dir()
    True
    """
    env = os.environ.get("LEARNINGCITY_HOME")
    if env:
        return Path(env).expanduser().resolve()
    repo = _PACKAGE_DIR.parents[1]
    if (repo / "pyproject.toml").is_file() and (repo / "data").is_dir():
        return repo
    return bundled_root()


def data_dir() -> Path:
    """Folder of the shipped datasets (``LEARNINGCITY_DATA`` overrides it)."""
    env = os.environ.get("LEARNINGCITY_DATA")
    return Path(env).expanduser().resolve() if env else project_root() / "data"


def notebooks_dir() -> Path:
    """Folder of the exploration notebooks and report templates."""
    return project_root() / "notebooks"


def reports_dir() -> Path:
    """Default output folder of report runs.

    A non-editable install writes reports under the current directory instead
    of inside ``site-packages``.
    """
    root = project_root()
    return Path.cwd() / "reports" if root == bundled_root() else root / "reports"
