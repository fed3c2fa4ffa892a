"""``geozones data fetch-osm``: restricted places from OpenStreetMap via osmnx (Overpass).

Features are classified into the layers and attribute values the rule set
filters on (``government.category_detail`` = government_office / police /
fire_station / prison / military / embassy / public_building_unverified; roads
with ``white_area_satpolpp``, ``protocol_candidate``, ``toll_or_motorway``).
Polygons stay parcels, points stay points. Every feature keeps its OSM type and
id, the fetch date and the ODbL attribution.
"""

from __future__ import annotations

import re
import warnings
from contextlib import contextmanager
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geozones.areas.manifest import MANIFEST_DIR, AreaManifest
from geozones.core.crs import STORAGE_CRS
from geozones.core.errors import InputError
from geozones.io.layers import load_layers
from geozones.sources.areas import find_manifest, manifest_for_data_dir
from geozones.sources.layerfiles import write_layers
from geozones.sources.names import normalise, strip_generic
from geozones.sources.provenance import now_utc, save_records

OSM_LICENCE = "ODbL 1.0"
OSM_ATTRIBUTION = "© OpenStreetMap contributors, ODbL"
OSM_LICENSE_COLUMN = "ODbL-1.0 (c) OpenStreetMap contributors"

MAJOR_HIGHWAYS = ("motorway", "motorway_link", "trunk", "trunk_link", "primary", "primary_link",
                  "secondary", "secondary_link")
MINOR_HIGHWAYS = ("tertiary", "tertiary_link", "unclassified", "residential", "living_street", "service",
                  "pedestrian")
#: Overpass tag query: everything any layer needs, fetched in one request per sub-area.
TAGS: dict[str, bool | list[str]] = {
    "amenity": ["place_of_worship", "school", "university", "college", "kindergarten", "hospital", "clinic",
                "doctors", "townhall", "police", "fire_station", "prison", "courthouse", "embassy",
                "public_building", "bus_station"],
    "healthcare": True,
    "office": ["government", "diplomatic"],
    "military": True,
    "landuse": ["military", "grass", "recreation_ground", "village_green"],
    "leisure": ["park", "garden", "playground", "nature_reserve"],
    "boundary": ["protected_area"],
    "railway": ["station", "halt"],
    "public_transport": ["station", "platform"],
    "highway": [*MAJOR_HIGHWAYS, "bus_stop"],
}
OSM_LAYERS = ("worship", "health", "education", "government", "parks", "public_facilities", "roads", "streets")

# Satpol PP DKI "white area" roads (Perda DKI 8/2007 Ps. 52-53) and the candidate protocol list of
# ../shared/data/SOURCES.md, spelled as the rule set names them. Not official lists: the rule set says so.
WHITE_AREA_ROADS = ("Medan Merdeka Barat", "Medan Merdeka Timur", "Medan Merdeka Selatan", "Sudirman",
                    "MH Thamrin", "Bundaran HI", "Diponegoro", "Gatot Soebroto", "Ir H Juanda", "HOS Cokroaminoto")
PROTOCOL_CANDIDATES = (
    *WHITE_AREA_ROADS, "Medan Merdeka Utara",
    "Majapahit", "Gajah Mada", "Hayam Wuruk", "Veteran", "Pos", "Gunung Sahari",
    "Abdul Muis", "Budi Kemuliaan", "Kebon Sirih", "Prapatan", "Kramat Raya", "Salemba Raya", "Senen Raya",
    "Letjen Suprapto", "Ahmad Yani", "Pramuka", "Imam Bonjol", "Teuku Umar", "KH Wahid Hasyim", "Cut Meutia",
    "Menteng Raya", "Proklamasi", "Ridwan Rais", "Lapangan Banteng Utara", "Lapangan Banteng Selatan",
    "Lapangan Banteng Timur", "Lapangan Banteng Barat", "KH Mas Mansyur")
_ROAD_ALIASES = {"mohammadhusnithamrin": "MH Thamrin", "muhammadhusnithamrin": "MH Thamrin", "thamrin": "MH Thamrin",
                 "gatotsubroto": "Gatot Soebroto", "jenderalsudirman": "Sudirman", "juanda": "Ir H Juanda",
                 "hjuanda": "Ir H Juanda", "kyaihajiwahidhasyim": "KH Wahid Hasyim",
                 "kyaihajimasmansyur": "KH Mas Mansyur",
                 "hajioemarsaidcokroaminoto": "HOS Cokroaminoto", "letnanjenderalsuprapto": "Letjen Suprapto"}
_ROAD_PREFIX = re.compile(r"^(jalan|jl|jln)\s+", re.I)
_TITLE_WORDS = ("jenderal", "jend")


