"""learningcity: how ready is a city to be a UNESCO learning city?

The package stays light on import: heavy libraries (geopandas, scikit-learn,
papermill, nbconvert) are imported inside the modules that need them.

Examples
--------
>>> import learningcity
>>> learningcity.slugify("Nghĩa Lộ")
'nghia-lo'
"""

from __future__ import annotations

from contextlib import suppress
from importlib.metadata import PackageNotFoundError, version

from learningcity.text import fold, nfc, slugify

__version__ = "0+unknown"
with suppress(PackageNotFoundError):
    __version__ = version("learningcity")

__all__ = ["__version__", "fold", "nfc", "slugify"]


def __getattr__(name: str):
    # Lazy: the framework pulls in pandas and yaml only when first asked for.
    if name == "load_framework":
        from learningcity.framework import load_framework

        return load_framework
    raise AttributeError(f"module 'learningcity' has no attribute {name!r}")
