"""Helpers that keep data and user strings inert inside Streamlit markdown."""

from __future__ import annotations

import math
import re

#: What a table shows for a missing value (``st.dataframe(placeholder=EMPTY)``), never a raw ``None``.
EMPTY = "—"
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:&=^\"'])")


def md_escape(value: object) -> str:
    """Backslash-escape every markdown/HTML-significant character of ``value``.

    Streamlit renders markdown in ``st.markdown``, ``st.error`` and friends; a
    site or feature name must not become a link, an image, LaTeX or an entity.
    CommonMark treats a backslash before any ASCII punctuation as a literal.
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    text = _MD_SPECIAL.sub(r"\\\1", str(value))
    # Line breaks keep their meaning but cannot start a block (list, heading, quote).
    return text.replace("\n", "  \n")


def md_table(head: list[object], rows: list[list[object]]) -> str:
    """A markdown table whose every cell is escaped with :func:`md_escape`.

    Parameters
    ----------
    head : list
        Column headers.
    rows : list of list
        Cell values, one list per row (same length as ``head``).

    Returns
    -------
    str
        GitHub-flavoured markdown; line breaks inside cells become spaces.
    """
    def cell(v: object) -> str:
        return md_escape(v).replace("  \n", " ")

    lines = ["| " + " | ".join(cell(h) for h in head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(cell(v) for v in r) + " |" for r in rows]
    return "\n".join(lines)
