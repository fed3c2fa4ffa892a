"""Error types that carry where bad input came from, in Bahasa Indonesia and English.

Every error a user can cause (a broken file, a bad row, a rule set that does not
validate) is a :class:`InputError`. It names the file, the row or feature and the
field, so the CLI can print one clear line and exit with code 2, and the app can
show the same text. Anything else that escapes is a bug (exit code 1).

A :class:`Problem` holds its message in English (``message``) and, where the
writer gave one, in Bahasa Indonesia (``message_id``). ``str(problem)`` shows
both, Indonesian first (``"<id> / <en>"``); :meth:`Problem.render` gives one
language. Text taken from files (cell values, names) may hold control characters
(ESC, BEL): every rendering escapes them, so a message cannot drive a terminal.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: C0 and C1 controls (not tab/newline), DEL, and the bidirectional overrides that reorder what a terminal shows.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]")


def escape_control(text: str) -> str:
    r"""Replace control characters (ESC, BEL, NUL, C1 codes, bidi overrides; not tab/newline) by escapes.

    ESC becomes ``\\x1b``; a bidi override such as U+202E becomes ``\\u202e``. Text from files or rules is
    passed through this before it reaches a terminal, never sent raw.
    """
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100
                        else f"\\u{ord(m.group()):04x}", text)


@dataclass
class Problem:
    """One thing wrong with one place in an input.

    Parameters
    ----------
    message : str
        What is wrong, in plain words (English).
    source : str, optional
        File name (or ``"<upload>"``) the problem was found in.
    row : int or str, optional
        1-based data row number in a table, or a feature id / index.
    field : str, optional
        Column, property or rule field concerned.
    message_id : str, optional
        The same message in Bahasa Indonesia. Without it the English text is
        shown in both languages.
    """

    message: str
    source: str | None = None
    row: int | str | None = None
    field: str | None = None
    message_id: str | None = None

    @classmethod
    def bi(cls, id_text: str, en_text: str, source: str | None = None, row: int | str | None = None,
           field: str | None = None) -> Problem:
        """A problem with its message in both languages (Indonesian first)."""
        return cls(en_text, source, row, field, id_text)

    def text(self, lang: str | None = None) -> str:
        """The message alone: ``lang`` ``"id"`` or ``"en"``, or both (``"id / en"``) when None."""
        if lang == "en" or not self.message_id:
            return self.message
        if lang == "id":
            return self.message_id
        return f"{self.message_id} / {self.message}"

    def where(self, lang: str = "en") -> str:
        """``file, row N, field 'x'`` (``baris``/``kolom`` in Indonesian)."""
        parts = []
        if self.source:
            parts.append(str(self.source))
        if self.row is not None:
            if isinstance(self.row, int):
                parts.append(f"baris {self.row}" if lang == "id" else f"row {self.row}")
            else:
                parts.append(str(self.row))
        if self.field:
            parts.append(f"kolom '{self.field}'" if lang == "id" else f"field '{self.field}'")
        return ", ".join(parts)

    def render(self, lang: str | None = None) -> str:
        """The whole line in one language (``"id"``/``"en"``), or both when None; control characters escaped."""
        where = self.where("id" if lang == "id" else "en")
        msg = self.text(lang)
        return escape_control(f"{where}: {msg}" if where else msg)

    def __str__(self) -> str:
        return self.render(None)


class InputError(Exception):
    """Bad user input: a file, row, feature or rule that cannot be used.

    Holds one or more :class:`Problem` entries. ``str(err)`` lists them one per
    line (both languages), the first ``max_lines`` of them; :meth:`render` gives
    one language.

    Parameters
    ----------
    message_or_problems : str, Problem or list of Problem
        An English message, or the problems.
    source, row, field : optional
        Where, for a single message.
    message_id : str, optional
        The Indonesian text of a single message.
    """

    def __init__(self, message_or_problems: str | Problem | list[Problem], *,
                 source: str | None = None, row: int | str | None = None,
                 field: str | None = None, message_id: str | None = None) -> None:
        if isinstance(message_or_problems, str):
            problems = [Problem(message_or_problems, source, row, field, message_id)]
        elif isinstance(message_or_problems, Problem):
            problems = [message_or_problems]
        else:
            problems = list(message_or_problems)
        self.problems = problems
        self.max_lines = 20
        super().__init__(str(self))

    @classmethod
    def bi(cls, id_text: str, en_text: str, *, source: str | None = None, row: int | str | None = None,
           field: str | None = None) -> InputError:
        """An error with one message in both languages (Indonesian first)."""
        return cls(en_text, source=source, row=row, field=field, message_id=id_text)

    def __reduce__(self):
        # Keep every problem when the error crosses a process boundary (upload worker).
        return (_rebuild, (type(self), self.problems))

    def render(self, lang: str | None = None) -> str:
        """All problems, one per line, in ``lang`` (``"id"``/``"en"``) or both when None."""
        lines = [p.render(lang) for p in self.problems[: self.max_lines]]
        extra = len(self.problems) - self.max_lines
        if extra > 0:
            lines.append({"id": f"... dan {extra} masalah lain", "en": f"... and {extra} more problem(s)"}
                         .get(lang or "", f"... dan {extra} masalah lain / and {extra} more problem(s)"))
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.render(None)


def _rebuild(cls, problems):
    return cls(problems)


class DataWarning(UserWarning):
    """Data was usable but changed or doubtful (repaired geometry, assumed CRS)."""
