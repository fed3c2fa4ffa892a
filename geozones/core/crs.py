"""Coordinate reference systems: store in EPSG:4326, measure in local UTM.

Distances are only ever computed in a metric CRS chosen from where the data is
(``metric_crs_for``). One national metric CRS would be wrong: Indonesia spans UTM
zones 46-54 and a 111 m distance measured in zone 48 reads 137 m in Papua.
"""

from __future__ import annotations

import warnings

import numpy as np
import pyproj
from pyproj import CRS, Transformer

from geozones.core.errors import DataWarning

#: CRS in which every layer and every output is stored and exchanged.
STORAGE_CRS = CRS.from_epsg(4326)

# Rough lon/lat envelope of Indonesia, used to spot swapped or foreign coordinates.
INDONESIA_LON = (94.0, 142.0)
INDONESIA_LAT = (-11.5, 6.5)


def utm_epsg(lon: float, lat: float) -> int:
    """Return the EPSG code of the WGS 84 UTM zone holding a lon/lat point.

    Parameters
    ----------
    lon, lat : float
        Coordinates in degrees.

    Returns
    -------
    int
        ``326zz`` north of the equator, ``327zz`` south of it.

    Examples
    --------
    >>> utm_epsg(106.8271, -6.1754)  # Monas
    32748
    """
    if not (-180.0 <= lon <= 180.0 and -90.0 <= lat <= 90.0):
        raise ValueError(f"not a lon/lat position: {lon}, {lat}")
    zone = int((lon + 180.0) // 6.0) % 60 + 1
    return (32600 if lat >= 0 else 32700) + zone


def metric_crs_for(bounds: tuple[float, float, float, float]) -> CRS:
    """Choose the UTM CRS for data within ``bounds`` (lon/lat degrees).

    The zone of the centre of the bounds is used. Data spanning more than one
    zone width (6 degrees) is refused: its distances would be distorted and it
    should be split per kota or per province first.

    Parameters
    ----------
    bounds : tuple of float
        ``(minx, miny, maxx, maxy)`` in EPSG:4326.

    Returns
    -------
    pyproj.CRS
        A projected CRS in metres (EPSG:32748 for Jakarta).
    """
    minx, miny, maxx, maxy = bounds
    if not np.all(np.isfinite(bounds)):
        raise ValueError("cannot choose a metric CRS for empty or non-finite bounds")
    if maxx - minx > 6.0:
        raise ValueError(
            f"data spans {maxx - minx:.1f} degrees of longitude; split it per area "
            "so that each part is measured in its own UTM zone")
    return CRS.from_epsg(utm_epsg((minx + maxx) / 2.0, (miny + maxy) / 2.0))


def assert_metric(crs: CRS | str | int | None, what: str = "data") -> CRS:
    """Refuse distance math in anything but a projected CRS in metres.

    Parameters
    ----------
    crs : CRS-like
        The CRS the distances would be measured in.
    what : str
        Name used in the error message.

    Returns
    -------
    pyproj.CRS
        The validated CRS.

    Raises
    ------
    ValueError
        If ``crs`` is missing, geographic, or not in metres.
    """
    if crs is None:
        raise ValueError(f"{what} has no CRS; distances cannot be measured")
    crs = CRS.from_user_input(crs)
    if crs.is_geographic or not crs.is_projected:
        raise ValueError(
            f"{what} is in a geographic CRS ({crs.to_string()}); distances in degrees are "
            "meaningless. Project to the local UTM zone first (EPSG:32748 for Jakarta).")
    units = {ax.unit_name for ax in crs.axis_info}
    if not units <= {"metre", "meter"}:
        raise ValueError(f"{what} CRS {crs.to_string()} is not in metres ({units})")
    return crs


def check_area_of_use(crs: CRS, bounds: tuple[float, float, float, float]) -> None:
    """Warn when lon/lat ``bounds`` lie outside the area of use of ``crs``.

    This catches codes such as EPSG:23838, which is *not* UTM 48S but a TM-3 zone
    for 117-120 degrees East.
    """
    aou = crs.area_of_use
    if aou is None:
        return
    minx, miny, maxx, maxy = bounds
    if minx < aou.west - 0.5 or maxx > aou.east + 0.5 or miny < aou.south - 0.5 or maxy > aou.north + 0.5:
        warnings.warn(
            f"{crs.to_string()} ({crs.name}) is meant for {aou.west:.1f}..{aou.east:.1f} E, "
            f"{aou.south:.1f}..{aou.north:.1f} N; the data lies at {minx:.2f}..{maxx:.2f} E",
            DataWarning, stacklevel=2)


_TRANSFORMERS: dict[tuple[str, str], Transformer] = {}


def transformer(src: CRS | str | int, dst: CRS | str | int) -> Transformer:
    """Return a cached always-x/y :class:`pyproj.Transformer` from ``src`` to ``dst``."""
    key = (CRS.from_user_input(src).to_wkt(), CRS.from_user_input(dst).to_wkt())
    tr = _TRANSFORMERS.get(key)
    if tr is None:
        tr = Transformer.from_crs(src, dst, always_xy=True)
        _TRANSFORMERS[key] = tr
    return tr


def project_lonlat(lon: np.ndarray, lat: np.ndarray, crs: CRS) -> tuple[np.ndarray, np.ndarray]:
    """Project lon/lat arrays (EPSG:4326) to ``crs`` (must be metric)."""
    assert_metric(crs, "target")
    return transformer(STORAGE_CRS, crs).transform(np.asarray(lon, float), np.asarray(lat, float))


def geodesic_distance(lon1, lat1, lon2, lat2) -> np.ndarray:
    """Ellipsoidal (WGS 84) distance in metres, the reference for CRS tests."""
    geod = pyproj.Geod(ellps="WGS84")
    _, _, dist = geod.inv(lon1, lat1, lon2, lat2)
    return np.asarray(dist)
