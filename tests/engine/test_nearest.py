"""The nearest-feature index on geometry collections, nested or not."""

from __future__ import annotations

import numpy as np
import pytest
from shapely.geometry import GeometryCollection, LineString, Point, box

from geozones.engine.nearest import SegmentIndex


def test_nearest_sees_geometry_collections():
    gc = GeometryCollection([box(0, 0, 10, 10), LineString([(100, 0), (100, 50)])])
    idx = SegmentIndex(np.array([gc, Point(500, 500)], dtype=object), bound=1000)
    for small in (0, 10**6):
        f, d = idx.query(np.array([15.0, 95.0]), np.array([5.0, 20.0]), small=small)
        assert list(f) == [0, 0]
        np.testing.assert_allclose(d, [5.0, 5.0])


def test_nested_collections_in_nearest():
    inner = GeometryCollection([box(0, 0, 10, 10)])
    idx = SegmentIndex(np.array([GeometryCollection([inner]), Point(500, 500)], dtype=object), bound=1000)
    for small in (0, 10**6):
        f, d = idx.query(np.array([15.0]), np.array([5.0]), small=small)
        assert f[0] == 0 and d[0] == pytest.approx(5.0)
