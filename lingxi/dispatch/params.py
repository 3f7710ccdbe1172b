"""Solver parameters: a validated dataclass, loadable from TOML."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, Literal

from lingxi.errors import InvalidInputError

__all__ = ["DispatchParams", "Objective"]

Objective = Literal["distance", "duration", "route_duration", "hierarchical"]
_OBJECTIVES = ("distance", "duration", "route_duration", "hierarchical")


@dataclass(frozen=True, slots=True)
class DispatchParams:
    """How hard and how to search.

    ``objective``: ``distance`` (total distance plus fixed vehicle costs), ``duration`` (total
    driving time, as ORTEC), ``route_duration`` (total time from leaving to returning, waiting
    included, as the MAMUT TD benchmarks), or ``hierarchical`` (fewest vehicles first, then distance: the
    Solomon/SINTEF convention).
    """

    time_limit: float = 2.0
    """Wall-clock seconds for the search."""
    seed: int = 0
    objective: Objective = "distance"
    precision: int = 100
    """Matrices are scaled by this and rounded to integers for the solver."""
    fleet_share: float = 0.5
    """Share of the time spent minimising the fleet under the hierarchical objective."""
    unassigned_penalty: float = 10.0
    """When not every required stop fits, serving one is rewarded with this many times
    (two longest arcs + a vehicle's fixed cost), scaled by ``1 + priority``."""
    td_iterations: int = 3
    """Solve / re-time rounds for time-dependent travel."""

    def __post_init__(self) -> None:
        if not self.time_limit > 0:
            raise InvalidInputError.for_field("time_limit", "a number > 0", self.time_limit)
        if self.seed < 0:
            raise InvalidInputError.for_field("seed", "an integer >= 0", self.seed)
        if self.objective not in _OBJECTIVES:
            raise InvalidInputError.for_field("objective", f"one of {_OBJECTIVES}", self.objective)
        if not 1 <= self.precision <= 1_000_000:
            raise InvalidInputError.for_field(
                "precision", "an integer in [1, 1000000]", self.precision
            )
        if not 0 < self.fleet_share < 1:
            raise InvalidInputError.for_field("fleet_share", "in (0, 1)", self.fleet_share)
        if self.unassigned_penalty <= 0:
            raise InvalidInputError.for_field(
                "unassigned_penalty", "a number > 0", self.unassigned_penalty
            )
        if self.td_iterations < 1:
            raise InvalidInputError.for_field(
                "td_iterations", "an integer >= 1", self.td_iterations
            )

    @classmethod
    def from_file(cls, path: str | Path) -> DispatchParams:
        """Read ``[dispatch]`` (or top-level) keys from a TOML file; missing keys keep defaults."""
        try:
            raw: dict[str, Any] = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise InvalidInputError.for_field("path", "an existing TOML file", str(path)) from None
        except tomllib.TOMLDecodeError as err:
            raise InvalidInputError.for_field("path", f"valid TOML ({err})", str(path)) from None
        section = raw.get("dispatch", raw)
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(section) - known)
        if unknown:
            raise InvalidInputError.for_field("params", f"keys among {sorted(known)}", unknown)
        return cls(**section)
