"""The errors geociv raises.

Every error derives from :class:`GeocivError` and also from the built-in exception that
describes its kind, so callers may catch either. Validators collect every problem they find
and raise once with all of them (:class:`ValidationError`).

Examples
--------
>>> from geociv.errors import AdcodeError, GeocivError
>>> issubclass(AdcodeError, ValueError) and issubclass(AdcodeError, GeocivError)
True
"""

from __future__ import annotations

from dataclasses import dataclass


class GeocivError(Exception):
    """Root of every error raised by geociv."""


@dataclass(frozen=True)
class Problem:
    """One problem found in input: where it is (row and field) and what is wrong.

    ``row`` is a table's row as Excel numbers it (the header is row 1, the first data row
    row 2: :func:`geociv.uploads.tables.data_rows`), a vector feature's number from 1, and
    ``None`` when the problem concerns the whole input.
    """

    message: str
    row: int | None = None
    field: str | None = None

    def __str__(self) -> str:
        where = []
        if self.row is not None:
            where.append(f"第 {self.row} 行")
        if self.field:
            where.append(f"字段 {self.field}")
        return f"{'，'.join(where)}：{self.message}" if where else self.message

    def to_dict(self) -> dict[str, object]:
        """Return the problem as a JSON-ready dict."""
        return {"row": self.row, "field": self.field, "message": self.message}


class ValidationError(GeocivError, ValueError):
    """Input failed validation; ``problems`` lists every problem found, not just the first."""

    def __init__(self, problems: list[Problem] | Problem | str, title: str = "输入有误") -> None:
        if isinstance(problems, str):
            problems = [Problem(problems)]
        elif isinstance(problems, Problem):
            problems = [problems]
        self.problems: list[Problem] = list(problems)
        self.title = title
        lines = [f"{title}（{len(self.problems)} 处）："] + [f"  - {p}" for p in self.problems]
        super().__init__(
            "\n".join(lines) if len(self.problems) > 1 else f"{title}：{self.problems[0]}"
        )

    def to_dict(self) -> dict[str, object]:
        """Return the error as the JSON body the API sends with a 400."""
        return {"error": self.title, "problems": [p.to_dict() for p in self.problems]}


class InputFileError(ValidationError):
    """A file could not be read at all: broken JSON, wrong encoding, missing columns."""


class ConfigError(GeocivError, ValueError):
    """A setting is missing or has an invalid value."""


class CRSError(GeocivError, ValueError):
    """A coordinate reference system is undeclared, unknown or not the one the data is in."""


class CoordinateRangeError(GeocivError, ValueError):
    """Coordinates lie outside China, or latitude and longitude look swapped."""


class AdcodeError(GeocivError, ValueError):
    """A division code is malformed (wrong length, non-digits, impossible level)."""


class NotFoundError(GeocivError, LookupError):
    """A record that the store does not hold: an unknown id (the web answers 404, the command
    line says so and exits 1)."""


class UnknownDivisionError(NotFoundError):
    """A well-formed division code or name that the store does not hold."""


class UnknownRecordError(ValidationError, NotFoundError):
    """Input names a record, by its id in a field, that the store does not hold: bad input
    naming the field (400) when the id came in a request body or query, a 404 when it is the
    record the URL names."""


class StoreError(GeocivError, RuntimeError):
    """The store cannot be opened, read or written."""


class SchemaVersionError(StoreError):
    """The store file was written by a newer geociv than this one."""


class CopyMismatchError(StoreError):
    """A copied store does not hold what its source holds (row counts or checksums differ);
    ``checks`` are the tables compared (:class:`geociv.transfer.TableCheck`)."""

    def __init__(self, message: str, checks: list) -> None:
        super().__init__(message)
        self.checks = checks


class BackendUnavailableError(StoreError, NotImplementedError):
    """The database URL names a backend that this installation cannot use."""


class ConflictError(GeocivError, ValueError):
    """The request conflicts with the current state of a record: it exists already, it is
    final (signed by both sides), it has been superseded (the web answers 409)."""


class DuplicateError(ConflictError):
    """A record with the same key already exists."""


class AuthenticationError(GeocivError, PermissionError):
    """Wrong user name or password, or the account is disabled."""


class PermissionDeniedError(GeocivError, PermissionError):
    """The user's role does not allow the action."""


class LoginThrottledError(AuthenticationError):
    """Too many failed log-ins for the user name or the address: refused until ``retry_at``
    (ISO-8601 UTC), even with the right password."""

    def __init__(self, message: str, *, retry_at: str) -> None:
        super().__init__(message)
        self.retry_at = retry_at


class BusyError(GeocivError, RuntimeError):
    """Too much work is waiting already (background computations); try again later (the web
    answers 429)."""


class StaleRecordError(ConflictError, StoreError):
    """Inside the writing transaction the record turned out changed by someone else: signed
    by both sides, superseded or corrected meanwhile (a lost race; the web answers 409)."""
