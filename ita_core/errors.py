"""The domain's exceptions. The chat adapter maps each to a Thai reply in one place."""

from __future__ import annotations


class ItaError(Exception):
    """Base class of every expected domain error."""


class FrameworkError(ItaError):
    """A framework data file is broken (names the file and the field)."""


class UnknownYear(ItaError):
    """No framework is known for that fiscal year."""

    def __init__(self, year: int, known: tuple[int, ...] = ()) -> None:
        self.year = year
        self.known = known
        super().__init__(f"no ITA framework for fiscal year {year}; known years: {', '.join(map(str, known))}")


class ScoreInputError(ItaError):
    """Scores given to the scoring engine are not usable (wrong count, out of range, ...)."""


class AgencyNotFound(ItaError):
    """No agency with that code."""

    def __init__(self, code: str) -> None:
        self.code = code
        super().__init__(f"no agency with code {code!r}")


class NoResults(ItaError):
    """The agency has no results for the year asked (``years`` lists the years it has)."""

    def __init__(self, agency_code: str, year: int | None, years: tuple[int, ...] = ()) -> None:
        self.agency_code = agency_code
        self.year = year
        self.years = years
        what = f"fiscal year {year}" if year is not None else "any fiscal year"
        super().__init__(f"agency {agency_code!r} has no results for {what}")


class ImportRejected(ItaError):
    """An import file was rejected whole; ``problems`` lists every problem by row and column."""

    def __init__(self, problems: list[ImportProblem]) -> None:
        self.problems = problems
        lines = "\n".join(str(p) for p in problems[:50])
        more = f"\n... and {len(problems) - 50} more" if len(problems) > 50 else ""
        super().__init__(f"import rejected, {len(problems)} problem(s), nothing was written:\n{lines}{more}")


class ImportProblem:
    """One problem in an import file, located by row (1-based, header = row 1) and column."""

    __slots__ = ("column", "message", "row", "source")

    def __init__(self, row: int | None, column: str | None, message: str, source: str = "") -> None:
        self.row = row
        self.column = column
        self.message = message
        self.source = source

    def __str__(self) -> str:
        where = []
        if self.source:
            where.append(self.source)
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column:
            where.append(f"column {self.column}")
        return f"{', '.join(where) or 'file'}: {self.message}"

    def as_dict(self) -> dict[str, object]:
        return {"row": self.row, "column": self.column, "message": self.message}
