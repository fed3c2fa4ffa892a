"""Area manifests: which layers make up an area, with each layer's role, file, source and licence.

An area manifest (``shapefiles/<area>.yaml``) names each layer of an area (e.g.
Kota Jakarta Pusat). Reading the layer files it names lives in
:mod:`geozones.io.layers`.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from geozones.core.errors import InputError, Problem
from geozones.core.field_errors import field_error_texts
from geozones.core.yamlsafe import YamlLimits, load_yaml

PROJECT_ROOT = Path(__file__).resolve().parents[2]
MANIFEST_DIR = PROJECT_ROOT / "shapefiles"

Role = Literal["kelurahan", "kecamatan", "kota", "worship", "health", "education", "government",
               "roads", "kawasan", "parks", "kpu_points", "tps", "other"]

#: Columns the kelurahan layer must have (those of the BPS/HDX build).
#: An area id: it names a file (``<id>.yaml``), so it is never a path.
AREA_ID = r"^[a-z0-9][a-z0-9-]{0,63}$"
#: A layer file, relative to the data directory: plain names, optional sub-folders, never ``..``.
LAYER_FILE = r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}(/[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}){0,3}$"
#: Bounds on a manifest file (a few KB in practice).
MANIFEST_LIMITS = YamlLimits(max_bytes=1_000_000, max_nodes=100_000, max_depth=32)

KELURAHAN_COLUMNS = ("kode_bps", "kode_kemendagri", "kelurahan", "kode_bps_kec",
                     "kode_kemendagri_kec", "kecamatan", "kode_bps_kota", "kota")


class LayerSpec(BaseModel):
    """One layer of an area manifest."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    role: Role
    file: str = Field(pattern=LAYER_FILE, description="File in the data directory; no absolute path, no '..'")
    title: dict[str, str] = Field(default_factory=dict)
    source: str = Field(min_length=1)
    licence: str = Field(min_length=1)
    attribution: str = Field(min_length=1)
    date: dt.date | None = Field(None, description="Date the data describes (survey/extract date)")
    where: dict[str, list[Any]] = Field(default_factory=dict, description="Rows to keep")
    name_field: str = "name"
    id_field: str | None = None

    def path_in(self, root: str | os.PathLike) -> Path:
        """The layer file inside ``root``; refused if it would lie outside it.

        Raises
        ------
        InputError
            When ``file`` is not confined to ``root``.
        """
        return confined(root, self.file, what=f"layer {self.name}")


class AreaManifest(BaseModel):
    """The layers that make up one area (e.g. Kota Jakarta Pusat)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=AREA_ID)
    title: dict[str, str]
    kota: dict[str, str] = Field(description="Codes of the kota: {'kemendagri': '31.71', 'bps': '3173'}")
    metric_crs: str | None = Field(None, description="EPSG code for distances; chosen from data if omitted")
    layers: list[LayerSpec] = Field(min_length=1)

    def spec(self, name: str) -> LayerSpec:
        """The layer spec called ``name``.

        Parameters
        ----------
        name : str

        Returns
        -------
        LayerSpec

        Raises
        ------
        KeyError
            When the manifest has no such layer.
        """
        for s in self.layers:
            if s.name == name:
                return s
        raise KeyError(name)

    @property
    def layer_names(self) -> set[str]:
        """All layer names of the manifest."""
        return {s.name for s in self.layers}


def check_area_id(area: str, *, source: str | None = None) -> str:
    """``area`` if it is an area id (``jakarta-pusat``); never a path.

    Raises
    ------
    InputError
        When ``area`` is not an id (it holds ``/``, ``..``, upper case, spaces or control characters).
    """
    if not isinstance(area, str) or not re.fullmatch(AREA_ID, area):
        shown = repr(area)[:70]
        raise InputError.bi(f"{shown} bukan id wilayah (huruf kecil, angka dan '-', mis. 'jakarta-pusat')",
                            f"{shown} is not an area id (lower-case letters, digits and '-', e.g. 'jakarta-pusat')",
                            source=source, field="area")
    return area


def confined(root: str | os.PathLike, name: str, *, what: str = "file") -> Path:
    """``root / name``, refused unless it stays inside ``root`` once ``..`` and symlinks are resolved.

    Raises
    ------
    InputError
        When the path leaves ``root`` (absolute names, ``..``, a symlink pointing out).
    """
    base = Path(root).resolve()
    path = (base / name).resolve()
    if path != base and base not in path.parents:
        raise InputError.bi(f"{what}: '{name}' berada di luar folder {base.name}/",
                            f"{what}: '{name}' lies outside the folder {base.name}/", field="file")
    return base / name


def manifest_path(area: str) -> Path:
    """Path of the manifest for an area id (inside ``shapefiles/``).

    Raises
    ------
    InputError
        When ``area`` is not an area id.
    """
    return confined(MANIFEST_DIR, f"{check_area_id(area)}.yaml", what="area")


def load_manifest(area_or_path: str | os.PathLike) -> AreaManifest:
    """Load an area manifest by id (``"jakarta-pusat"``) or by path.

    A ``str`` is an id unless it ends in ``.yaml``/``.yml`` (a path someone typed);
    a :class:`~pathlib.Path` is always a path. Ids are checked before any path is built.

    Raises
    ------
    InputError
        Not an id, not found, too large, not YAML, a duplicate key, or not a valid manifest:
        one problem per field, in Bahasa Indonesia and English, naming the file, the layer
        (``layer worship``, or ``layer #3`` when it has no name) and the field.
    """
    if isinstance(area_or_path, str) and not area_or_path.endswith((".yaml", ".yml")):
        path = manifest_path(area_or_path)
    else:
        path = Path(area_or_path)
    if not path.is_file():
        raise InputError.bi("manifes wilayah tidak ditemukan", "area manifest not found", source=str(path))
    data = load_yaml(path, limits=MANIFEST_LIMITS)
    try:
        return AreaManifest.model_validate(data)
    except ValidationError as exc:
        raise InputError([_problem(e, data, str(path)) for e in exc.errors()]) from None


def _problem(err: dict, data: Any, source: str) -> Problem:
    """One pydantic error as a bilingual problem: the layer it belongs to as the row, then the field path."""
    loc = tuple(err["loc"])
    owner = None
    if len(loc) >= 2 and loc[0] == "layers" and isinstance(loc[1], int):
        layers = data.get("layers") if isinstance(data, dict) else None
        item = layers[loc[1]] if isinstance(layers, list) and loc[1] < len(layers) else None
        name = item.get("name") if isinstance(item, dict) else None
        owner = f"layer {name[:60]}" if isinstance(name, str) and name else f"layer #{loc[1] + 1}"
        loc = loc[2:]
    id_text, en_text = field_error_texts(err)
    return Problem.bi(id_text, en_text, source, owner, ".".join(map(str, loc)) or "(top level)")
