"""The project's one error type for bad input, and how it reads.

    ContentError            one problem, at a file and line (or field)
    ContentErrors           several problems found in one pass; raised together

Everything that reads a file a person wrote (content, catalogs, uploads) raises
these and nothing else, so the CLI and the admin can show `file:line: what`
instead of a traceback.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Problem:
    file: str
    line: int | None
    message: str

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        return f"{where}: {self.message}"


class ContentError(ValueError):
    """Bad input at a known place."""

    def __init__(self, message: str, file: str | Path = "", line: int | None = None):
        self.problem = Problem(str(file), line, message)
        super().__init__(str(self.problem))

    @property
    def problems(self) -> list[Problem]:
        return [self.problem]


class ContentErrors(ContentError):
    """Several problems, reported together so an admin can fix them in one go."""

    def __init__(self, problems: list[Problem]):
        self._problems = problems
        ValueError.__init__(self, "\n".join(str(p) for p in problems))
        self.problem = problems[0]

    @property
    def problems(self) -> list[Problem]:
        return list(self._problems)


class Collector:
    """Gathers problems while loading, then raises them all at once."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, message: str, file: str | Path, line: int | None = None) -> None:
        self.problems.append(Problem(str(file), line, message))

    def catch(self, error: ContentError) -> None:
        self.problems.extend(error.problems)

    def raise_if_any(self) -> None:
        if self.problems:
            raise ContentErrors(self.problems)
