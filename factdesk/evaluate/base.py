"""The evaluator contract: one evaluator per benchmark, each returning a report with a primary metric."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol


@dataclass
class SystemScores:
    """One row of a report's comparison table, measured in the same run."""

    system: str
    metrics: dict[str, float]


@dataclass
class EvalReport:
    benchmark: str
    split: str
    primary_metric: str
    systems: list[SystemScores]
    details: dict[str, Any] = field(default_factory=dict)
    plots: list[str] = field(default_factory=list)

    @property
    def primary(self) -> float:
        """The primary metric of the first system (factdesk)."""
        return self.systems[0].metrics[self.primary_metric]

    def to_json(self) -> dict[str, Any]:
        return {"primary": {self.primary_metric: self.primary}, **asdict(self)}

    def table(self) -> str:
        """The comparison table as aligned text, the primary metric first."""
        names = [self.primary_metric, *sorted({m for s in self.systems for m in s.metrics} - {self.primary_metric})]
        width = max(len(s.system) for s in self.systems)
        lines = ["  ".join([f"{'system':<{width}}", *(f"{n:>12}" for n in names)])]
        for s in self.systems:
            cells = [f"{s.metrics[n]:>12.4f}" if n in s.metrics else f"{'-':>12}" for n in names]
            lines.append("  ".join([f"{s.system:<{width}}", *cells]))
        return "\n".join(lines)


class Evaluator(Protocol):
    name: str

    def run(self, data_dir: Path, split: str, plots_dir: Path | None = None, progress: bool = False) -> EvalReport:
        """Evaluates on ``data_dir`` (the shared data folder) and writes PNG plots into ``plots_dir`` if given."""
        ...
