"""Report text in the planners' languages: gettext catalogs read through Babel.

Every sentence, heading and label a report shows is written in English in the
code and marked for extraction; its Vietnamese lives in a gettext catalog that a
translator edits without touching code:

=========== ================================================ ==========================
step        command                                          what it does
=========== ================================================ ==========================
mark        ``N_("Data year")`` / ``gettext(text, lang)``    a message, in English
extract     ``make messages``                                code -> ``learningcity.pot``
                                                             -> ``vi/…/learningcity.po``
translate   edit ``locale/vi/LC_MESSAGES/learningcity.po``   Poedit or any text editor
check       ``pytest tests/test_i18n.py``                    every message translated,
                                                             same ``{placeholders}``
=========== ================================================ ==========================

There is no compile step: the ``.po`` file is read when first needed (Babel's
``read_po``), so no binary ``.mo`` file has to be kept in step with it. A
message missing from the catalog, or marked fuzzy by ``pybabel update`` after its
English changed, shows in English until a translator confirms it; the tests
refuse both, so a release never ships one.

A comment starting ``TRANSLATORS:`` on the line above an ``N_()`` reaches the
translator. Keep such messages in a module constant (``_OF = N_("of")``): Babel's
extractor fails on a comment above a nested ``gettext(N_(...))``.

Messages are ``str.format`` templates (``{unit}``): the code fills them after
translation, so a translator may move a placeholder but must keep it.

Examples
--------
>>> gettext(N_("Data year"), "vi")
'Năm số liệu'
>>> gettext("Data year", "en")
'Data year'
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType

from babel.dates import format_date as _babel_date
from babel.messages.pofile import read_po

from learningcity.errors import UsageError

__all__ = [
    "DOMAIN",
    "LANGS",
    "LOCALE_DIR",
    "N_",
    "SOURCE_LANG",
    "catalog",
    "check_lang",
    "format_date",
    "gettext",
    "translated",
]

#: The report languages.
LANGS: tuple[str, ...] = ("vi", "en")
#: The language the messages are written in (the catalog's ``msgid``).
SOURCE_LANG = "en"
DOMAIN = "learningcity"
LOCALE_DIR = Path(__file__).with_name("locale")

# Date patterns (CLDR syntax): the numeric day Vietnamese offices write, and the
# English day with the month's name from Babel's locale data (not strftime's %B,
# which follows the machine's C locale).
_DATE_PATTERNS = {
    "long": {"vi": "dd/MM/y", "en": "dd MMMM y"},
    "short": {"vi": "d/M/y", "en": "d MMMM y"},
}


def N_(message: str) -> str:
    """Mark ``message`` for extraction without translating it (gettext's ``N_``).

    Examples
    --------
    >>> N_("No data")
    'No data'
    """
    return message


def check_lang(lang: str) -> str:
    """``lang`` if it is a report language, else a :class:`UsageError`.

    Examples
    --------
    >>> check_lang("vi")
    'vi'
    """
    if lang not in LANGS:
        raise UsageError(f"lang: expected 'vi' or 'en', got {lang!r}")
    return lang


@functools.cache
def catalog(lang: str) -> Mapping[str, str]:
    """The translations of ``lang``: English message -> text, confirmed ones only.

    Empty and fuzzy entries are left out, so their English shows instead of a
    translation nobody has checked.

    Examples
    --------
    >>> catalog("vi")["No data"]
    'Không có số liệu'
    """
    check_lang(lang)
    if lang == SOURCE_LANG:
        return MappingProxyType({})
    path = LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
    with path.open("rb") as f:
        cat = read_po(f, locale=lang, domain=DOMAIN)
    return MappingProxyType(
        {m.id: m.string for m in cat if m.id and isinstance(m.id, str) and m.string and not m.fuzzy}
    )


def gettext(message: str, lang: str) -> str:
    """``message`` in ``lang`` (itself in English, or where no translation exists).

    Examples
    --------
    >>> gettext("Score", "vi"), gettext("Score", "en")
    ('Điểm', 'Score')
    """
    if check_lang(lang) == SOURCE_LANG:
        return message
    return catalog(lang).get(message, message)


def translated(messages: Mapping[str, str], lang: str) -> dict[str, str]:
    """A table of messages (key -> English) in ``lang``.

    Examples
    --------
    >>> translated({"none": N_("None.")}, "vi")
    {'none': 'Không có.'}
    """
    return {key: gettext(text, lang) for key, text in messages.items()}


def format_date(day: dt.date | str, lang: str, style: str = "long") -> str:
    """A day as the reports write it, from Babel's locale data.

    ``long``: 02/12/2026 and 02 December 2026; ``short``: 1/7/2025 and
    1 July 2025 (inside a sentence).

    Examples
    --------
    >>> format_date("2025-07-01", "vi", "short"), format_date("2025-07-01", "en", "short")
    ('1/7/2025', '1 July 2025')
    >>> format_date(dt.date(2026, 12, 2), "en")
    '02 December 2026'
    """
    check_lang(lang)
    if style not in _DATE_PATTERNS:
        raise UsageError(f"style: expected one of {sorted(_DATE_PATTERNS)}, got {style!r}")
    if isinstance(day, str):
        day = dt.date.fromisoformat(day)
    return _babel_date(day, _DATE_PATTERNS[style][lang], locale=lang)
