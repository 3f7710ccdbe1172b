"""Cities an operator brings: OSM extracts imported once into cached road networks.

``lingxi city import FILE --name NAME`` reads the extract's drivable roads
(:meth:`RoadNetwork.from_pbf`) and saves the graph under ``<data_dir>/cities/NAME.npz``, built
in a temporary file and renamed into place, so a truncated extract or a crash leaves no
half-built city. The deployment plans and draws one *active* city: ``LINGXI_DISPATCH__CITY``
when set, else the one chosen by ``lingxi city use NAME`` (kept in ``<data_dir>/cities/active``),
else the shipped demo city, Monaco.
"""

from __future__ import annotations

import os
import re
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

from lingxi.config import Settings
from lingxi.dispatch.roadnet import DEMO_CITY, Progress, RoadNetwork
from lingxi.errors import InvalidInputError, NotFoundError

__all__ = [
    "DEMO_CITY",
    "CityInfo",
    "active_city",
    "city_network_path",
    "find_city",
    "import_city",
    "list_cities",
    "use_city",
]

_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")
_SUFFIXES = (".osm.pbf", ".pbf", ".osm.bz2", ".osm")


@dataclass(frozen=True, slots=True)
class CityInfo:
    """A city the deployment can plan on."""

    name: str
    source: str
    """The OSM extract it was built from."""
    nodes: int | None
    """Road network nodes (``None``: the demo city, not read by ``list_cities``)."""
    edges: int | None
    bbox: tuple[float, float, float, float] | None
    """``(min_lat, min_lon, max_lat, max_lon)`` of its road network."""
    active: bool
    builtin: bool
    """True for the shipped demo city that needs no import."""
    imported_at: str | None = None
    import_s: float | None = None
    """Seconds the import took."""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready view."""
        return {
            "name": self.name,
            "source": self.source,
            "nodes": self.nodes,
            "edges": self.edges,
            "bbox": list(self.bbox) if self.bbox else None,
            "active": self.active,
            "builtin": self.builtin,
            "imported_at": self.imported_at,
            "import_s": self.import_s,
        }

    def contains(self, lat: float, lon: float, margin_deg: float = 0.002) -> bool:
        """True when ``(lat, lon)`` lies inside the road network's box (plus ~200 m)."""
        if self.bbox is None:
            return True
        lo_lat, lo_lon, hi_lat, hi_lon = self.bbox
        return (
            lo_lat - margin_deg <= lat <= hi_lat + margin_deg
            and lo_lon - margin_deg <= lon <= hi_lon + margin_deg
        )


def _dir(settings: Settings) -> Path:
    return Path(settings.data_dir) / "cities"


def _check_name(name: str) -> str:
    clean = name.strip().lower()
    if not _NAME.match(clean):
        raise InvalidInputError.for_field(
            "name", "1-63 lowercase letters, digits, '-' or '_' (e.g. west-oakland)", name
        )
    return clean


def _demo_path(settings: Settings) -> Path:
    if settings.dispatch.osm_path is not None:
        return Path(settings.dispatch.osm_path)
    return Path(str(resources.files("lingxi.data") / "demo" / "monaco.osm.pbf"))


def active_city(settings: Settings) -> str:
    """The city the deployment plans and draws (see the module docstring for the order)."""
    if settings.dispatch.city:
        return _check_name(settings.dispatch.city)
    marker = _dir(settings) / "active"
    if marker.is_file():
        name = marker.read_text(encoding="utf-8").strip()
        if name:
            return name
    return DEMO_CITY


def city_network_path(settings: Settings, name: str | None = None) -> Path | None:
    """The file ``load_network`` reads for a city (default: the active one).

    ``None`` means the shipped demo network (Monaco), as before cities could be imported.

    Raises
    ------
    NotFoundError
        The city has not been imported.
    """
    name = _check_name(name) if name is not None else active_city(settings)
    cached = _dir(settings) / f"{name}.npz"
    if cached.is_file():
        return cached
    if name == DEMO_CITY:
        return settings.dispatch.osm_path
    raise NotFoundError(
        f"The city {name!r} has not been imported: run `lingxi city import FILE --name {name}` "
        "(`lingxi city list` shows what is there).",
        field="city",
        value=name,
    )


