"""Reading an import file: UTF-8 CSV with a header row, `;` or `,` between fields.

Only the file's *shape* is checked here (encoding, header, known columns, the number of fields
on every line); a file that fails is refused as a whole with a 422 naming the line. What the
values mean is checked line by line by the importer of each kind.

The decoded text is kept and parsed again whenever the rows are needed: a million-line file is
then held once as text rather than as a million dictionaries.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from federa.shared.http.problems import Problem

# A record: its line number in the file (the header is line 1) and its non-empty cells.
Record = tuple[int, dict[str, str]]


@dataclass(frozen=True)
class Columns:
    allowed: frozenset[str]
    required: frozenset[str]


@dataclass(frozen=True)
class CsvFile:
    text: str
    delimiter: str
    header: tuple[str, ...]
    rows: int

    def records(self) -> Iterator[Record]:
        """Every data line with its cells stripped; empty cells are left out."""
        reader = _reader(self.text, self.delimiter)
        next(reader)
        for cells in reader:
            if not any(c.strip() for c in cells):
                continue
            values = {
                column: cell.strip()
                for column, cell in zip(self.header, cells, strict=True)
                if cell.strip()
            }
            yield reader.line_num, values

    def chunks(self, size: int) -> Iterator[list[Record]]:
        chunk: list[Record] = []
        for record in self.records():
            chunk.append(record)
            if len(chunk) >= size:
                yield chunk
                chunk = []
        if chunk:
            yield chunk


def _reader(text: str, delimiter: str) -> Any:
    # strict: an unterminated quote or stray quote is an error, not a silently merged line.
    return csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)


def malformed(line: int | None, message: str, field: str | None = None) -> Problem:
    where = f"line {line}: " if line is not None else ""
    return Problem(
        422,
        "malformed-csv",
        "Malformed CSV file",
        f"{where}{message}",
        errors=[{"line": line, "field": field, "message": message}],
    )


def _decode(raw: bytes) -> str:
    try:
        # utf-8-sig: spreadsheet programs put a byte-order mark in front.
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise malformed(line, "the file is not UTF-8") from exc


def sniff_delimiter(header_line: str) -> str:
    """`;` (the Nordic spreadsheet default) when the header has more of them than commas."""
    return ";" if header_line.count(";") > header_line.count(",") else ","


def read_csv(raw: bytes, columns: Columns) -> CsvFile:
    """Decode and check the file's shape; a 422 problem naming the line if it is malformed."""
    text = _decode(raw)
    first_line = text.split("\n", 1)[0]
    if not first_line.strip():
        raise malformed(1, "the file has no header row")
    delimiter = sniff_delimiter(first_line)
    reader = _reader(text, delimiter)
    try:
        header = tuple(h.strip().lower() for h in next(reader))
        _check_header(header, columns)
        rows = 0
        for cells in reader:
            if not any(c.strip() for c in cells):
                continue
            if len(cells) != len(header):
                raise malformed(
                    reader.line_num,
                    f"{len(cells)} fields where the header has {len(header)}",
                )
            rows += 1
    except csv.Error as exc:
        raise malformed(reader.line_num, f"not valid CSV: {exc}") from exc
    if rows == 0:
        raise malformed(2, "the file has a header but no data rows")
    return CsvFile(text, delimiter, header, rows)


def _check_header(header: tuple[str, ...], columns: Columns) -> None:
    seen: set[str] = set()
    for name in header:
        if not name:
            raise malformed(1, "a column has no name")
        if name in seen:
            raise malformed(1, f"column {name!r} appears twice", name)
        seen.add(name)
    unknown = [h for h in header if h not in columns.allowed]
    if unknown:
        raise malformed(
            1,
            f"unknown columns {', '.join(unknown)}; known: {', '.join(sorted(columns.allowed))}",
            unknown[0],
        )
    missing = sorted(columns.required - seen)
    if missing:
        raise malformed(1, f"required columns missing: {', '.join(missing)}", missing[0])