def road_key(name: str) -> str:
    """Compact key of a road name without "Jalan"/"Jl." and rank words."""
    words = normalise(_ROAD_PREFIX.sub("", str(name).strip())).split()
    if words and words[0] in ("jalan", "jl", "jln"):
        words = words[1:]
    while len(words) > 1 and words[0] in _TITLE_WORDS:
        words = words[1:]
    return "".join(words)


_CANONICAL = {road_key(n): n for n in PROTOCOL_CANDIDATES} | _ROAD_ALIASES
_WHITE = {road_key(n) for n in WHITE_AREA_ROADS}
_PROTOCOL = {road_key(n) for n in PROTOCOL_CANDIDATES}


def canonical_road_name(name: str | None) -> str | None:
    """The rule set's spelling of a listed road, else the OSM name without "Jalan"."""
    if name is None or (isinstance(name, float) and np.isnan(name)) or str(name).strip() == "":
        return None
    key = road_key(name)
    if key in _CANONICAL:
        return _CANONICAL[key]
    return _ROAD_PREFIX.sub("", str(name).strip())


_RELIGION_WORDS = {"muslim": ("masjid", "mesjid", "musala", "mushola", "musholla", "langgar", "surau"),
                   "christian": ("gereja", "gki", "hkbp", "gpib", "katedral", "kapel"),
                   "buddhist": ("vihara", "wihara"), "hindu": ("pura",),
                   "chinese_folk_or_confucian": ("klenteng", "kelenteng", "litang")}


def _val(row: pd.Series, key: str) -> str:
    v = row.get(key)
    return "" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v)


def classify_row(row: pd.Series) -> tuple[str, str, str] | None:
    """``(layer, category, category_detail)`` of one OSM feature, or ``None`` to drop it.

    The first matching layer wins, in the order worship, health, education,
    government, parks, public facilities, roads.
    """
    amenity, name = _val(row, "amenity"), _val(row, "name").lower()
    highway, geom = _val(row, "highway"), row.geometry
    if amenity == "place_of_worship":
        return "worship", "place_of_worship", "place_of_worship"
    if amenity in ("hospital", "clinic", "doctors") or _val(row, "healthcare"):
        if "puskesmas" in name:
            return "health", "health", "puskesmas"
        kind = "hospital" if amenity == "hospital" or _val(row, "healthcare") == "hospital" else "clinic"
        return "health", "health", kind
    if amenity in ("school", "university", "college", "kindergarten"):
        detail = {"university": "higher_education", "college": "higher_education"}.get(amenity, amenity)
        return "education", "education", detail
    if amenity in ("police", "fire_station", "prison"):
        return "government", "government_or_public", amenity
    if _val(row, "military") or _val(row, "landuse") == "military":
        return "government", "government_or_public", "military"
    if amenity == "embassy" or _val(row, "office") == "diplomatic":
        return "government", "government_or_public", "embassy"
    if _val(row, "office") == "government" or amenity in ("townhall", "courthouse"):
        return "government", "government_or_public", "government_office"
    if amenity == "public_building":
        return "government", "government_or_public", "public_building_unverified"
    if _val(row, "leisure") in ("park", "garden", "playground", "nature_reserve") \
            or _val(row, "landuse") in ("grass", "recreation_ground", "village_green") \
            or _val(row, "boundary") == "protected_area":
        detail = _val(row, "leisure") or _val(row, "landuse") or "protected_area"
        return "parks", "park_or_green_space", detail
    if highway == "bus_stop" or amenity == "bus_station" or _val(row, "railway") in ("station", "halt") \
            or _val(row, "public_transport") in ("station", "platform"):
        detail = "bus_stop" if highway == "bus_stop" or _val(row, "public_transport") == "platform" else "station"
        return "public_facilities", "public_facility", detail
    if highway in MAJOR_HIGHWAYS and geom is not None and geom.geom_type in ("LineString", "MultiLineString"):
        return "roads", "road", highway
    if highway in MINOR_HIGHWAYS and geom is not None and geom.geom_type in ("LineString", "MultiLineString"):
        return "streets", "road", highway
    return None


def _religion(row: pd.Series) -> tuple[str, str]:
    tag = _val(row, "religion")
    if tag:
        return {"christian": "christian", "muslim": "muslim", "buddhist": "buddhist", "hindu": "hindu",
                "confucian": "chinese_folk_or_confucian", "chinese_folk": "chinese_folk_or_confucian"}.get(tag, tag), \
            "osm_tag"
    words = normalise(_val(row, "name")).split()
    for religion, keys in _RELIGION_WORDS.items():
        if any(w in keys for w in words):
            return religion, "name_keyword"
    return "unknown", "none"


