"""Write layer files into a data directory without losing what was there."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd

from geozones.core.errors import InputError, Problem
from geozones.io.files import sha256_file
from geozones.io.vector import write_vector
from geozones.sources.provenance import keep_previous


def write_layers(layers: dict[Path, gpd.GeoDataFrame], *, replace: bool) -> dict[Path, tuple[str, Path | None]]:
    """Write several layers, all or none: conflicts are found before anything is replaced.

    Each layer is first written to a candidate file next to its destination. A
    destination that exists with different bytes is replaced only with
    ``replace``; the old file is then copied to ``.previous/``.

    Returns
    -------
    dict
        ``{path: (status, previous)}`` with status ``"created"``, ``"replaced"``
        or ``"unchanged"`` and where a replaced file was kept.

    Raises
    ------
    InputError
        Naming every file that exists with different content, when ``replace`` is false.
    """
    candidates: dict[Path, Path] = {}
    try:
        for path, gdf in layers.items():
            path = Path(path)
            tmp = path.parent / f".{path.stem}.candidate{path.suffix}"
            # The layer name is fixed so that identical data gives identical bytes.
            write_vector(gdf, tmp, layer=path.stem)
            candidates[path] = tmp
        conflicts = [p for p, t in candidates.items() if p.exists() and sha256_file(p) != sha256_file(t)]
        if conflicts and not replace:
            raise InputError([Problem("already exists with different content; pass --replace to replace "
                                      "it (the current file is then kept in .previous/)", str(p))
                              for p in conflicts])
        out: dict[Path, tuple[str, Path | None]] = {}
        for path, tmp in candidates.items():
            if not path.exists():
                tmp.replace(path)
                out[path] = ("created", None)
            elif path in conflicts:
                previous = keep_previous(path)
                tmp.replace(path)
                out[path] = ("replaced", previous)
            else:
                out[path] = ("unchanged", None)
        return out
    finally:
        for tmp in candidates.values():
            tmp.unlink(missing_ok=True)
