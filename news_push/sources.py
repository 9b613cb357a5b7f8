"""Read the central push files: disclosure rows (CSV, JSON Lines) and headlines.

The only I/O is reading the given file or folder. Files may be UTF-8 (with or without
BOM) or GB18030. A file that cannot be read at all raises :class:`SourceError`; a row
that cannot be parsed is yielded with :attr:`SourceRow.error`, so one broken line
never hides the others.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from sitegroup.errors import SitegroupError
from sitegroup.models.headlines import Headline
from sitegroup.models.validate import RowProblem, SourceRow, validate_headline

__all__ = [
    "SourceError",
    "SourceRow",
    "decode",
    "read_headlines",
    "read_rows",
]

CSV_SUFFIXES = frozenset({".csv"})
JSONL_SUFFIXES = frozenset({".jsonl", ".ndjson"})


class SourceError(SitegroupError):
    """A push file cannot be read at all (encoding, format, header)."""

    def __init__(self, file: str, line: int | None, message: str) -> None:
        self.file = file
        self.line = line
        self.message = message
        where = f"{file}:{line}" if line else file
        super().__init__(f"{where}: {message}")


def decode(path: Path) -> str:
    """The text of a file: UTF-8 (BOM optional), else GB18030, else :class:`SourceError`."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SourceError(str(path), None, f"无法读取文件：{exc.strerror or exc}") from exc
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
    try:
        return data.decode("gb18030").removeprefix("\ufeff")
    except UnicodeDecodeError:
        raise SourceError(
            str(path), line, "文件编码无法识别：应为 UTF-8 或 GB18030（GBK）编码"
        ) from None


def read_rows(path: Path) -> Iterator[SourceRow]:
    """The data rows of a ``.csv`` or ``.jsonl``/``.ndjson`` file, in file order."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in CSV_SUFFIXES | JSONL_SUFFIXES:
        raise SourceError(
            str(path), None, f"不支持的文件类型“{path.suffix}”：应为 .csv、.jsonl 或 .ndjson"
        )
    text = decode(path)
    if suffix in CSV_SUFFIXES:
        return _csv_rows(str(path), text)
    return _jsonl_rows(str(path), text)


def _csv_rows(file: str, text: str) -> Iterator[SourceRow]:
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
    except csv.Error as exc:
        raise SourceError(file, 1, f"CSV 表头格式错误：{exc}") from None
    if header is None:
        return
    columns = _header(file, header)
    while True:
        line = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise SourceError(file, line, f"CSV 格式错误：{exc}") from None
        if not any(cell.strip() for cell in cells):
            continue
        values = {
            columns[i] if i < len(columns) else f"第{i + 1}列": cell
            for i, cell in enumerate(cells)
            if i < len(columns) or cell.strip()
        }
        yield SourceRow(file, line, values)


def _header(file: str, header: list[str]) -> list[str]:
    columns: list[str] = []
    first_at: dict[str, int] = {}
    for i, raw in enumerate(header, start=1):
        name = raw.strip() or f"第{i}列"
        if name in first_at:
            raise SourceError(file, 1, f"表头列名“{name}”重复（第 {first_at[name]} 列和第 {i} 列）")
        first_at[name] = i
        columns.append(name)
    return columns


def _jsonl_rows(file: str, text: str) -> Iterator[SourceRow]:
    # Split on \n only: JSON strings may legally hold U+2028, which splitlines() splits on.
    for number, raw in enumerate(text.split("\n"), start=1):
        line = raw.strip()
        if not line:
            continue
        try:
            obj = json.loads(line, parse_int=str, parse_float=str, parse_constant=_no_constant)
        except ValueError as exc:
            column = getattr(exc, "colno", None)
            where = f"（第 {column} 列附近）" if column else ""
            yield SourceRow(file, number, {}, f"该行不是有效的 JSON{where}")
            continue
        if not isinstance(obj, dict):
            yield SourceRow(file, number, {}, "该行应为一个 JSON 对象（{…}）")
            continue
        values, error = _json_values(obj)
        yield SourceRow(file, number, values if error is None else {}, error)


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not allowed")


def _json_values(obj: dict[str, Any]) -> tuple[dict[str, str], str | None]:
    values: dict[str, str] = {}
    for key, value in obj.items():
        if value is None:
            continue
        if isinstance(value, bool):
            return {}, f"字段“{key}”的值应为文本或数字，不能是 true/false"
        if isinstance(value, dict | list):
            return {}, f"字段“{key}”的值应为文本或数字，不能是数组或对象"
        values[key] = value  # numbers arrive as their JSON text (parse_int/parse_float=str)
    return values, None


# -- headlines ---------------------------------------------------------------------


def read_headlines(path: Path) -> tuple[list[Headline], list[RowProblem]]:
    """Headlines from a JSON Lines file or a folder of Markdown files with front matter.

    Returns the valid headlines and every problem; a later duplicate id is a problem.
    Raises :class:`SourceError` only when a file cannot be read or has the wrong type.
    """
    path = Path(path)
    if path.is_dir():
        entries = [_markdown_entry(md) for md in sorted(path.glob("*.md"))]
    elif path.suffix.lower() in JSONL_SUFFIXES:
        entries = list(_jsonl_entries(path))
    else:
        raise SourceError(
            str(path), None, "头版数据应为 .jsonl 文件，或一个存放 Markdown（.md）文件的目录"
        )
    headlines: list[Headline] = []
    problems: list[RowProblem] = []
    seen: dict[str, str] = {}
    for file, line, values, problem in entries:
        if problem is not None:
            problems.append(problem)
            continue
        headline, found = validate_headline(values, file=file, line=line)
        problems.extend(found)
        if headline is None:
            continue
        if headline.id in seen:
            reason = f"编号“{headline.id}”与 {seen[headline.id]} 重复"
            problems.append(RowProblem(file, line, "编号(id)", reason))
            continue
        seen[headline.id] = f"{file}:{line}"
        headlines.append(headline)
    return headlines, problems


_Entry = tuple[str, int, dict[str, Any], RowProblem | None]


def _jsonl_entries(path: Path) -> Iterator[_Entry]:
    file = str(path)
    for number, raw in enumerate(decode(path).split("\n"), start=1):
        line = raw.strip()
        if not line:
            continue
        try:
            obj = json.loads(line)
        except ValueError:
            yield file, number, {}, RowProblem(file, number, "-", "该行不是有效的 JSON")
            continue
        if not isinstance(obj, dict):
            yield file, number, {}, RowProblem(file, number, "-", "该行应为一个 JSON 对象（{…}）")
            continue
        yield file, number, obj, None


def _markdown_entry(path: Path) -> _Entry:
    file = str(path)
    lines = decode(path).split("\n")
    close = next(
        (i for i, text in enumerate(lines[1:], start=1) if text.rstrip() in ("---", "...")),
        None,
    )
    if not lines or lines[0].rstrip() != "---" or close is None:
        reason = "缺少 YAML 头信息：文件应以 --- 行开始，写完字段后再以 --- 行结束"
        return file, 1, {}, RowProblem(file, 1, "-", reason)
    try:
        front = yaml.safe_load("\n".join(lines[1:close]))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 2 if mark is not None else 1
        return file, line, {}, RowProblem(file, line, "-", "YAML 头信息语法错误")
    if front is None:
        front = {}
    if not isinstance(front, dict):
        return file, 1, {}, RowProblem(file, 1, "-", "YAML 头信息应为“字段: 值”的形式")
    values = {str(k): v for k, v in front.items()}
    body = "\n".join(lines[close + 1 :]).strip("\n")
    if body.strip():
        values["body"] = body
    return file, 1, values, None