def import_city(
    file: Path,
    *,
    name: str,
    settings: Settings,
    progress: Progress | None = None,
    now: datetime | None = None,
) -> CityInfo:
    """Build the road network of an OSM extract and cache it as city ``name``.

    Raises
    ------
    InvalidInputError
        A bad name, a file that is not an OSM extract, a truncated file (field ``file``) or
        one without drivable roads. Nothing is written then.
    UnavailableError
        The file does not exist.
    """
    name = _check_name(name)
    file = Path(file)
    if not file.name.lower().endswith(_SUFFIXES):
        raise InvalidInputError.for_field(
            "file", "an OpenStreetMap extract (.osm.pbf, .osm.bz2 or .osm)", str(file)
        )
    started = time.perf_counter()
    network = RoadNetwork.from_pbf(file, city=name, progress=progress)
    elapsed = round(time.perf_counter() - started, 3)
    if progress is not None:
        progress("save", 0)
    stamp = (now or datetime.now(UTC)).isoformat()
    meta = {
        "source": str(file.resolve()),
        "nodes": network.num_nodes,
        "edges": len(network.tail),
        "bbox": list(network.bbox),
        "imported_at": stamp,
        "import_s": elapsed,
    }
    network.save(_dir(settings) / f"{name}.npz", meta)
    return find_city(settings, name)


def _info(name: str, meta: dict[str, Any], *, active: bool, builtin: bool) -> CityInfo:
    lo_lat, lo_lon, hi_lat, hi_lon = (float(x) for x in meta["bbox"])
    return CityInfo(
        name=name,
        source=str(meta["source"]),
        nodes=int(meta["nodes"]),
        edges=int(meta["edges"]),
        bbox=(lo_lat, lo_lon, hi_lat, hi_lon),
        active=active,
        builtin=builtin,
        imported_at=meta.get("imported_at"),
        import_s=meta.get("import_s"),
    )


def find_city(settings: Settings, name: str | None = None) -> CityInfo:
    """One city (default: the active one), with its size and box.

    Raises
    ------
    NotFoundError
        The city has not been imported.
    """
    current = active_city(settings)
    name = _check_name(name) if name is not None else current
    path = city_network_path(settings, name)
    if path is not None and path.suffix == ".npz":
        return _info(name, RoadNetwork.read_meta(path), active=name == current, builtin=False)
    from lingxi.dispatch.city import load_network

    net = load_network(path)
    meta = {
        "source": str(path or _demo_path(settings)),
        "nodes": net.num_nodes,
        "edges": len(net.tail),
        "bbox": list(net.bbox),
    }
    return _info(name, meta, active=name == current, builtin=True)


def list_cities(settings: Settings) -> list[CityInfo]:
    """The demo city and every imported one, by name."""
    current = active_city(settings)
    out: dict[str, CityInfo] = {}
    folder = _dir(settings)
    if folder.is_dir():
        for path in sorted(folder.glob("*.npz")):
            try:
                meta = RoadNetwork.read_meta(path)
            except (OSError, ValueError, KeyError):
                continue  # not ours (or unreadable): `city import` rewrites it
            out[path.stem] = _info(path.stem, meta, active=path.stem == current, builtin=False)
    if DEMO_CITY not in out:
        out[DEMO_CITY] = CityInfo(
            name=DEMO_CITY,
            source=str(_demo_path(settings)),
            nodes=None,
            edges=None,
            bbox=None,
            active=current == DEMO_CITY,
            builtin=True,
        )
    return [out[k] for k in sorted(out)]


def use_city(settings: Settings, name: str) -> CityInfo:
    """Make ``name`` the deployment's active city (kept in ``<data_dir>/cities/active``).

    Raises
    ------
    NotFoundError
        The city has not been imported.
    InvalidInputError
        ``LINGXI_DISPATCH__CITY`` is set to another city (it wins over this choice).
    """
    name = _check_name(name)
    city_network_path(settings, name)  # refuses a city that is not there
    if settings.dispatch.city and _check_name(settings.dispatch.city) != name:
        raise InvalidInputError(
            f"LINGXI_DISPATCH__CITY={settings.dispatch.city!r} selects the active city and wins "
            f"over `lingxi city use {name}`; unset it or set it to {name!r}.",
            field="city",
            value=name,
        )
    folder = _dir(settings)
    folder.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".active.", dir=folder)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(name + "\n")
    os.replace(tmp, folder / "active")
    return find_city(settings, name)
