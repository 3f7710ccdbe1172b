"""Prize-collecting epochs for the dynamic VRPTW (the approach of the 2022 winner, Kleopatra).

Each epoch is solved as a prize-collecting VRPTW: the must-dispatch requests are required and
every other open request is an optional stop whose prize is what serving it *later* would
cost. That cost is estimated from sampled futures: in each scenario (the open requests plus
requests sampled for the next epochs with the competition's rule, each released when its
vehicles could leave) the request's cost later is its cheapest feasible insertion into the
scenario's routes that hold future requests (or, when it rides on one, what it adds there),
averaged over the scenarios. The scenarios also vote: a request that most of them leave off
today's routes (the routes of open requests only) is postponed outright. The solve then
serves an optional request now exactly when its detour today is below its prize.

Scenario solves go through :func:`lingxi.dispatch.solver.solve_arrays` (arrays in, node
indices out; matrices cut from the instance's one matrix) and are warm-started from the
previous scenario's routes of today and from the routes held back last epoch. When the
budget cannot pay for ``min_scenarios`` scenarios and the final solve, the epoch is solved
as the greedy baseline does (everything goes), so short budgets cost what greedy costs.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from lingxi.dispatch.dynamic import (
    EPOCH_DURATION,
    MARGIN_DISPATCH,
    MAX_REQUESTS_PER_EPOCH,
    EpochState,
    IntArray,
    Simulator,
)
from lingxi.dispatch.solver import ArrayPlan, solve_arrays
from lingxi.errors import InvalidInputError

__all__ = ["EpochDecision", "PrizePolicy"]


@dataclass(frozen=True)
class EpochDecision:
    """What the policy did in one epoch (for reports and tests)."""

    epoch: int
    mode: str
    """``prize`` (scenarios then a prize-collecting solve), ``greedy`` (fallback: too little
    time for scenarios) or ``last`` (the last epoch: everything goes)."""
    scenarios: int
    open_requests: int
    must: int
    dispatched: int
    seconds: float


@dataclass
class PrizePolicy:
    """Prize-collecting epochs with prizes from sampled futures (see the module docstring).

    ``time_limit`` bounds each decision by wall clock: scenarios run until ``1 -
    final_share`` of it is spent (each at most ``scenario_time`` seconds), the final solve
    gets the rest minus a reserve. With ``scenarios`` and ``iterations`` set, the number of
    scenarios and each solve's iterations are fixed, so a seed gives the same decisions on
    any machine: each search is then stopped by its iterations, with ``time_limit`` per
    search only as a safety net (so a decision may take longer than ``time_limit``).
    """

    time_limit: float = 10.0
    lookahead: int | None = None
    """Future epochs sampled per scenario (``None``: 1 below 4 s per epoch, else 2)."""
    scenario_time: float | None = None
    """At most this many search seconds per scenario (``None``: a tenth of the budget,
    within 0.1-0.6 s)."""
    final_share: float = 0.3
    consensus: float = 0.3
    """Postpone a non-must request that fewer than this share of scenarios send now."""
    prize_scale: float = 1.0
    """Multiplies the estimated cost of serving a request later."""
    optional_routes: bool = True
    """Dispatch routes of optional requests only; ``False`` holds them for the next epoch."""
    min_scenarios: int = 2
    """Fewer scenarios than this fit the budget: solve the epoch as greedy does."""
    scenarios: int | None = None
    iterations: int | None = None
    seed: int = 0
    decisions: list[EpochDecision] = field(default_factory=list)
    _held: list[list[int]] = field(default_factory=list)
    _scenario_cost: float = 0.0
    _lookahead: int = 2
    _scenario_secs: float = 0.6

    def __post_init__(self) -> None:
        if not self.time_limit > 0:
            raise InvalidInputError.for_field("time_limit", "a number > 0", self.time_limit)
        if not 0 < self.final_share < 1:
            raise InvalidInputError.for_field("final_share", "in (0, 1)", self.final_share)
        if not 0 <= self.consensus <= 1:
            raise InvalidInputError.for_field("consensus", "in [0, 1]", self.consensus)
        if self.lookahead is None:
            self.lookahead = 1 if self.time_limit < 4 else 2
        if self.scenario_time is None:
            self.scenario_time = min(max(0.1 * self.time_limit, 0.1), 0.6)
        if self.lookahead < 1:
            raise InvalidInputError.for_field("lookahead", "an integer >= 1", self.lookahead)
        if not self.scenario_time > 0:
            raise InvalidInputError.for_field("scenario_time", "a number > 0", self.scenario_time)
        self._lookahead, self._scenario_secs = self.lookahead, self.scenario_time
        if not self.prize_scale >= 0:
            raise InvalidInputError.for_field("prize_scale", "a number >= 0", self.prize_scale)

    # ---------------------------------------------------------------- the decision

    def act(self, state: EpochState, sim: Simulator) -> list[list[int]]:
        """Routes (request ids) to dispatch this epoch."""
        started = time.perf_counter()
        n = len(state.request_idx)
        if n <= 1:
            self._record(state, "prize", 0, [], started)
            return []
        must = state.must_dispatch.copy()
        must[0] = False
        if state.is_last or not (~must[1:]).any():
            routes = self._solve_all(state, started)
            self._record(state, "last" if state.is_last else "greedy", 0, routes, started)
            return routes
        if not self._scenarios_fit(n):
            routes = self._solve_all(state, started)
            self._record(state, "greedy", 0, routes, started)
            return routes
        share, later, today, count = self._sample(state, sim, started)
        if count < self.min_scenarios and self.scenarios is None:
            routes = self._solve_all(state, started)
            self._record(state, "greedy", count, routes, started)
            return routes
        routes = self._prize_solve(state, must, share, later, today, started)
        self._record(state, "prize", count, routes, started)
        return routes

    def _record(
        self, state: EpochState, mode: str, count: int, routes: list[list[int]], started: float
    ) -> None:
        self.decisions.append(
            EpochDecision(
                epoch=state.epoch,
                mode=mode,
                scenarios=count,
                open_requests=len(state.request_idx) - 1,
                must=int(state.must_dispatch[1:].sum()),
                dispatched=sum(len(r) for r in routes),
                seconds=time.perf_counter() - started,
            )
        )

    def _left(self, started: float, size: int) -> float:
        """Search seconds left for the final solve (a reserve for building and reading it:
        the initial construction runs outside PyVRP's runtime limit, ~1 ms per stop)."""
        if self.iterations is not None:
            return self.time_limit  # iteration-bounded: the budget is only a safety net
        reserve = 0.05 + 0.0015 * size + 0.05 * self.time_limit
        return self.time_limit - (time.perf_counter() - started) - reserve

    def _scenarios_fit(self, n: int) -> bool:
        if self.scenarios is not None:
            return True
        guess = self._scenario_cost or (0.1 + 0.004 * n * (1 + self._lookahead / 2))
        usable = self.time_limit * (1 - self.final_share)
        return usable >= self.min_scenarios * min(guess, self._scenario_secs + 0.15)

    def _solve_all(self, state: EpochState, started: float) -> list[list[int]]:
        """Everything open goes (the greedy baseline's decision)."""
        n = len(state.request_idx)
        plan = solve_arrays(
            state.duration,
            state.time_windows,
            state.service_times,
            state.demands,
            state.capacity,
            time_limit=self._left(started, n),
            seed=self.seed,
            iterations=self.iterations,
            initial=self._initial(state, np.arange(n)),
        )
        self._held = []
        return _routes_out(plan, state.request_idx, np.arange(n), np.ones(n, bool))

    def _initial(self, state: EpochState, nodes: IntArray) -> list[list[int]]:
        """Last epoch's held routes, as nodes of a problem over ``nodes`` (positions)."""
        where = {int(state.request_idx[k]): j for j, k in enumerate(nodes)}
        return [[where[r] for r in route] for route in self._held if all(r in where for r in route)]

    # ---------------------------------------------------------------- scenarios

    def _sample(
        self, state: EpochState, sim: Simulator, started: float
    ) -> tuple[NDArray[np.float64], NDArray[np.float64], list[list[int]], int]:
        """Per open request: the share of scenarios that send it now, the mean cost of
        serving it later; also the last scenario's routes of today; and the count."""
        n = len(state.request_idx)
        rng = np.random.default_rng([self.seed, state.epoch])
        votes = np.zeros(n)
        later = np.zeros(n)
        today: list[list[int]] = self._initial(state, np.arange(n))
        scenarios_end = started + self.time_limit * (1 - self.final_share)
        count = 0
        spent = 0.0
        while self.scenarios is None or count < self.scenarios:
            now = time.perf_counter()
            average = spent / count if count else 0.0
            if self.scenarios is None and now + average > scenarios_end:
                break
            limit = min(self._scenario_secs, scenarios_end - now - 0.3 * average)
            if self.scenarios is not None:
                limit = self._scenario_secs if self.iterations is None else self.time_limit
            vote, cost, today = self._scenario(state, sim, rng, max(limit, 0.02), count, today)
            votes += vote
            later += cost
            count += 1
            spent += time.perf_counter() - now
        if count:
            self._scenario_cost = spent / count
        return votes / max(count, 1), later / max(count, 1), today, count

    def _scenario(
        self,
        state: EpochState,
        sim: Simulator,
        rng: np.random.Generator,
        limit: float,
        s: int,
        warm: list[list[int]],
    ) -> tuple[NDArray[np.float64], NDArray[np.float64], list[list[int]]]:
        n = len(state.request_idx)
        cust, tw, srv, dem, rel = _future(state, sim, rng, self._lookahead)
        ins = sim.instance
        nodes = np.concatenate((state.customer_idx, cust))
        duration = ins.duration[np.ix_(nodes, nodes)]
        plan = solve_arrays(
            duration,
            np.concatenate((state.time_windows, tw)),
            np.concatenate((state.service_times, srv)),
            np.concatenate((state.demands, dem)),
            state.capacity,
            time_limit=limit,
            seed=self.seed + 1 + s,
            release=np.concatenate((np.zeros(n, np.int64), rel)),
            iterations=self.iterations,
            initial=warm,
        )
        vote = np.zeros(n)
        now_routes = [r for r in plan.routes if max(r) < n]
        for r in now_routes:
            vote[r] = 1.0
        cost = _later_costs(
            plan,
            duration,
            np.concatenate((state.time_windows, tw)),
            np.concatenate((state.service_times, srv)),
            np.concatenate((state.demands, dem)),
            state.capacity,
            n,
        )
        return vote, cost, now_routes

    # ---------------------------------------------------------------- final solve

    def _prize_solve(
        self,
        state: EpochState,
        must: NDArray[np.bool_],
        share: NDArray[np.float64],
        later: NDArray[np.float64],
        today: list[list[int]],
        started: float,
    ) -> list[list[int]]:
        candidate = ~must & (share >= self.consensus)
        candidate[0] = False
        nodes = np.flatnonzero(must | candidate)
        if len(nodes) == 0:
            self._held = []
            return []
        nodes = np.concatenate(([0], nodes))
        prizes = np.where(must[nodes], -1, np.rint(self.prize_scale * later[nodes])).astype(
            np.int64
        )
        where = {int(k): j for j, k in enumerate(nodes)}
        warm = [[where[k] for k in r if k in where] for r in today]
        warm += self._initial(state, nodes)
        plan = solve_arrays(
            state.duration[np.ix_(nodes, nodes)],
            state.time_windows[nodes],
            state.service_times[nodes],
            state.demands[nodes],
            state.capacity,
            time_limit=self._left(started, len(nodes)),
            seed=self.seed,
            prizes=prizes,
            iterations=self.iterations,
            initial=_disjoint(warm),
        )
        required = must[nodes]
        routes: list[list[int]] = []
        held: list[list[int]] = []
        served: set[int] = set()
        for r, ok in zip(plan.routes, plan.feasible, strict=True):
            ids = [int(state.request_idx[nodes[k]]) for k in r]
            has_must = bool(required[r].any())
            if not ok:  # late (the search stopped early): single trips for the must ones
                routes.extend([int(state.request_idx[nodes[k]])] for k in r if required[k])
            elif has_must or self.optional_routes:
                routes.append(ids)
            else:
                held.append(ids)
                continue
            served.update(int(state.request_idx[nodes[k]]) for k in r)
        left_out = [int(state.request_idx[k]) for k in np.flatnonzero(must)]
        routes.extend([r] for r in left_out if r not in served)
        self._held = held
        return routes


def _disjoint(routes: list[list[int]]) -> list[list[int]]:
    """Drop repeated nodes (a warm start must visit each client at most once)."""
    seen: set[int] = set()
    out: list[list[int]] = []
    for r in routes:
        kept = [k for k in r if k not in seen and k > 0]
        seen.update(kept)
        if kept:
            out.append(kept)
    return out


def _routes_out(
    plan: ArrayPlan, request_idx: IntArray, nodes: IntArray, required: NDArray[np.bool_]
) -> list[list[int]]:
    """Routes of request ids; a late route becomes single trips; a missing request its own."""
    routes: list[list[int]] = []
    served: set[int] = set()
    for r, ok in zip(plan.routes, plan.feasible, strict=True):
        ids = [int(request_idx[nodes[k]]) for k in r]
        served.update(ids)
        routes.extend([ids] if ok else [[i] for i in ids])
    routes.extend(
        [int(request_idx[nodes[k]])]
        for k in range(1, len(nodes))
        if required[k] and int(request_idx[nodes[k]]) not in served
    )
    return routes


def _future(
    state: EpochState, sim: Simulator, rng: np.random.Generator, lookahead: int
) -> tuple[IntArray, IntArray, IntArray, IntArray, IntArray]:
    """Requests of the next ``lookahead`` epochs, sampled as the simulator does; times
    relative to this epoch's planning start."""
    ins = sim.instance
    dur = ins.duration
    n_cust = len(ins.coords) - 1
    parts: list[tuple[IntArray, IntArray, IntArray, IntArray, IntArray]] = []
    for e in range(state.epoch + 1, min(state.epoch + 1 + lookahead, sim.end_epoch + 1)):
        start = e * EPOCH_DURATION + MARGIN_DISPATCH
        cust, tw_i, dem_i, srv_i = (
            rng.integers(n_cust, size=MAX_REQUESTS_PER_EPOCH) + 1 for _ in range(4)
        )
        tw = ins.time_windows[tw_i]
        arrive = np.maximum(start + dur[0, cust], tw[:, 0])
        back = arrive + ins.service_times[srv_i] + dur[cust, 0]
        ok = (arrive <= tw[:, 1]) & (back <= ins.time_windows[0, 1])
        k = int(ok.sum())
        parts.append(
            (
                cust[ok],
                np.clip(tw[ok] - state.planning_start, 0, None),
                ins.service_times[srv_i[ok]],
                ins.demands[dem_i[ok]],
                np.full(k, start - state.planning_start, np.int64),
            )
        )
    if not parts:
        empty = np.zeros(0, np.int64)
        return empty, np.zeros((0, 2), np.int64), empty, empty, empty
    c, t, s, d, r = zip(*parts, strict=True)
    return (
        np.concatenate(c),
        np.concatenate(t),
        np.concatenate(s),
        np.concatenate(d),
        np.concatenate(r),
    )


def _later_costs(
    plan: ArrayPlan,
    dur: IntArray,
    tw: IntArray,
    srv: IntArray,
    dem: IntArray,
    capacity: int,
    n_open: int,
) -> NDArray[np.float64]:
    """Per open request (nodes ``1 .. n_open-1``): what serving it on the scenario's routes
    that hold future requests costs, at most its own round trip.

    A request on such a route costs what it adds there (its removal gain); otherwise its
    cheapest insertion that keeps every window and the capacity (push-forward check).
    """
    open_nodes = np.arange(1, n_open)
    cost = (dur[0, open_nodes] + dur[open_nodes, 0]).astype(np.float64)
    gap_a: list[int] = []
    gap_b: list[int] = []
    gap_dep: list[int] = []
    gap_start: list[int] = []
    gap_slack: list[int] = []
    gap_route: list[int] = []
    gap_load: list[int] = []
    horizon = int(tw[0, 1])
    for ridx, (route, begin) in enumerate(zip(plan.routes, plan.starts, strict=True)):
        if max(route) < n_open:
            continue  # a route of today: serving the request there is serving it now
        path = [0, *route, 0]
        m = len(route)
        arrive = np.zeros(m + 2, np.int64)
        start = np.zeros(m + 2, np.int64)
        start[0] = begin
        for k in range(1, m + 2):
            prev = path[k - 1]
            arrive[k] = start[k - 1] + (srv[prev] if k > 1 else 0) + dur[prev, path[k]]
            start[k] = max(arrive[k], tw[path[k], 0]) if k <= m else arrive[k]
        slack = np.zeros(m + 2, np.int64)
        slack[m + 1] = horizon - start[m + 1]
        for k in range(m, 0, -1):
            wait_next = start[k + 1] - arrive[k + 1]
            slack[k] = min(int(tw[path[k], 1] - start[k]), int(wait_next + slack[k + 1]))
        load = int(dem[route].sum())
        for k in range(m + 1):
            a = path[k]
            gap_a.append(a)
            gap_b.append(path[k + 1])
            gap_dep.append(int(start[k] + (srv[a] if k > 0 else 0)))
            gap_start.append(int(start[k + 1]))
            gap_slack.append(int(slack[k + 1]))
            gap_route.append(ridx)
            gap_load.append(load)
        for k in range(1, m + 1):
            node = path[k]
            if node < n_open:
                gain = (
                    dur[path[k - 1], node] + dur[node, path[k + 1]] - dur[path[k - 1], path[k + 1]]
                )
                cost[node - 1] = min(cost[node - 1], float(gain))
    if not gap_a:
        return np.concatenate(([0.0], cost))
    ga = np.asarray(gap_a)
    gb = np.asarray(gap_b)
    d_ai = dur[np.ix_(ga, open_nodes)]
    d_ib = dur[np.ix_(open_nodes, gb)].T
    arrive_i = np.maximum(np.asarray(gap_dep)[:, None] + d_ai, tw[open_nodes, 0][None, :])
    push = arrive_i + srv[open_nodes][None, :] + d_ib - np.asarray(gap_start)[:, None]
    ok = (arrive_i <= tw[open_nodes, 1][None, :]) & (push <= np.asarray(gap_slack)[:, None])
    ok &= (np.asarray(gap_load)[:, None] + dem[open_nodes][None, :]) <= capacity
    on_route = np.full(n_open, -1)
    for ridx, route in enumerate(plan.routes):
        for node in route:
            if node < n_open:
                on_route[node] = ridx
    ok &= np.asarray(gap_route)[:, None] != on_route[open_nodes][None, :]
    detour = (d_ai + d_ib - dur[ga, gb][:, None]).astype(np.float64)
    best = np.where(ok, detour, np.inf).min(axis=0)
    return np.concatenate(([0.0], np.minimum(cost, best)))
