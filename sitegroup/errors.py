"""One error hierarchy for the core; the CLI and the API translate it at their edges."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


class SitegroupError(Exception):
    """Base of every error the core raises on purpose."""


@dataclass(frozen=True, slots=True)
class ConfigProblem:
    """One problem in one configuration file, located by its key."""

    file: Path
    key: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.key}: {self.message}"


class ConfigError(SitegroupError):
    """Raised by the tenant loader with *every* problem found, never just the first."""

    def __init__(self, problems: list[ConfigProblem]) -> None:
        self.problems = sorted(problems, key=lambda p: (str(p.file), p.key, p.message))
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"{len(self.problems)} 处配置错误：\n{lines}")


class FieldProblems(SitegroupError, ValueError):
    """Input refused field by field: ``problems`` maps each bad field to what is wrong (in
    Chinese); ``field`` is the first, for an API answer's ``error.field``."""

    def __init__(self, problems: dict[str, str]) -> None:
        super().__init__("；".join(problems.values()))
        self.problems = problems

    @property
    def field(self) -> str:
        return next(iter(self.problems))


class BuildError(SitegroupError):
    """Raised by the build when a site could not be rendered; names the site and file."""

    def __init__(self, site: str, file: str | None, message: str) -> None:
        self.site = site
        self.file = file
        self.message = message
        where = f"{site}" + (f" ({file})" if file else "")
        super().__init__(f"站点 {where} 构建失败：{message}")


class StoreError(SitegroupError):
    """The store cannot be used as configured (unreachable, schema too old …)."""