def classify(features: gpd.GeoDataFrame, *, fetched_at: str) -> dict[str, gpd.GeoDataFrame]:
    """Split an osmnx features frame into the layers of the area manifest.

    Parameters
    ----------
    features : geopandas.GeoDataFrame
        As returned by :func:`osmnx.features_from_polygon` (index ``element``, ``id``).
    fetched_at : str
        ISO time of the query, stored on every feature.

    Returns
    -------
    dict of str to geopandas.GeoDataFrame
        One frame per layer name in :data:`OSM_LAYERS` (possibly empty).
    """
    df = features.reset_index()
    rows: dict[str, list[dict]] = {k: [] for k in OSM_LAYERS}
    geoms: dict[str, list] = {k: [] for k in OSM_LAYERS}
    for _, row in df.iterrows():
        geom = row.geometry
        if geom is None or geom.is_empty:
            continue
        hit = classify_row(row)
        if hit is None:
            continue
        layer, category, detail = hit
        if layer in ("roads", "streets"):
            geom = shapely.line_merge(geom) if geom.geom_type == "MultiLineString" else geom
        elif geom.geom_type in ("LineString", "MultiLineString") and layer != "public_facilities":
            continue  # an unclosed way cannot be a parcel; Overpass sends these for broken outlines
        rec = {"osm_type": str(row.get("element", "")), "osm_id": int(row.get("id", 0)),
               "name": _val(row, "name") or None, "category": category, "category_detail": detail,
               "osm_kind": "; ".join(f"{k}={_val(row, k)}" for k in ("amenity", "office", "military", "leisure",
                                                                        "landuse", "healthcare", "railway",
                                                                        "public_transport", "highway")
                                     if _val(row, k)),
               "geometry_kind": "parcel" if geom.geom_type in ("Polygon", "MultiPolygon") else
               "point" if geom.geom_type in ("Point", "MultiPoint") else "line",
               "fetched_at": fetched_at, "source": "OpenStreetMap via Overpass (osmnx)",
               "license": OSM_LICENSE_COLUMN}
        if layer == "worship":
            rec["religion_inferred"], rec["religion_method"] = _religion(row)
        if layer in ("roads", "streets"):
            osm_name = _val(row, "name")
            key = road_key(osm_name) if osm_name else ""
            rec.update({"osm_name": osm_name or None, "name": canonical_road_name(osm_name), "highway": detail,
                        "oneway": _val(row, "oneway") or None, "lanes": _val(row, "lanes") or None,
                        "toll_or_motorway": detail.startswith("motorway") or _val(row, "toll") == "yes",
                        "white_area_satpolpp": key in _WHITE,
                        "protocol_candidate": key in _PROTOCOL or detail.startswith("motorway")})
        rows[layer].append(rec)
        geoms[layer].append(geom)
    return {k: gpd.GeoDataFrame(pd.DataFrame(rows[k]), geometry=geoms[k], crs=STORAGE_CRS) for k in OSM_LAYERS}


@contextmanager
def _osmnx_settings(overpass_url: str | None, timeout: float):
    import osmnx as ox

    keys = ("overpass_url", "use_cache", "requests_timeout", "overpass_rate_limit", "log_console")
    saved = {k: getattr(ox.settings, k) for k in keys}
    try:
        if overpass_url:
            ox.settings.overpass_url = overpass_url.rstrip("/")
            # The /status slot check is an overpass-api.de feature other servers may lack.
            ox.settings.overpass_rate_limit = False
        ox.settings.use_cache = False
        ox.settings.requests_timeout = int(timeout)
        ox.settings.log_console = False
        yield ox
    finally:
        for k, v in saved.items():
            setattr(ox.settings, k, v)


def _manifest_for(kota: str | None, area: str | None, data_dir: Path) -> AreaManifest:
    if area or not kota:
        return manifest_for_data_dir(area, data_dir)
    found = find_manifest(str(kota).strip(), data_dir)
    if found:
        return found[0]
    from geozones.areas.manifest import load_manifest

    candidates = sorted(MANIFEST_DIR.glob("*.yaml")) + (sorted(data_dir.glob("*.yaml")) if data_dir.is_dir() else [])
    for path in candidates:
        try:
            m = load_manifest(path)
        except InputError:
            continue
        names = {strip_generic(t) for t in m.title.values()} | {strip_generic(m.id)}
        if kota in m.kota.values() or strip_generic(kota) in names:
            return m
    raise InputError(f"no area manifest for kota '{kota}'; run 'geozones data fetch --kota {kota}' first",
                     field="--kota")


