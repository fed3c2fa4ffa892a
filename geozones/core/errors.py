"""Error types that carry where bad input came from.

Every error a user can cause (a broken file, a bad row, a rule set that does not
validate) is a :class:`InputError`. It names the file, the row or feature and the
field, so the CLI can print one clear line and exit with code 2, and the app can
show the same text. Anything else that escapes is a bug (exit code 1).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Problem:
    """One thing wrong with one place in an input.

    Parameters
    ----------
    message : str
        What is wrong, in plain words.
    source : str, optional
        File name (or ``"<upload>"``) the problem was found in.
    row : int or str, optional
        1-based data row number in a table, or a feature id / index.
    field : str, optional
        Column, property or rule field concerned.
    """

    message: str
    source: str | None = None
    row: int | str | None = None
    field: str | None = None

    def __str__(self) -> str:
        where = []
        if self.source:
            where.append(str(self.source))
        if self.row is not None:
            where.append(f"row {self.row}" if isinstance(self.row, int) else str(self.row))
        if self.field:
            where.append(f"field '{self.field}'")
        prefix = ": ".join([", ".join(where)]) if where else ""
        return f"{prefix}: {self.message}" if prefix else self.message


class InputError(Exception):
    """Bad user input: a file, row, feature or rule that cannot be used.

    Holds one or more :class:`Problem` entries. ``str(err)`` lists them one per
    line, the first ``max_lines`` of them.
    """

    def __init__(self, message_or_problems: str | Problem | list[Problem], *,
                 source: str | None = None, row: int | str | None = None,
                 field: str | None = None) -> None:
        if isinstance(message_or_problems, str):
            problems = [Problem(message_or_problems, source, row, field)]
        elif isinstance(message_or_problems, Problem):
            problems = [message_or_problems]
        else:
            problems = list(message_or_problems)
        self.problems = problems
        self.max_lines = 20
        super().__init__(str(self))

    def __str__(self) -> str:
        lines = [str(p) for p in self.problems[: self.max_lines]]
        extra = len(self.problems) - self.max_lines
        if extra > 0:
            lines.append(f"... and {extra} more problem(s)")
        return "\n".join(lines)


class DataWarning(UserWarning):
    """Data was usable but changed or doubtful (repaired geometry, assumed CRS)."""
