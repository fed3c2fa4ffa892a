"""Write layer files into a data directory without losing what was there."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd

from geozones.data.download import sha256_file
from geozones.data.provenance import keep_previous
from geozones.errors import InputError
from geozones.io.vector import write_vector


def write_layer(gdf: gpd.GeoDataFrame, path: Path, *, replace: bool) -> tuple[str, Path | None]:
    """Write a layer atomically; refuse to replace a different file unless ``replace``.

    Returns
    -------
    status : str
        ``"created"``, ``"replaced"`` or ``"unchanged"`` (same bytes as before).
    previous : pathlib.Path or None
        Where the replaced file was kept.

    Raises
    ------
    InputError
        If the file exists, differs and ``replace`` is false.
    """
    path = Path(path)
    if not path.exists():
        write_vector(gdf, path)
        return "created", None
    tmp = path.parent / f".{path.stem}.candidate{path.suffix}"
    try:
        write_vector(gdf, tmp)
        if sha256_file(tmp) == sha256_file(path):
            return "unchanged", None
        if not replace:
            raise InputError("already exists with different content; pass --replace to replace it "
                             "(the current file is then kept in .previous/)", source=str(path))
        previous = keep_previous(path)
        tmp.replace(path)
        return "replaced", previous
    finally:
        tmp.unlink(missing_ok=True)