def area_polygon(manifest: AreaManifest, data_dir: Path):
    """The kota polygon of an area, from its kota layer or the union of its kelurahan."""
    names = {s.name for s in manifest.layers if s.role in ("kota", "kelurahan")}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        layers = load_layers(manifest, data_dir, only=names)
    for lyr in layers.by_role("kota") + layers.by_role("kelurahan"):
        if lyr.present and len(lyr.gdf):
            return shapely.union_all(lyr.gdf.geometry.values), layers
    raise InputError("no kota or kelurahan boundary in the data directory to bound the OSM query; run "
                     "'geozones data fetch --kota ...' first", source=str(data_dir))


def _attach_kelurahan(gdf: gpd.GeoDataFrame, kel: gpd.GeoDataFrame | None) -> gpd.GeoDataFrame:
    if kel is None or not len(gdf):
        return gdf
    tree = shapely.STRtree(kel.geometry.values)
    feat, k = tree.query(shapely.point_on_surface(gdf.geometry.values), predicate="intersects")
    _, first = np.unique(feat, return_index=True)
    idx = np.full(len(gdf), -1)
    idx[feat[first]] = k[first]
    for col in ("kode_bps", "kode_kemendagri", "kelurahan", "kecamatan"):
        if col in kel:
            vals = kel[col].astype(object).to_numpy()
            gdf[col] = np.where(idx >= 0, vals[np.clip(idx, 0, None)], None)
    return gdf


def fetch_osm(*, data_dir: Path, kota: str | None = None, area: str | None = None,
              overpass_url: str | None = None, only: list[str] | None = None, replace: bool = False,
              timeout: float = 180.0) -> dict[str, tuple[str, int]]:
    """Query Overpass for the kota and write the restricted-place layers.

    Parameters
    ----------
    data_dir : pathlib.Path
        Data directory holding the kota boundary; layers are written there.
    kota, area : str, optional
        Which area manifest to use (default Jakarta Pusat).
    overpass_url : str, optional
        Overpass API base URL (the path before ``/interpreter``).
    only : list of str, optional
        Layers to write (default all but ``streets``, which is large).
    replace : bool
        Replace existing files (kept in ``.previous/``).
    timeout : float
        Seconds for the Overpass request.

    Returns
    -------
    dict
        ``{file name: (status, feature count)}``.
    """
    wanted = list(only) if only else [x for x in OSM_LAYERS if x != "streets"]
    bad = [x for x in wanted if x not in OSM_LAYERS]
    if bad:
        raise InputError(f"unknown OSM layer(s) {', '.join(bad)}; choose from {', '.join(OSM_LAYERS)}",
                         field="--layers")
    manifest = _manifest_for(kota, area, data_dir)
    polygon, layers = area_polygon(manifest, data_dir)
    tags = dict(TAGS)
    if "streets" in wanted:
        tags["highway"] = [*TAGS["highway"], *MINOR_HIGHWAYS]
    fetched_at = now_utc()
    with _osmnx_settings(overpass_url, timeout) as ox:
        import requests
        from osmnx._errors import InsufficientResponseError

        try:
            feats = ox.features_from_polygon(polygon, tags)
        except InsufficientResponseError:
            feats = gpd.GeoDataFrame(geometry=[], crs=STORAGE_CRS)
        except (requests.ConnectionError, requests.Timeout) as exc:
            raise InputError(f"cannot reach the Overpass API at {ox.settings.overpass_url}: "
                             f"{str(exc).splitlines()[0][:200]}. Offline, load official files instead with "
                             "'geozones data import FILE --layer worship' (or health, education, ...)") from None
        except requests.HTTPError as exc:
            raise InputError(f"the Overpass API refused the query: {exc}") from None
    by_layer = classify(feats.to_crs(STORAGE_CRS) if len(feats) else feats, fetched_at=fetched_at)
    kel = next((lyr.gdf for lyr in layers.by_role("kelurahan") if lyr.present), None)
    outputs, counts = {}, {}
    for name in wanted:
        try:
            spec = manifest.spec(name)
        except KeyError:
            continue
        gdf = by_layer[name]
        if name not in ("roads", "streets"):
            gdf = _attach_kelurahan(gdf, kel)
        outputs[data_dir / spec.file] = gdf
        counts[spec.file] = len(gdf)
    written = write_layers(outputs, replace=replace)
    url = overpass_url or "osmnx default Overpass API"
    save_records(data_dir, {p.name: {
        "how": "geozones data fetch-osm", "fetched_at": fetched_at, "data_date": fetched_at[:10],
        "sources": [{"url": url, "query_tags": tags, "licence": OSM_LICENCE, "attribution": OSM_ATTRIBUTION}],
        "licence": OSM_LICENCE, "attribution": OSM_ATTRIBUTION, "features": counts[p.name],
        "previous_version": str(prev) if prev else None} for p, (status, prev) in written.items()})
    return {p.name: (status, counts[p.name]) for p, (status, _) in written.items()}
