"""Shared pytest fixtures."""

from __future__ import annotations

import os

# Reports and notebooks started by tests never draw widget progress bars.
os.environ.setdefault("TQDM_DISABLE", "1")
os.environ.setdefault("MPLBACKEND", "Agg")
