"""Input errors as the public sees them: in the UI language, escaped, without server paths.

An :class:`~geozones.core.errors.InputError` carries one or more problems, each
with a message and where it was found (file, row or feature, field). The app
shows them in the session's language: a problem that carries its own
Indonesian and English texts is shown in the UI language; one that carries a
single text shows that text under a heading and location words in the UI
language. Absolute paths (the server's data folder, a temporary upload folder)
are cut to the file's name: the full path goes to the server log only.
"""

from __future__ import annotations

import logging
import re

import streamlit as st

from geozones.app.i18n import t
from geozones.app.text import md_escape
from geozones.core.errors import InputError, Problem

log = logging.getLogger("geozones.app")

#: An absolute POSIX or Windows path; group ``name`` is its last part.
_ABS_PATH = re.compile(r"(?:(?<![\w.~/-])(?:[A-Za-z]:)?[/\\](?:[^/\\\s'\"(),;:]+[/\\])+)(?P<name>[^/\\\s'\"(),;:]*)")
#: Most problems listed at once; the rest are counted.
MAX_SHOWN = 50


def strip_paths(text: object) -> str:
    """``text`` with every absolute path cut to its last part (the file's own name).

    >>> strip_paths("cannot read /srv/geozones/data/jakpus_worship.geojson: bad JSON")
    'cannot read jakpus_worship.geojson: bad JSON'
    """
    return _ABS_PATH.sub(lambda m: m["name"], str(text))


def problem_message(problem: Problem, lang: str) -> str:
    """The message of ``problem`` in ``lang`` when it carries one, else its only message.

    Looks for the forms a bilingual problem may take (``message_id``/``message_en``,
    ``id``/``en`` or a ``messages`` mapping) and falls back to ``problem.message``.
    """
    for name in (f"message_{lang}", f"text_{lang}", lang):
        value = getattr(problem, name, None)
        if isinstance(value, str) and value.strip():
            return value
    for name in ("messages", "texts"):
        value = getattr(problem, name, None)
        if isinstance(value, dict) and isinstance(value.get(lang), str) and value[lang].strip():
            return value[lang]
    return str(problem.message)


def problem_text(problem: Problem, lang: str) -> str:
    """One problem as plain text: ``"<file>, baris 3, kolom 'lat': <message>"`` in ``lang``.

    The file is named by its own name only; the text is not escaped (see :func:`show_error`).
    """
    where = []
    if problem.source:
        where.append(strip_paths(problem.source))
    if problem.row is not None:
        where.append(t("err.row", lang, row=problem.row) if isinstance(problem.row, int) else str(problem.row))
    if problem.field:
        where.append(t("err.field", lang, field=problem.field))
    message = strip_paths(problem_message(problem, lang))
    return f"{', '.join(where)}: {message}" if where else message


def error_lines(err: InputError, lang: str, limit: int = MAX_SHOWN) -> list[str]:
    """The first ``limit`` problems of ``err`` as plain text, and a count of the rest."""
    problems = list(getattr(err, "problems", None) or [Problem(str(err))])
    lines = [problem_text(p, lang) for p in problems[:limit]]
    if len(problems) > limit:
        lines.append(t("err.more", lang, n=len(problems) - limit))
    return lines


def show_error(err: InputError, title: str, lang: str, hint: str = "") -> None:
    """An error box: a bold title, an optional hint, then every problem, all as inert text.

    The error with full paths is written to the server log (logger ``geozones.app``).
    """
    log.warning("%s %s", title, err)
    lines = ([f"_{md_escape(hint)}_"] if hint else []) + [md_escape(x) for x in error_lines(err, lang)]
    st.error(f"**{md_escape(title)}**  \n" + "  \n".join(lines))
