"""Vietnamese text: Unicode normalisation, diacritic folding and ASCII slugs.

Vietnamese names arrive in NFC (precomposed) or NFD (decomposed, common from
macOS and some Windows tools); both must compare equal. ``đ``/``Đ`` is a
separate letter, not ``d`` plus a mark, so it has to be folded explicitly.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["fold", "nfc", "slugify", "strip_diacritics"]

_D_MAP = str.maketrans({"đ": "d", "Đ": "D"})
_NON_ALNUM = re.compile(r"[^a-z0-9]+")
_SPACES = re.compile(r"\s+")


def nfc(text: str) -> str:
    """Return ``text`` in Unicode NFC with runs of whitespace collapsed.

    Parameters
    ----------
    text : str
        Any string, NFC or NFD.

    Returns
    -------
    str
        The NFC form, stripped, with single spaces.

    Examples
    --------
    >>> nfc("Nghi\\u0303a  Lo\\u0323\\u0302") == "Nghĩa Lộ"
    True
    """
    return _SPACES.sub(" ", unicodedata.normalize("NFC", text)).strip()


def strip_diacritics(text: str) -> str:
    """Remove Vietnamese diacritics, keeping case (``Đ`` becomes ``D``).

    Examples
    --------
    >>> strip_diacritics("Yên Bái, Đồng Tháp")
    'Yen Bai, Dong Thap'
    """
    decomposed = unicodedata.normalize("NFD", text.translate(_D_MAP))
    kept = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return unicodedata.normalize("NFC", kept)


def fold(text: str) -> str:
    """Return a matching key: NFC, no diacritics, lower case, single spaces.

    Two spellings of one name ("Nghĩa Lộ", "NGHIA LO", NFD input) share a key.

    Examples
    --------
    >>> fold("  NGHĨA   Lộ ") == fold("nghia lo")
    True
    """
    return _SPACES.sub(" ", strip_diacritics(nfc(text)).casefold()).strip()


def slugify(text: str, *, max_length: int = 60, default: str = "unit") -> str:
    """Turn any string into a safe ASCII slug for file names.

    The result holds only ``a-z``, ``0-9`` and single hyphens, so it can never
    name a parent folder, a hidden file or a path separator.

    Parameters
    ----------
    text : str
        A unit name, template name or any user-supplied string.
    max_length : int, default 60
        Longest slug returned (cut at a hyphen where possible).
    default : str, default "unit"
        Returned when nothing usable is left (e.g. ``"../.."``).

    Returns
    -------
    str

    Examples
    --------
    >>> slugify("Nghĩa Lộ")
    'nghia-lo'
    >>> slugify("../../x")
    'x'
    >>> slugify('"\\n;')
    'unit'
    """
    slug = _NON_ALNUM.sub("-", fold(text)).strip("-")
    if len(slug) > max_length:
        cut = slug[:max_length]
        slug = cut.rsplit("-", 1)[0] if "-" in cut else cut
    return slug or default
