"""Time-dependent travel: the Ichoua, Gendreau & Potvin (2003) speed model.

Each arc has a length and a speed per period of the day. A vehicle's speed changes when it
crosses a period boundary in the middle of an arc, so the arrival time is a continuous,
piecewise-linear, non-decreasing function of the departure time: a later departure never
arrives earlier (FIFO). Traffic reports are the same thing locally: a speed factor on some
arcs for a time span, which splits the periods at the span's ends.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

from lingxi.errors import InvalidInputError

__all__ = [
    "ArrivalFunctions",
    "SpeedModel",
    "TimeDependent",
    "read_category_matrix",
    "read_speed_table",
]

_EPS = 1e-9


class TimeDependent(Protocol):
    """Time-dependent travel times the planner can search with."""

    def travel(self, i: int, j: int, t: float) -> float:
        """Travel time on ``(i, j)`` departing at ``t``."""
        ...

    def travel_matrix(self, depart: float | NDArray[np.float64]) -> NDArray[np.float64]:
        """Travel times for every arc, leaving ``i`` at ``depart`` (scalar or per row)."""
        ...

    def subset(self, index: Sequence[int]) -> TimeDependent:
        """The model over some locations, renumbered ``0 .. len(index) - 1``."""
        ...


class ArrivalFunctions:
    """One FIFO piecewise-linear arrival-time function per arc, given by its breakpoints.

    ``xs`` may repeat (a vertical step); at a step the smallest arrival is used. Outside the
    breakpoints the function continues with slope 1 (constant travel time).
    """

    def __init__(self, n: int, arcs: dict[tuple[int, int], tuple[list[float], list[float]]]):
        self.n = n
        self._xs: dict[tuple[int, int], NDArray[np.float64]] = {}
        self._ys: dict[tuple[int, int], NDArray[np.float64]] = {}
        for key, (xs, ys) in arcs.items():
            x = np.asarray(xs, float)
            y = np.asarray(ys, float)
            if len(x) != len(y) or len(x) < 1 or (np.diff(x) < 0).any():
                raise InvalidInputError.for_field("arcs", "sorted (x, y) breakpoints", key)
            if (np.diff(y) < -1e-6).any():
                raise InvalidInputError.for_field("arcs", "FIFO (non-decreasing arrivals)", key)
            self._xs[key], self._ys[key] = x, y

    def travel(self, i: int, j: int, t: float) -> float:
        """Travel time on ``(i, j)`` departing at ``t``."""
        if i == j:
            return 0.0
        key = (i, j)
        if key not in self._xs:
            return float("inf")
        xs, ys = self._xs[key], self._ys[key]
        if t <= xs[0]:
            return float(ys[0] - xs[0])
        if t >= xs[-1]:
            return float(ys[-1] - xs[-1])
        k = int(np.searchsorted(xs, t, side="left"))
        if xs[k] == t:
            return float(ys[k] - t)
        x0, x1, y0, y1 = xs[k - 1], xs[k], ys[k - 1], ys[k]
        return float(y0 + (y1 - y0) * (t - x0) / (x1 - x0) - t)

    def subset(self, index: Sequence[int]) -> ArrivalFunctions:
        """The functions over some locations, renumbered ``0 .. len(index) - 1``."""
        out = ArrivalFunctions(len(index), {})
        for a, i in enumerate(index):
            for b, j in enumerate(index):
                if (i, j) in self._xs:
                    out._xs[(a, b)] = self._xs[(i, j)]
                    out._ys[(a, b)] = self._ys[(i, j)]
        return out

    def travel_matrix(self, depart: float | NDArray[np.float64]) -> NDArray[np.float64]:
        """Travel times for every arc, leaving ``i`` at ``depart`` (scalar or per row)."""
        dep = np.broadcast_to(np.asarray(depart, float).reshape(-1), (self.n,))
        out = np.zeros((self.n, self.n))
        for i in range(self.n):
            for j in range(self.n):
                out[i, j] = self.travel(i, j, float(dep[i]))
        return out


@dataclass(frozen=True)
class SpeedModel:
    """Arc lengths and piecewise-constant speeds by period (Ichoua et al. 2003).

    ``length[i, j]`` is the arc length (``inf`` for no arc); ``bounds`` the ``P - 1`` inner
    period boundaries in increasing order (period ``p`` is ``[bounds[p-1], bounds[p])``, the
    first and last periods are open-ended); ``speed[p, i, j]`` > 0 the speed in period ``p``.
    With ``length`` = free-flow travel time, ``speed`` is a plain speed factor (1 = free flow).
    """

    length: NDArray[np.float64]
    bounds: NDArray[np.float64]
    speed: NDArray[np.float64]

    def __post_init__(self) -> None:
        n = self.length.shape[0]
        if self.length.shape != (n, n):
            raise InvalidInputError.for_field("length", "a square matrix", self.length.shape)
        if self.speed.shape != (len(self.bounds) + 1, n, n):
            raise InvalidInputError.for_field(
                "speed", f"shape ({len(self.bounds) + 1}, {n}, {n})", self.speed.shape
            )
        if (np.diff(self.bounds) <= 0).any():
            raise InvalidInputError.for_field("bounds", "strictly increasing", self.bounds)
        if (self.speed <= 0).any():
            raise InvalidInputError.for_field("speed", "positive everywhere", "a value <= 0")

    # -- construction -----------------------------------------------------------------------
    @classmethod
    def static(cls, length: NDArray[np.float64]) -> SpeedModel:
        """One period at speed 1: travel time equals ``length``."""
        n = length.shape[0]
        return cls(np.asarray(length, float), np.zeros(0), np.ones((1, n, n)))

    @classmethod
    def from_categories(
        cls,
        length: NDArray[np.float64],
        categories: NDArray[np.int64],
        table: NDArray[np.float64],
        horizon: tuple[float, float],
    ) -> SpeedModel:
        """Ichoua's setting: the horizon split into ``len(table)`` equal periods, arc ``(i, j)``
        of category ``categories[i, j]`` driving at ``table[p, category]`` in period ``p``."""
        periods = table.shape[0]
        start, end = horizon
        bounds = start + (end - start) * np.arange(1, periods) / periods
        n = length.shape[0]
        cats = np.clip(np.asarray(categories)[:n, :n], 0, table.shape[1] - 1)
        speed = np.stack([table[p][cats] for p in range(periods)])
        return cls(np.asarray(length, float), bounds.astype(float), speed.astype(float))

    # -- evaluation -------------------------------------------------------------------------
    def _period(self, t: float) -> int:
        return int(np.searchsorted(self.bounds, t, side="right"))

    def travel(self, i: int, j: int, t: float) -> float:
        """Travel time on ``(i, j)`` departing at ``t``."""
        d = float(self.length[i, j])
        if d <= 0 or not np.isfinite(d):
            return d if d > 0 else 0.0
        k = self._period(t)
        now = t
        last = len(self.bounds)
        while True:
            v = float(self.speed[k, i, j])
            if k >= last:
                return now + d / v - t
            end = float(self.bounds[k])
            reach = now + d / v
            if reach <= end:
                return reach - t
            d -= v * (end - now)
            now = end
            k += 1

    def travel_matrix(self, depart: float | NDArray[np.float64]) -> NDArray[np.float64]:
        """Travel times for every arc, leaving ``i`` at ``depart`` (a scalar or one per row)."""
        n = self.length.shape[0]
        t0 = np.broadcast_to(np.asarray(depart, float).reshape(-1, 1), (n, n)).copy()
        remaining = np.where(np.isfinite(self.length), self.length, 0.0).copy()
        now = t0.copy()
        k = np.searchsorted(self.bounds, t0, side="right")
        done = remaining <= 0
        last = len(self.bounds)
        rows, cols = np.indices((n, n))
        for _ in range(last + 1):
            active = ~done
            if not active.any():
                break
            v = self.speed[np.minimum(k, last), rows, cols]
            if last == 0:  # one period (the static model): no boundary to cross
                end = np.full((n, n), np.inf)
            else:
                end = np.where(k < last, self.bounds[np.minimum(k, last - 1)], np.inf)
            reach = now + remaining / v
            finish = active & (reach <= end)
            now = np.where(finish, reach, now)
            remaining = np.where(finish, 0.0, remaining)
            done |= finish
            cont = active & ~finish
            remaining = np.where(cont, remaining - v * (end - now), remaining)
            now = np.where(cont, end, now)
            k = np.where(cont, k + 1, k)
        out: NDArray[np.float64] = now - t0
        out[~np.isfinite(self.length)] = np.inf
        return out

    def arrival_function(self, i: int, j: int) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Breakpoints ``(departure, arrival)`` of the piecewise-linear arrival-time function.

        Between breakpoints the arrival time is linear in the departure time; outside them
        it continues with slope 1.
        """
        d = float(self.length[i, j])
        times = set(float(b) for b in self.bounds)
        # Departures that arrive exactly at a boundary: integrate backwards from it.
        for k, b in enumerate(self.bounds):
            rem, now, p = d, float(b), k
            while p >= 0:
                v = float(self.speed[p, i, j])
                start = float(self.bounds[p - 1]) if p > 0 else -np.inf
                if now - rem / v >= start:
                    times.add(now - rem / v)
                    break
                rem -= v * (now - start)
                now, p = start, p - 1
        xs = np.array(sorted(times))
        ys = np.array([x + self.travel(i, j, x) for x in xs])
        return xs, ys

    def subset(self, index: Sequence[int]) -> SpeedModel:
        """The model over some locations, renumbered ``0 .. len(index) - 1``."""
        idx = np.asarray(index)
        return SpeedModel(self.length[np.ix_(idx, idx)], self.bounds, self.speed[:, idx][:, :, idx])

    # -- traffic ----------------------------------------------------------------------------
    def with_slowdown(
        self,
        affected: NDArray[np.float64],
        factor: float,
        start: float,
        end: float,
    ) -> SpeedModel:
        """A copy where arcs drive at ``factor`` x their speed during ``[start, end)``.

        ``affected[i, j]`` in ``[0, 1]`` is the share of the arc's length inside the reported
        segment or zone; the arc's speed is scaled so that the time on that share alone
        changes (harmonic mean), keeping the model FIFO.
        """
        if not 0 < factor <= 10:
            raise InvalidInputError.for_field("speed_factor", "in (0, 10]", factor)
        if not end > start:
            raise InvalidInputError.for_field("ends_at", f"after starts_at ({start})", end)
        bounds = sorted(set(self.bounds.tolist()) | {float(start), float(end)})
        new_bounds = np.array(bounds)
        # Each new period takes the speeds of the old period containing it.
        mids = np.concatenate(
            ([new_bounds[0] - 1.0], (new_bounds[:-1] + new_bounds[1:]) / 2, [new_bounds[-1] + 1.0])
        )
        old = np.searchsorted(self.bounds, mids, side="right")
        speed = self.speed[old].copy()
        share = np.clip(affected, 0.0, 1.0)
        scale = 1.0 / ((1.0 - share) + share / factor)
        inside = (mids >= start) & (mids < end)
        speed[inside] *= scale
        return SpeedModel(self.length, new_bounds, speed)


