"""The EURO Meets NeurIPS 2022 dynamic VRPTW as a simulator, and dispatch policies for it.

The rules follow the competition's public ``environment.py``: the day is split into hourly
epochs; each epoch 100 candidate requests are sampled (customer, time window, demand and
service time drawn independently and uniformly from the static instance's customers, with
``numpy.random.default_rng(seed)``), the ones that can no longer be served are dropped,
vehicles leave one hour after the epoch starts, a request is ``must_dispatch`` when waiting one
more epoch would make it infeasible, dispatched requests are final, and the cost is the total
driving time. :class:`GreedyPolicy` dispatches everything each epoch; :class:`PostponePolicy`
decides what to hold back by solving sampled futures (scenario-based postponement).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

from lingxi.dispatch.params import DispatchParams
from lingxi.dispatch.plan import DispatchPlan
from lingxi.dispatch.problem import (
    DispatchProblem,
    DispatchStop,
    DispatchVehicle,
    Location,
    TimeWindow,
)
from lingxi.dispatch.solver import solve
from lingxi.errors import InvalidInputError

__all__ = [
    "EpisodeResult",
    "EpochState",
    "GreedyPolicy",
    "OrtecInstance",
    "Policy",
    "PostponePolicy",
    "Simulator",
    "run_episode",
]

logger = logging.getLogger(__name__)

MAX_REQUESTS_PER_EPOCH = 100
MARGIN_DISPATCH = 3600
EPOCH_DURATION = 3600

IntArray = NDArray[np.int64]


@dataclass(frozen=True)
class OrtecInstance:
    """A static instance in the competition's integer representation."""

    name: str
    coords: IntArray
    demands: IntArray
    capacity: int
    time_windows: IntArray
    service_times: IntArray
    duration: IntArray

    @classmethod
    def read(cls, path: str | Path) -> OrtecInstance:
        """Read a VRPLIB file of the competition (explicit integer duration matrix)."""
        import vrplib

        path = Path(path)
        if not path.is_file():
            raise InvalidInputError.for_field("instance", "an existing VRPLIB file", str(path))
        try:
            raw = vrplib.read_instance(str(path))
        except Exception as err:  # noqa: BLE001 (vrplib raises many kinds on malformed text)
            raise InvalidInputError.for_field(
                "instance",
                f"a readable VRPLIB instance ({type(err).__name__}: {err})",
                str(path),
            ) from None
        sections = ("node_coord", "demand", "capacity", "time_window", "service_time")
        missing = [k for k in (*sections, "edge_weight") if k not in raw]
        if missing:
            raise InvalidInputError.for_field(
                "instance",
                "an ORTEC-format VRPLIB instance with "
                + ", ".join(k.upper() for k in missing)
                + " sections",
                str(path),
            )
        try:
            return cls(
                name=str(raw.get("name", path.stem)),
                coords=np.asarray(raw["node_coord"], np.int64),
                demands=np.asarray(raw["demand"], np.int64),
                capacity=int(raw["capacity"]),
                time_windows=np.asarray(raw["time_window"], np.int64),
                service_times=np.asarray(raw["service_time"], np.int64),
                duration=np.asarray(raw["edge_weight"], np.int64),
            )
        except (TypeError, ValueError) as err:
            raise InvalidInputError.for_field(
                "instance", f"integer VRPLIB sections ({err})", str(path)
            ) from None


@dataclass(frozen=True)
class EpochState:
    """What a policy sees at the start of an epoch (times relative to the planning start)."""

    epoch: int
    current_time: int
    planning_start: int
    is_last: bool
    request_idx: IntArray
    """Request ids, depot first (0)."""
    customer_idx: IntArray
    time_windows: IntArray
    service_times: IntArray
    demands: IntArray
    must_dispatch: NDArray[np.bool_]
    duration: IntArray
    capacity: int


