"""The road network from OpenStreetMap: the only module that imports osmium.

Drivable ways become a directed graph (one-way streets respected) whose arcs carry length and
free-flow travel time from the road class (or a numeric ``maxspeed``). Only the largest
strongly connected component is kept, so every snapped stop can reach every other. Matrices
come from scipy's Dijkstra; the shortest-path trees give route geometry for maps and the
share of each stop-to-stop path inside a reported traffic segment or zone.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import osmium
from numpy.typing import NDArray
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components, dijkstra
from scipy.spatial import cKDTree

from lingxi.errors import InvalidInputError, UnavailableError

__all__ = ["DEMO_CITY", "SPEED_KMH", "Progress", "RoadMatrices", "RoadNetwork"]

DEMO_CITY = "monaco"
"""The name of the city shipped with the package (and of any ``osm_path`` override)."""

Progress = Callable[[str, int], None]
"""Told ``(stage, count)`` while a network is built: ``read`` with OSM ways scanned so far,
then ``connect`` and ``save``."""

_CACHE_FORMAT = 1
_ARRAYS = ("lat", "lon", "tail", "head", "length_m", "time_s", "way")

SPEED_KMH: dict[str, float] = {
    "motorway": 90,
    "trunk": 70,
    "primary": 50,
    "secondary": 45,
    "tertiary": 40,
    "unclassified": 30,
    "residential": 25,
    "living_street": 10,
    "service": 15,
    "motorway_link": 45,
    "trunk_link": 40,
    "primary_link": 35,
    "secondary_link": 30,
    "tertiary_link": 30,
    "road": 25,
}
"""Free-flow speed by OSM ``highway`` class when a way has no numeric ``maxspeed``."""

_EARTH_M = 6_371_000.0


def _haversine(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * _EARTH_M * math.asin(math.sqrt(a))


def _speed(tags: dict[str, str]) -> float:
    raw = tags.get("maxspeed", "")
    try:
        kmh = float(raw.split()[0]) * (1.609 if "mph" in raw else 1.0)
        if 5 <= kmh <= 130:
            return kmh
    except (ValueError, IndexError):
        pass
    return SPEED_KMH.get(tags.get("highway", ""), 20.0)


@dataclass(frozen=True)
class RoadMatrices:
    """Shortest-time paths between snapped points."""

    nodes: NDArray[np.int64]
    """Graph node of each point."""
    time_s: NDArray[np.float64]
    """Free-flow seconds between points."""
    distance_m: NDArray[np.float64]
    """Metres along the fastest path."""
    pred: NDArray[np.int32]
    """Shortest-path trees: ``pred[i, v]`` is v's predecessor on the tree from point i."""