def read_speed_table(path: str | Path) -> NDArray[np.float64]:
    """A Ichoua/Balseiro ``t_dep*.dat`` table: rows are periods, columns categories."""
    lines = [
        ln.split() for ln in Path(path).read_text(encoding="latin-1").splitlines() if ln.strip()
    ]
    header = {ln[0]: ln[1] for ln in lines if len(ln) == 2}
    periods = int(header.get("NB_PERIODES", 3))
    rows = [[float(x) for x in ln] for ln in lines if len(ln) > 2 or ln[0][0].isdigit()]
    rows = [r for r in rows if len(r) == int(header.get("NB_CATHEGORIES", len(r)))]
    return np.array(rows[-periods:], dtype=float)


def read_category_matrix(path: str | Path, size: int) -> NDArray[np.int64]:
    """The first ``size`` x ``size`` block of a ``catheg*.dat`` category matrix.

    The file stores the upper triangle (``-1`` below the diagonal) of a symmetric matrix.
    """
    text = Path(path).read_text(encoding="latin-1").split("\n")
    rows = [ln.split() for ln in text[1:] if ln.strip()]
    upper = np.array([[int(x) for x in r[:size]] for r in rows[:size]], dtype=np.int64)
    lower = np.tril_indices(size, -1)
    full = upper.copy()
    full[lower] = upper.T[lower]
    return full


def route_departures(model: SpeedModel, path: Sequence[int], depart: float) -> list[float]:
    """Arrival times along ``path`` leaving its first node at ``depart`` (no service)."""
    times = [depart]
    for a, b in zip(path, path[1:], strict=False):
        times.append(times[-1] + model.travel(a, b, times[-1]))
    return times