class Simulator:
    """One episode of the dynamic problem (see the module docstring for the rules)."""

    def __init__(self, instance: OrtecInstance, seed: int) -> None:
        self.instance = instance
        self.rng = np.random.default_rng(seed)
        tw = instance.time_windows
        self.start_epoch = int(max((tw[1:, 0].min() - MARGIN_DISPATCH) // EPOCH_DURATION, 0))
        self.end_epoch = int(max((tw[1:, 0].max() - MARGIN_DISPATCH) // EPOCH_DURATION, 0))
        self.epoch = self.start_epoch
        self.req_customer = np.array([0])
        self.req_tw = tw[0:1].copy()
        self.req_service = instance.service_times[0:1].copy()
        self.req_demand = instance.demands[0:1].copy()
        self.req_epoch = np.array([0])
        self.dispatched = np.array([False])
        self.must = np.array([False])
        self.costs: dict[int, int] = {}
        self.routes: dict[int, list[list[int]]] = {}
        self.done = False

    @property
    def num_epochs(self) -> int:
        """Epochs in the episode."""
        return self.end_epoch - self.start_epoch + 1

    def observe(self) -> EpochState:
        """Sample this epoch's new requests and return the undispatched ones."""
        ins = self.instance
        dur = ins.duration
        current = EPOCH_DURATION * self.epoch
        start = current + MARGIN_DISPATCH
        n = len(ins.coords) - 1

        def sample() -> IntArray:
            return self.rng.integers(n, size=MAX_REQUESTS_PER_EPOCH) + 1

        cust, tw_i, dem_i, srv_i = sample(), sample(), sample(), sample()
        new_tw = ins.time_windows[tw_i]
        arrive = np.maximum(start + dur[0, cust], new_tw[:, 0])
        back = arrive + ins.service_times[srv_i] + dur[cust, 0]
        ok = (arrive <= new_tw[:, 1]) & (back <= ins.time_windows[0, 1])
        if ok.any():
            k = int(ok.sum())
            self.req_customer = np.concatenate((self.req_customer, cust[ok]))
            self.req_tw = np.concatenate((self.req_tw, new_tw[ok]))
            self.req_service = np.concatenate((self.req_service, ins.service_times[srv_i[ok]]))
            self.req_demand = np.concatenate((self.req_demand, ins.demands[dem_i[ok]]))
            self.dispatched = np.pad(self.dispatched, (0, k))
            self.req_epoch = np.concatenate((self.req_epoch, np.full(k, self.epoch)))
        ids = np.arange(len(self.req_customer))
        last = self.epoch >= self.end_epoch
        if not last:
            arrive = np.maximum(
                start + EPOCH_DURATION + dur[0, self.req_customer], self.req_tw[:, 0]
            )
            back = arrive + self.req_service + dur[self.req_customer, 0]
            self.must = (arrive > self.req_tw[:, 1]) | (back > ins.time_windows[0, 1])
        else:
            self.must = ids > 0
        open_ids = ids[~self.dispatched]
        cidx = self.req_customer[open_ids]
        return EpochState(
            epoch=self.epoch,
            current_time=current,
            planning_start=start,
            is_last=last,
            request_idx=open_ids,
            customer_idx=cidx,
            time_windows=np.clip(self.req_tw[open_ids] - start, 0, None),
            service_times=self.req_service[open_ids],
            demands=self.req_demand[open_ids],
            must_dispatch=self.must[open_ids],
            duration=dur[np.ix_(cidx, cidx)],
            capacity=ins.capacity,
        )

    def step(self, state: EpochState, routes: list[list[int]]) -> int:
        """Dispatch routes (lists of request ids); returns the epoch's driving time.

        Raises
        ------
        InvalidInputError
            When a route breaks a window or the capacity, a request is dispatched twice, or a
            ``must_dispatch`` request is left out (the competition's validation rules).
        """
        pos = {int(r): k for k, r in enumerate(state.request_idx)}
        cost = 0
        served: set[int] = set()
        for route in routes:
            if not route:
                continue
            idx = [pos[r] for r in route]
            if any(self.dispatched[r] or r in served for r in route):
                raise InvalidInputError.for_field("routes", "each request at most once", route)
            served.update(route)
            if state.demands[idx].sum() > state.capacity:
                raise InvalidInputError.for_field("routes", "within capacity", route)
            t = int(state.time_windows[0, 0])
            prev = 0
            for k in idx:
                t = max(t + int(state.duration[prev, k]), int(state.time_windows[k, 0]))
                if t > state.time_windows[k, 1]:
                    raise InvalidInputError.for_field("routes", "on time at every stop", route)
                t += int(state.service_times[k])
                prev = k
            t += int(state.duration[prev, 0])
            if t > state.time_windows[0, 1]:
                raise InvalidInputError.for_field("routes", "back at the depot in time", route)
            cost += int(state.duration[0, idx[0]])
            cost += int(state.duration[idx[:-1], idx[1:]].sum()) + int(state.duration[idx[-1], 0])
        missing = [
            int(r)
            for r, m in zip(state.request_idx, state.must_dispatch, strict=True)
            if m and int(r) not in served
        ]
        if missing:
            raise InvalidInputError.for_field(
                "routes", "covering every must-dispatch request", missing[:5]
            )
        for r in served:
            self.dispatched[r] = True
        self.costs[self.epoch] = cost
        self.routes[self.epoch] = routes
        self.epoch += 1
        self.done = self.epoch > self.end_epoch
        return cost


class Policy(Protocol):
    """Chooses which routes to dispatch in an epoch."""

    def act(self, state: EpochState, sim: Simulator) -> list[list[int]]:
        """Routes of request ids to dispatch now."""
        ...


def _epoch_problem(
    state: EpochState,
    keep: NDArray[np.bool_],
    *,
    extra: tuple[IntArray, IntArray, IntArray, IntArray, IntArray, IntArray] | None = None,
    duration: IntArray | None = None,
    prizes: NDArray[np.float64] | None = None,
    release: NDArray[np.float64] | None = None,
) -> tuple[DispatchProblem, list[int]]:
    """A static problem over the kept requests (plus sampled ones with release times).

    With ``prizes``, requests not kept are added as optional stops with that prize. With
    ``release``, the open requests get those release times (a postponed request cannot leave
    before the next epoch).
    """
    sel = [k for k in range(1, len(state.request_idx)) if keep[k] or prizes is not None]
    tw, srv, dem = state.time_windows, state.service_times, state.demands
    stops = [
        DispatchStop(
            str(int(state.request_idx[k])),
            0.0,
            0.0,
            demand=int(dem[k]),
            service_time=float(srv[k]),
            windows=(TimeWindow(float(tw[k, 0]), float(tw[k, 1])),),
            prize=None if keep[k] or prizes is None else float(prizes[k]),
            release_time=0.0 if release is None else float(release[k]),
        )
        for k in sel
    ]
    index = [0] + sel
    if extra is not None:
        e_tw, e_srv, e_dem, e_rel, _cust, _n = extra
        for j in range(len(e_dem)):
            stops.append(
                DispatchStop(
                    f"future-{j}",
                    0.0,
                    0.0,
                    demand=int(e_dem[j]),
                    service_time=float(e_srv[j]),
                    windows=(TimeWindow(float(e_tw[j, 0]), float(e_tw[j, 1])),),
                    release_time=float(e_rel[j]),
                )
            )
    n = len(stops) + 1
    horizon = float(state.time_windows[0, 1])
    depot = Location("depot", 0.0, 0.0, 0.0, horizon)
    fleet = tuple(
        DispatchVehicle(f"v{k}", state.capacity, shift_end=horizon) for k in range(max(n - 1, 1))
    )
    if duration is None:
        idx = np.asarray(index)
        duration = state.duration[np.ix_(idx, idx)]
    mat = duration.astype(float)
    assert mat.shape == (n, n)
    return DispatchProblem((depot,), fleet, tuple(stops), distance=mat, duration=mat), index


def _params(limit: float, seed: int) -> DispatchParams:
    return DispatchParams(time_limit=max(limit, 0.05), seed=seed, objective="duration", precision=1)


def _dispatchable(
    plan: DispatchPlan, index: list[int], state: EpochState, *, required: set[int]
) -> list[list[int]]:
    """Routes of request ids from a plan; never an invalid dispatch.

    A route the search left late (it stops on its wall-clock limit, possibly before it found
    a feasible plan) is split into one route per request: each open request can be served
    alone, as the simulator only offers requests that still can. A required request the plan
    left out gets its own route too.
    """
    routes: list[list[int]] = []
    served: set[int] = set()
    for r in plan.routes:
        if not r.stops:
            continue
        ids = [int(state.request_idx[index[s.stop + 1]]) for s in r.stops]
        served.update(ids)
        if r.feasible:
            routes.append(ids)
        else:
            logger.info("epoch %d: a late route split into %d single trips", state.epoch, len(ids))
            routes.extend([i] for i in ids)
    routes.extend([i] for i in sorted(required - served))
    return routes


def _request_ids(state: EpochState, mask: NDArray[np.bool_]) -> set[int]:
    return {int(state.request_idx[k]) for k in np.flatnonzero(mask) if k > 0}


@dataclass
class GreedyPolicy:
    """Dispatch every open request every epoch (the competition's greedy baseline).

    ``time_limit`` is the wall-clock budget of the whole decision (building the problem and
    reading the plan included).
    """

    time_limit: float = 5.0
    seed: int = 0

    def act(self, state: EpochState, sim: Simulator) -> list[list[int]]:
        """Solve all open requests and dispatch every route."""
        started = time.perf_counter()
        if len(state.request_idx) <= 1:
            return []
        keep = np.ones(len(state.request_idx), bool)
        problem, index = _epoch_problem(state, keep)
        limit = _remaining(started, self.time_limit, len(index))
        plan = solve(problem, _params(limit, self.seed), relax=False)
        return _dispatchable(plan, index, state, required=_request_ids(state, keep))


def _remaining(started: float, budget: float, size: int) -> float:
    """Search time left in ``budget`` after what is spent, keeping time to read the plan."""
    # Mapping the plan back takes ~0.1 s at 200 stops; keep 6 % for a busy machine's jitter
    # (at 0.05 + 0.0006 s per stop + 5 % one epoch took 10.4 s of 10 at load 8).
    reserve = 0.1 + 0.001 * size + 0.06 * budget
    return budget - (time.perf_counter() - started) - reserve


@dataclass
class PostponePolicy:
    """Scenario-based postponement (the OptiML team's rollout, with iterated consensus).

    Until ``1 - final_share`` of ``time_limit`` is spent, futures are sampled with the
    competition's sampling rule (requests of the next ``lookahead`` epochs, each released
    when its vehicles could leave) and the current requests solved together with them, each
    for ``scenario_time`` seconds. A request counts as *dispatched* in a scenario when its
    route there holds no future request (so it could leave now). Over ``rounds`` rounds,
    requests dispatched in at least ``1 - fix_threshold`` of a round's scenarios are fixed to
    go now, and those dispatched in at most ``fix_threshold`` are fixed to wait (they get the
    next epoch as release time in later rounds). After the last round a request goes now when
    it is ``must_dispatch``, fixed to go, or dispatched in at least ``dispatch_threshold`` of
    the scenarios. The requests that go are solved in the time left, together with the
    postponed ones that at least ``ride_threshold`` of the scenarios sent now, as optional
    stops (prize ``prize_share`` x their depot round trip); the routes with a request that goes
    are dispatched, so postponed requests only ride along on routes that leave anyway. On the
    last epoch everything is dispatched. ``time_limit`` bounds the whole decision by wall clock.

    Defaults (one round, 1 s scenarios, 3 epochs ahead, dispatch at 30 %, ride along at 10 %)
    were chosen on development runs at 10 s per epoch on a busy 2-core machine (about 7
    scenarios per epoch); with more time, more rounds and shorter scenarios are worth trying.
    """

    time_limit: float = 10.0
    scenarios: int | None = None
    """At most this many scenarios per round (``None``: as many as the time allows)."""
    lookahead: int = 3
    dispatch_threshold: float = 0.3
    rounds: int = 1
    fix_threshold: float = 0.1
    scenario_time: float = 1.0
    """Search seconds per scenario (capped by the time left)."""
    final_share: float = 0.35
    """Share of the time limit kept for the final solve of the requests that go."""
    prize_share: float | None = 5.0
    """If set, postponed requests still join the final solve as optional stops worth this
    share of their depot round trip, and ride along on the routes that go anyway when their
    detour is below that (routes of postponed requests only are not dispatched)."""
    ride_threshold: float = 0.1
    """With ``prize_share``: only postponed requests dispatched in at least this share of the
    scenarios may ride along (the others get no prize)."""
    route_filter: bool = False
    """Before the last epoch, dispatch only the routes that carry a must-dispatch request;
    the others are planned again next epoch with more requests to combine with."""
    seed: int = 0
    _rng: np.random.Generator = field(default_factory=lambda: np.random.default_rng(12345))

    def __post_init__(self) -> None:
        if not self.time_limit > 0:
            raise InvalidInputError.for_field("time_limit", "a number > 0", self.time_limit)
        if not 0 <= self.fix_threshold < 0.5:
            raise InvalidInputError.for_field("fix_threshold", "in [0, 0.5)", self.fix_threshold)
        if not 0 < self.dispatch_threshold <= 1:
            raise InvalidInputError.for_field(
                "dispatch_threshold", "in (0, 1]", self.dispatch_threshold
            )
        if not 0 <= self.ride_threshold <= 1:
            raise InvalidInputError.for_field("ride_threshold", "in [0, 1]", self.ride_threshold)
        if not 0 < self.final_share < 1:
            raise InvalidInputError.for_field("final_share", "in (0, 1)", self.final_share)

    def act(self, state: EpochState, sim: Simulator) -> list[list[int]]:
        """Postpone what the sampled futures say is better served later; dispatch the rest."""
        started = time.perf_counter()
        n = len(state.request_idx)
        if n <= 1:
            return []
        keep = np.ones(n, bool)
        share = np.ones(n)
        if not state.is_last:
            keep, share = self._decide(state, sim, started)
        if keep[1:].sum() == 0:
            return []
        if self.prize_share is not None and not state.is_last and not keep.all():
            trip = state.duration[0, :] + state.duration[:, 0]
            prizes = self.prize_share * trip.astype(float)
            # Only requests that some sampled futures would send now may ride along.
            prizes[share < self.ride_threshold] = 0.0
            problem, index = _epoch_problem(state, keep, prizes=prizes)
        else:
            problem, index = _epoch_problem(state, keep)
        limit = _remaining(started, self.time_limit, len(index))
        plan = solve(problem, _params(limit, self.seed), relax=False)
        going = _request_ids(state, keep)
        routes = _dispatchable(plan, index, state, required=going)
        if self.prize_share is not None and not state.is_last:
            # Postponed requests only ride along on routes that go anyway.
            routes = [r for r in routes if going.intersection(r)]
        if self.route_filter and not state.is_last:
            must = _request_ids(state, state.must_dispatch)
            routes = [r for r in routes if must.intersection(r)]
        return routes

    def _decide(
        self, state: EpochState, sim: Simulator, started: float
    ) -> tuple[NDArray[np.bool_], NDArray[np.float64]]:
        """Which open requests go now (index 0, the depot, is always True), and the share of
        the last round's scenarios that dispatched each."""
        n = len(state.request_idx)
        must = state.must_dispatch.copy()
        must[0] = True
        go = np.zeros(n, bool)
        wait = np.zeros(n, bool)
        scenarios_end = started + self.time_limit * (1 - self.final_share)
        share = np.zeros(n)
        for r in range(self.rounds):
            round_end = started + (scenarios_end - started) * (r + 1) / self.rounds
            counts = np.zeros(n)
            done = 0
            spent = 0.0
            while self.scenarios is None or done < self.scenarios:
                now = time.perf_counter()
                average = spent / done if done else self.scenario_time * 1.3
                if now + average > round_end:
                    break
                limit = min(self.scenario_time, round_end - now - 0.3 * average)
                counts += self._scenario(state, sim, limit, done + 100 * r, wait)
                done += 1
                spent += time.perf_counter() - now
            if not done:
                break
            share = counts / done
            if r < self.rounds - 1:
                undecided = ~(must | go | wait)
                go |= undecided & (share >= 1 - self.fix_threshold)
                wait |= undecided & (share <= self.fix_threshold)
        keep = must | go | (~wait & (share >= self.dispatch_threshold))
        return keep, share

    def _scenario(
        self,
        state: EpochState,
        sim: Simulator,
        limit: float,
        s: int,
        wait: NDArray[np.bool_],
    ) -> NDArray[np.float64]:
        """1 for each open request whose route in a sampled future holds no future request."""
        ins = sim.instance
        dur = ins.duration
        n_cust = len(ins.coords) - 1
        epochs = range(state.epoch + 1, min(state.epoch + 1 + self.lookahead, sim.end_epoch + 1))
        f_cust, f_tw, f_srv, f_dem, f_rel = [], [], [], [], []
        for e in epochs:
            start = e * EPOCH_DURATION + MARGIN_DISPATCH
            draw = [self._rng.integers(n_cust, size=MAX_REQUESTS_PER_EPOCH) + 1 for _ in range(4)]
            cust, tw_i, dem_i, srv_i = draw
            tw = ins.time_windows[tw_i]
            arrive = np.maximum(start + dur[0, cust], tw[:, 0])
            back = arrive + ins.service_times[srv_i] + dur[cust, 0]
            ok = (arrive <= tw[:, 1]) & (back <= ins.time_windows[0, 1])
            f_cust.append(cust[ok])
            f_tw.append(tw[ok])
            f_srv.append(ins.service_times[srv_i[ok]])
            f_dem.append(ins.demands[dem_i[ok]])
            f_rel.append(np.full(int(ok.sum()), start))
        n_open = len(state.request_idx)
        if not f_cust or sum(len(c) for c in f_cust) == 0:
            return np.ones(n_open)
        cust = np.concatenate(f_cust)
        tw = np.clip(np.concatenate(f_tw) - state.planning_start, 0, None)
        rel = np.concatenate(f_rel) - state.planning_start
        all_cust = np.concatenate((state.customer_idx, cust))
        duration = dur[np.ix_(all_cust, all_cust)]
        keep = np.ones(n_open, bool)
        extra = (tw, np.concatenate(f_srv), np.concatenate(f_dem), rel, cust, np.array([len(cust)]))
        release = np.where(wait, float(EPOCH_DURATION), 0.0)
        problem, _index = _epoch_problem(
            state, keep, extra=extra, duration=duration, release=release
        )
        plan = solve(problem, _params(limit, self.seed + s), relax=False)
        n_now = n_open - 1
        votes = np.zeros(n_open)
        for r in plan.routes:
            now = [x.stop for x in r.stops if x.stop < n_now and not wait[x.stop + 1]]
            if now and len(now) == len(r.stops):  # only requests open now: it could leave now
                votes[np.asarray(now) + 1] = 1.0
        return votes


@dataclass
class EpisodeResult:
    """The outcome of one simulated day."""

    instance: str
    seed: int
    policy: str
    total_cost: int
    epoch_costs: dict[int, int]
    epoch_seconds: list[float]
    requests: int
    routes: int

    @property
    def max_epoch_seconds(self) -> float:
        """Slowest epoch decision."""
        return max(self.epoch_seconds, default=0.0)


def run_episode(
    instance: OrtecInstance,
    seed: int,
    policy: Policy,
    *,
    on_epoch: Callable[[int, int, int], None] | None = None,
) -> EpisodeResult:
    """Simulate one day with ``policy``; ``on_epoch(epoch, num_epochs, cost)`` after each."""
    sim = Simulator(instance, seed)
    seconds: list[float] = []
    routes = 0
    while not sim.done:
        state = sim.observe()
        t = time.perf_counter()
        chosen = policy.act(state, sim)
        seconds.append(time.perf_counter() - t)
        cost = sim.step(state, chosen)
        routes += len(chosen)
        if on_epoch is not None:
            on_epoch(sim.epoch - sim.start_epoch, sim.num_epochs, cost)
    return EpisodeResult(
        instance=instance.name,
        seed=seed,
        policy=type(policy).__name__,
        total_cost=sum(sim.costs.values()),
        epoch_costs=dict(sim.costs),
        epoch_seconds=seconds,
        requests=int(len(sim.req_customer) - 1),
        routes=routes,
    )
