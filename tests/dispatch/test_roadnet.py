"""The Monaco road network: one-way streets, snapping, matrices and geometry."""

from __future__ import annotations

import numpy as np
import pytest

from lingxi.dispatch import load_network, route_svg
from lingxi.dispatch.roadnet import RoadNetwork

pytestmark = pytest.mark.slow

POINTS = [(43.72905, 7.41520), (43.7335, 7.4203), (43.7483, 7.4310), (43.7396, 7.4276)]


@pytest.fixture(scope="module")
def net() -> RoadNetwork:
    """The shipped extract."""
    return load_network()


def test_one_way_and_strongly_connected(net: RoadNetwork) -> None:
    """Some arcs exist in one direction only; every snapped pair is reachable."""
    pairs = set(zip(net.tail.tolist(), net.head.tolist(), strict=True))
    one_way = sum(1 for u, v in pairs if (v, u) not in pairs)
    assert one_way > 100
    nodes, dist = net.snap(POINTS)
    assert (dist < 200).all()
    mats = net.matrices(nodes)
    assert np.isfinite(mats.time_s).all() and (np.diag(mats.time_s) == 0).all()
    off = ~np.eye(len(POINTS), dtype=bool)
    assert (mats.distance_m[off] > 0).all()
    # Car speeds in town: between 10 and 90 km/h on average over each trip.
    speed = mats.distance_m[off] / mats.time_s[off] * 3.6
    assert ((speed > 10) & (speed < 90)).all()


def test_geometry_follows_path_and_zone_share(net: RoadNetwork) -> None:
    """The route line starts and ends at the snapped nodes; a zone covers part of a path."""
    nodes, _ = net.snap(POINTS)
    mats = net.matrices(nodes)
    line = net.geometry(mats, [0, 1, 0])
    assert line[0] == [round(float(net.lat[nodes[0]]), 6), round(float(net.lon[nodes[0]]), 6)]
    assert len(line) > 10
    share = net.share_inside(mats, net.edges_in_zone(43.7335, 7.4203, 300))
    assert 0 < share[0, 1] <= 1 and share[0, 0] == 0
    svg = route_svg(line, (43.7335, 7.4203))
    assert svg.startswith("<svg") and "OpenStreetMap" in svg
