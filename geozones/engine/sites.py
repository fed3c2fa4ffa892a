"""The engine's site frame: one validated point per APK site.

:func:`normalize_sites` gives any point GeoDataFrame the columns the engine
expects (``site_id``, ``apk_type``, ``paslon``, ``installed_at``), checking each
row; :func:`sites_frame` builds one from coordinates. Pure: no file access.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geozones.core.apk import normalize_apk_type
from geozones.core.columns import APK_NAMES, ID_NAMES, LAT_NAMES, LON_NAMES, PASLON_NAMES, TIME_NAMES, find_column
from geozones.core.crs import STORAGE_CRS
from geozones.core.errors import InputError, Problem
from geozones.core.time import TIMEZONE, TimeFormatError, column_date_order, parse_time


def _cell_text(v: object) -> str:
    if isinstance(v, str):
        return v
    if isinstance(v, float | np.floating):
        # Integral floats (ids stored as REAL) lose nothing: 3171010001.0 -> "3171010001".
        return str(int(v)) if float(v).is_integer() else repr(float(v))
    return str(v)


def _text(series: pd.Series) -> pd.Series:
    """Cells as stripped text, with missing values (None, NaN, "", "nan") as None."""
    missing_words = ["", "nan", "NaN", "None", "NaT"]
    if isinstance(series.dtype, pd.StringDtype) or pd.api.types.infer_dtype(series, skipna=True) in ("string",
                                                                                                    "empty"):
        # All text: vectorised (a 1e6-row table would spend seconds in a per-cell function);
        # Arrow strings strip in Arrow, Python strings through map(str.strip) in C.
        if isinstance(series.dtype, pd.StringDtype):
            arr = series.str.strip().to_numpy(dtype=object, na_value=None)
        else:
            arr = series.to_numpy(dtype=object, copy=True)
            present = ~pd.isna(arr)
            arr[present] = np.fromiter(map(str.strip, arr[present]), dtype=object, count=int(present.sum()))
        keep = ~pd.isna(arr) & ~pd.Series(arr).isin(missing_words).to_numpy()
        arr[~keep] = None
        return pd.Series(arr, index=series.index, dtype=object)
    obj = series.astype(object)
    missing = obj.isna().to_numpy()
    text = obj.map(_cell_text)
    text = text.astype(object).where(~missing, None).map(lambda v: v.strip() if isinstance(v, str) else v)
    return text.where(~text.isin(missing_words), None)


def _label(i: int, labels: list[str] | None) -> int | str:
    return labels[i] if labels else i + 1


def normalize_sites(gdf: gpd.GeoDataFrame, *, source: str = "<sites>",
                    labels: list[str] | None = None, date_order: str | None = None,
                    id_column: str | None = None) -> gpd.GeoDataFrame:
    """Give a point GeoDataFrame the engine's site columns, checking each row.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        Points with any of the accepted column spellings.
    source : str
        File name for messages.
    labels : list of str, optional
        How to name each row in messages (e.g. ``"feature 3"``); default the
        1-based row number.
    date_order : {"dayfirst", "monthfirst"}, optional
        How the time column writes ``a/b/YYYY`` (the CLI's ``--dayfirst`` /
        ``--monthfirst``). By default the column decides from all its values
        (:func:`~geozones.core.time.column_date_order`); a column that stays
        ambiguous, or mixes both orders, is refused naming it.
    id_column : str, optional
        The column holding site ids (the CLI's ``--id``); by default the first
        of :data:`~geozones.core.columns.ID_NAMES`.

    Returns
    -------
    geopandas.GeoDataFrame
        A copy with ``site_id`` (str, unique), ``apk_type`` (code or None),
        ``paslon`` (str or None) and ``installed_at`` (tz-aware WIB timestamp or
        NaT) first, then the remaining input columns; geometry in EPSG:4326.

    Raises
    ------
    InputError
        When there are no sites, or with one problem per bad row (empty or duplicate id,
        unknown APK type, unreadable or out-of-range time), naming ``source``, the row
        (or its label) and the field.
    """
    if len(gdf) == 0:
        raise InputError("contains no sites", source=source)
    gdf = gdf.reset_index(drop=True).copy()
    problems: list[Problem] = []
    coord_cols = {find_column(gdf.columns, LON_NAMES), find_column(gdf.columns, LAT_NAMES)} - {None}

    if id_column is not None and id_column not in gdf.columns:
        raise InputError.bi(f"tidak ada kolom '{id_column}'; kolomnya: {', '.join(map(str, gdf.columns))}",
                            f"no column '{id_column}'; the columns are: {', '.join(map(str, gdf.columns))}",
                            source=source, field="--id")
    id_col = id_column or find_column(gdf.columns, ID_NAMES)
    if id_col is None:
        ids = pd.Series([str(i + 1) for i in range(len(gdf))], dtype=object)
    else:
        ids = _text(gdf[id_col])
        for i in np.flatnonzero(ids.isna().to_numpy()):
            problems.append(Problem.bi("id titik kosong", "site id is empty", source, _label(int(i), labels),
                                       id_col))
        dup = ids.duplicated(keep="first") & ids.notna()
        if dup.any():
            first = {}
            for i, key in enumerate(ids.tolist()):
                if key is not None and key not in first:
                    first[key] = i
            for i in np.flatnonzero(dup.to_numpy()):
                key = ids.iloc[i]
                problems.append(Problem.bi(f"id titik '{key}' ganda (sudah dipakai di {_where(first[key], labels)})",
                                           f"duplicate site id '{key}' (first used in "
                                           f"{_where(first[key], labels)})", source, _label(int(i), labels), id_col))

    apk_col = find_column(gdf.columns, APK_NAMES)
    apk = pd.Series([None] * len(gdf), dtype=object)
    if apk_col is not None:
        col = gdf[apk_col]
        if isinstance(col.dtype, pd.StringDtype):
            # A few APK types over many rows: each distinct cell is read once, rows get codes
            # (no Python string per row).
            codes, cells = pd.factorize(col, use_na_sentinel=True)
            texts = [*_text(pd.Series(np.asarray(cells, dtype=object), dtype=object)).tolist(), None]
            codes = np.where(codes < 0, len(texts) - 1, codes)
        else:
            raw = _text(col)
            codes, uniq = pd.factorize(raw.to_numpy(dtype=object), use_na_sentinel=True)
            texts = [*uniq, None]
            codes = np.where(codes < 0, len(texts) - 1, codes)
        mapped: list[object] = []
        for v in texts:
            try:
                t = normalize_apk_type(v) if v is not None else None
                mapped.append(t.value if t else None)
            except ValueError as exc:
                mapped.append(exc)
        bad = [k for k, m in enumerate(mapped) if isinstance(m, ValueError)]
        if bad:
            for i in np.flatnonzero(np.isin(codes, bad)):
                problems.append(Problem(str(mapped[codes[i]]), source, _label(int(i), labels), apk_col))
        final = np.array([None if isinstance(m, ValueError) else m for m in mapped], dtype=object)
        apk = pd.Series(final[codes], dtype=object)

    paslon_col = find_column(gdf.columns, PASLON_NAMES)
    paslon = _text(gdf[paslon_col]) if paslon_col else pd.Series([None] * len(gdf), dtype=object)
    if paslon_col:  # "1.0" from a numeric column with gaps is paslon "1"
        paslon = paslon.astype(object).str.replace(r"^(\d+)\.0$", r"\1", regex=True).astype(object)
        paslon = paslon.where(paslon.notna(), None)

    time_col = find_column(gdf.columns, TIME_NAMES)
    installed = pd.Series(pd.NaT, index=gdf.index, dtype=f"datetime64[ns, {TIMEZONE}]")
    if time_col is not None:
        col = gdf[time_col]
        if isinstance(col.dtype, pd.DatetimeTZDtype):
            years = col.dt.year
            bad = (years.notna() & ((years < 1900) | (years > 2100))).to_numpy()
            for i in np.flatnonzero(bad):
                problems.append(Problem.bi(f"tahun {int(years.iloc[i])} di luar 1900-2100",
                                           f"year {int(years.iloc[i])} is outside 1900-2100", source,
                                           _label(int(i), labels), time_col))
            if not bad.any():
                installed = col.dt.tz_convert(TIMEZONE).dt.as_unit("ns")
        else:
            # Parse each distinct text once: a field log has many repeated times.
            codes, uniques = pd.factorize(_text(col))
            try:
                order, _ = column_date_order([str(u) for u in uniques], date_order)
            except TimeFormatError as exc:
                raise InputError(str(exc), source=source, field=time_col, message_id=exc.message_id) from None
            parsed: list[pd.Timestamp] = []
            for value in uniques:
                try:
                    parsed.append(parse_time(value, order))
                except ValueError as exc:
                    parsed.append(pd.NaT)
                    for i in np.flatnonzero(codes == len(parsed) - 1):
                        problems.append(Problem(str(exc), source, _label(int(i), labels), time_col,
                                                getattr(exc, "message_id", None)))
            if len(uniques):
                values = pd.DatetimeIndex([*parsed, pd.NaT], tz=TIMEZONE).as_unit("ns")
                installed = pd.Series(values[codes], index=gdf.index)
    if problems:
        raise InputError(sorted(problems, key=lambda p: (p.row if isinstance(p.row, int) else 0)))

    used = {id_col, apk_col, paslon_col, time_col} | coord_cols
    extra = gdf[[c for c in gdf.columns if c not in used and c != gdf.geometry.name]]
    out = gpd.GeoDataFrame(
        # object columns: inferring Arrow strings for a million ids costs more than the check itself
        {"site_id": pd.Series(ids.to_numpy(dtype=object), dtype=object, copy=False),
         "apk_type": pd.Series(apk.to_numpy(dtype=object), dtype=object, copy=False),
         "paslon": pd.Series(paslon.to_numpy(dtype=object), dtype=object, copy=False)},
        geometry=gdf.geometry.values, crs=gdf.crs)
    out["installed_at"] = pd.Series(installed.array, index=out.index)
    # All extra columns at once: adding them one by one grows time with the square of their number.
    extra = extra[[c for c in extra.columns if c not in out.columns]].reset_index(drop=True)
    extra = extra.loc[:, ~extra.columns.duplicated()]
    if len(extra.columns):
        out = gpd.GeoDataFrame(pd.concat([pd.DataFrame(out), extra.set_axis(out.index)], axis=1),
                               geometry=out.geometry.name, crs=gdf.crs)
    return out[["site_id", "apk_type", "paslon", "installed_at", *[c for c in out.columns if c not in
                ("site_id", "apk_type", "paslon", "installed_at", out.geometry.name)], out.geometry.name]]


def _where(i: int, labels: list[str] | None) -> str:
    return labels[i] if labels else f"row {i + 1}"


def sites_frame(lon, lat, site_id=None, apk_type=None, paslon=None,
                installed_at=None) -> gpd.GeoDataFrame:
    """Build a sites frame from coordinates (e.g. one map click), validated.

    Parameters
    ----------
    lon, lat : float or array-like
        Positions in EPSG:4326.
    site_id, apk_type, paslon, installed_at : scalar or array-like, optional
        Broadcast to the number of positions.

    Returns
    -------
    geopandas.GeoDataFrame
        As :func:`normalize_sites` returns.
    """
    lon = np.atleast_1d(np.asarray(lon, dtype=float))
    lat = np.atleast_1d(np.asarray(lat, dtype=float))
    n = len(lon)

    def col(v, default):
        if v is None:
            return [default(i) for i in range(n)]
        arr = np.atleast_1d(np.asarray(v, dtype=object))
        return list(np.broadcast_to(arr, n))

    df = pd.DataFrame({"site_id": col(site_id, lambda i: str(i + 1)),
                       "apk_type": col(apk_type, lambda i: None),
                       "paslon": col(paslon, lambda i: None),
                       "installed_at": col(installed_at, lambda i: None)})
    return normalize_sites(gpd.GeoDataFrame(df, geometry=shapely.points(lon, lat), crs=STORAGE_CRS),
                           source="<points>")