class RoadNetwork:
    """A directed road graph with lengths and free-flow times, and points snapped onto it."""

    def __init__(
        self,
        lat: NDArray[np.float64],
        lon: NDArray[np.float64],
        tail: NDArray[np.int64],
        head: NDArray[np.int64],
        length_m: NDArray[np.float64],
        time_s: NDArray[np.float64],
        way: NDArray[np.int64],
        *,
        city: str = DEMO_CITY,
    ) -> None:
        self.city = city
        """The city's name: which depots and service areas plan on this network."""
        self.lat, self.lon = lat, lon
        self.tail, self.head = tail, head
        self.length_m, self.time_s, self.way = length_m, time_s, way
        n = len(lat)
        self.num_nodes = n
        self._graph = csr_matrix((time_s, (tail, head)), shape=(n, n))
        self._key = np.asarray(tail, np.int64) * n + np.asarray(head, np.int64)
        order = np.argsort(self._key)
        self._key_sorted = self._key[order]
        self._edge_sorted = order
        lat0 = float(np.mean(lat)) if n else 0.0
        self._kx = math.cos(math.radians(lat0)) * _EARTH_M * math.pi / 180
        self._ky = _EARTH_M * math.pi / 180
        self._tree = cKDTree(np.column_stack([lon * self._kx, lat * self._ky]))

    # -- loading ------------------------------------------------------------------------------
    @classmethod
    def from_pbf(
        cls, path: str | Path, *, city: str = DEMO_CITY, progress: Progress | None = None
    ) -> RoadNetwork:
        """Read drivable ways from an OSM extract (``.osm.pbf`` / ``.osm`` / ``.osm.bz2``).

        Raises
        ------
        UnavailableError
            The file does not exist.
        InvalidInputError
            The file is truncated or not OSM data (field ``file``), or has no drivable roads.
        """
        path = Path(path)
        if not path.is_file():
            raise UnavailableError(f"The road network file {str(path)!r} does not exist.")
        try:
            return cls._read(path, city, progress)
        except RuntimeError as err:  # libosmium: "PBF error: unexpected EOF", "bzip2 error"
            raise InvalidInputError(
                f"The 'file' {str(path)!r} is not a complete OpenStreetMap extract ({err}); "
                "download it again.",
                field="file",
                value=str(path),
                rule="a complete .osm.pbf / .osm.bz2 / .osm file",
            ) from None

    @classmethod
    def _read(cls, path: Path, city: str, progress: Progress | None) -> RoadNetwork:
        ids: dict[int, int] = {}
        lat: list[float] = []
        lon: list[float] = []
        tails: list[int] = []
        heads: list[int] = []
        lengths: list[float] = []
        times: list[float] = []
        ways: list[int] = []

        def node(ref: osmium.osm.NodeRef) -> int:
            k = ids.get(ref.ref)
            if k is None:
                k = ids[ref.ref] = len(lat)
                lat.append(ref.location.lat)
                lon.append(ref.location.lon)
            return k

        fp = osmium.FileProcessor(str(path), osmium.osm.NODE | osmium.osm.WAY).with_locations()
        scanned = 0
        for w in fp:
            if not isinstance(w, osmium.osm.Way):
                continue
            scanned += 1
            if progress is not None and scanned % 2000 == 0:
                progress("read", scanned)
            tags = {t.k: t.v for t in w.tags}
            hw = tags.get("highway")
            if hw not in SPEED_KMH or tags.get("access") in ("no", "private"):
                continue
            oneway = tags.get("oneway", "")
            forward = True
            backward = not (
                oneway in ("yes", "1", "true")
                or tags.get("junction") in ("roundabout", "circular")
                or hw == "motorway"
            )
            if oneway == "-1":
                forward, backward = False, True
            mps = _speed(tags) / 3.6
            refs = [r for r in w.nodes if r.location.valid()]
            for a, b in zip(refs, refs[1:], strict=False):
                ia, ib = node(a), node(b)
                d = _haversine(lat[ia], lon[ia], lat[ib], lon[ib])
                for u, v, ok in ((ia, ib, forward), (ib, ia, backward)):
                    if ok and u != v:
                        tails.append(u)
                        heads.append(v)
                        lengths.append(d)
                        times.append(d / mps)
                        ways.append(w.id)
        if progress is not None:
            progress("read", scanned)
        if not tails:
            raise InvalidInputError.for_field(
                "osm_path", "an extract with drivable roads", str(path)
            )
        if progress is not None:
            progress("connect", 0)
        return cls._largest_component(
            np.array(lat),
            np.array(lon),
            np.array(tails),
            np.array(heads),
            np.array(lengths),
            np.array(times),
            np.array(ways),
            city=city,
        )

    @classmethod
    def _largest_component(
        cls,
        lat: NDArray[np.float64],
        lon: NDArray[np.float64],
        tail: NDArray[np.int64],
        head: NDArray[np.int64],
        length: NDArray[np.float64],
        time: NDArray[np.float64],
        way: NDArray[np.int64],
        *,
        city: str = DEMO_CITY,
    ) -> RoadNetwork:
        n = len(lat)
        # Keep the fastest of parallel arcs, then the largest strongly connected component.
        key = tail * n + head
        order = np.lexsort((time, key))
        first = np.ones(len(order), bool)
        first[1:] = key[order][1:] != key[order][:-1]
        keep = order[first]
        tail, head, length, time, way = tail[keep], head[keep], length[keep], time[keep], way[keep]
        graph = csr_matrix((time, (tail, head)), shape=(n, n))
        _count, labels = connected_components(graph, directed=True, connection="strong")
        big = np.argmax(np.bincount(labels))
        inside = labels == big
        new_id = np.cumsum(inside) - 1
        ok = inside[tail] & inside[head]
        return cls(
            lat[inside],
            lon[inside],
            new_id[tail[ok]],
            new_id[head[ok]],
            length[ok],
            time[ok],
            way[ok],
            city=city,
        )

    # -- the cache ----------------------------------------------------------------------------
    def save(self, path: Path, meta: dict[str, Any]) -> None:
        """Write the network and ``meta`` to ``path`` (``.npz``) atomically.

        The arrays go to a temporary file in the same folder, which is then renamed over
        ``path``: a crash or a full disk leaves the old file (or none), never half a city.
        """
        path.parent.mkdir(parents=True, exist_ok=True)
        doc = {**meta, "format": _CACHE_FORMAT, "city": self.city}
        fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as fh:
                np.savez(
                    fh,
                    meta=np.array(json.dumps(doc)),
                    **{name: getattr(self, name) for name in _ARRAYS},
                )
                fh.flush()
                os.fsync(fh.fileno())
            os.chmod(tmp, 0o644)  # mkstemp makes it private; a cache is readable like its folder
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    @staticmethod
    def read_meta(path: Path) -> dict[str, Any]:
        """The metadata saved with a cached network (without loading its arrays)."""
        with np.load(path, allow_pickle=False) as data:
            meta: dict[str, Any] = json.loads(str(data["meta"]))
        return meta

    @classmethod
    def load(cls, path: Path) -> RoadNetwork:
        """A network saved by :meth:`save`.

        Raises
        ------
        InvalidInputError
            The file is not a cached network of this version (field ``file``).
        """
        try:
            with np.load(path, allow_pickle=False) as data:
                meta = json.loads(str(data["meta"]))
                arrays = {name: np.asarray(data[name]) for name in _ARRAYS}
        except (OSError, ValueError, KeyError) as err:
            raise InvalidInputError.for_field(
                "file", "a city cached by `lingxi city import`", str(path), reason=str(err)
            ) from None
        if meta.get("format") != _CACHE_FORMAT:
            raise InvalidInputError.for_field(
                "file", f"a cache of format {_CACHE_FORMAT} (import the city again)", str(path)
            )
        return cls(**arrays, city=str(meta["city"]))

    # -- queries ------------------------------------------------------------------------------
    def snap(
        self, points: list[tuple[float, float]]
    ) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
        """Nearest network node of each ``(lat, lon)`` and the snapping distance in metres."""
        if not points:
            return np.zeros(0, np.int64), np.zeros(0)
        arr = np.asarray(points, float)
        dist, idx = self._tree.query(np.column_stack([arr[:, 1] * self._kx, arr[:, 0] * self._ky]))
        return np.asarray(idx, np.int64), np.asarray(dist, float)

    def _edge_ids(self, u: NDArray[np.int64], v: NDArray[np.int64]) -> NDArray[np.int64]:
        key = u.astype(np.int64) * self.num_nodes + v.astype(np.int64)
        pos = np.searchsorted(self._key_sorted, key)
        pos = np.clip(pos, 0, len(self._key_sorted) - 1)
        found = self._key_sorted[pos] == key
        return np.where(found, self._edge_sorted[pos], -1)

    def _along(self, pred: NDArray[np.int32], value: NDArray[np.float64]) -> NDArray[np.float64]:
        """Sum of ``value`` per edge along each tree path to every node (pointer doubling)."""
        rows, n = pred.shape
        p = pred.astype(np.int64)
        valid = p >= 0
        u = np.where(valid, p, 0)
        v = np.broadcast_to(np.arange(n), (rows, n))
        eid = self._edge_ids(u.ravel(), v.ravel()).reshape(rows, n)
        acc = np.where(valid & (eid >= 0), value[np.maximum(eid, 0)], 0.0)
        jump = np.where(valid, p, -1)
        r = np.arange(rows)[:, None]
        while (jump >= 0).any():
            safe = np.maximum(jump, 0)
            add = np.where(jump >= 0, acc[r, safe], 0.0)
            nxt = np.where(jump >= 0, jump[r, safe], -1)
            acc = acc + add
            jump = nxt
        return acc

    def matrices(self, nodes: NDArray[np.int64]) -> RoadMatrices:
        """Fastest-path times and their lengths between the given nodes."""
        times, pred = dijkstra(self._graph, directed=True, indices=nodes, return_predecessors=True)
        along = self._along(pred, self.length_m)
        return RoadMatrices(
            nodes=np.asarray(nodes, np.int64),
            time_s=np.asarray(times[:, nodes], float),
            distance_m=np.asarray(along[:, nodes], float),
            pred=pred.astype(np.int32),
        )

    def share_inside(self, mats: RoadMatrices, edges: NDArray[np.bool_]) -> NDArray[np.float64]:
        """Per point pair, the share of the fastest path's time spent on the given edges."""
        inside = self._along(mats.pred, np.where(edges, self.time_s, 0.0))[:, mats.nodes]
        with np.errstate(invalid="ignore", divide="ignore"):
            share = np.where(mats.time_s > 0, inside / mats.time_s, 0.0)
        out: NDArray[np.float64] = np.clip(np.nan_to_num(share), 0.0, 1.0)
        return out

    def edges_in_zone(self, lat: float, lon: float, radius_m: float) -> NDArray[np.bool_]:
        """Edges with an end within ``radius_m`` of ``(lat, lon)``."""
        if radius_m <= 0:
            raise InvalidInputError.for_field("radius_m", "a number > 0", radius_m)
        near = np.zeros(self.num_nodes, bool)
        idx = self._tree.query_ball_point([lon * self._kx, lat * self._ky], radius_m)
        near[np.asarray(idx, np.int64)] = True
        return np.asarray(near[self.tail] | near[self.head], bool)

    def edges_of_way(self, way_id: int) -> NDArray[np.bool_]:
        """Edges of one OSM way (a street segment as OSM names it)."""
        mask = self.way == way_id
        if not mask.any():
            raise InvalidInputError.for_field("way_id", "an OSM way on the road network", way_id)
        return np.asarray(mask, bool)

    def path(self, mats: RoadMatrices, i: int, j: int) -> list[int]:
        """Graph nodes of the fastest path from point ``i`` to point ``j``."""
        target = int(mats.nodes[j])
        out = [target]
        pred = mats.pred[i]
        while out[-1] != mats.nodes[i]:
            prev = int(pred[out[-1]])
            if prev < 0:
                return []
            out.append(prev)
        return out[::-1]

    def geometry(self, mats: RoadMatrices, sequence: list[int]) -> list[list[float]]:
        """``[[lat, lon], ...]`` along the roads visiting the points in ``sequence``."""
        coords: list[list[float]] = []
        for a, b in zip(sequence, sequence[1:], strict=False):
            for k in self.path(mats, a, b):
                pt = [round(float(self.lat[k]), 6), round(float(self.lon[k]), 6)]
                if not coords or coords[-1] != pt:
                    coords.append(pt)
        return coords

    @property
    def bbox(self) -> tuple[float, float, float, float]:
        """``(min_lat, min_lon, max_lat, max_lon)``."""
        return (
            float(self.lat.min()),
            float(self.lon.min()),
            float(self.lat.max()),
            float(self.lon.max()),
        )
