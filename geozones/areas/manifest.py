"""Area manifests: which layers make up an area, with each layer's role, file, source and licence.

An area manifest (``shapefiles/<area>.yaml``) names each layer of an area (e.g.
Kota Jakarta Pusat). Reading the layer files it names lives in
:mod:`geozones.io.layers`.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from geozones.core.errors import InputError, Problem

PROJECT_ROOT = Path(__file__).resolve().parents[2]
MANIFEST_DIR = PROJECT_ROOT / "shapefiles"

Role = Literal["kelurahan", "kecamatan", "kota", "worship", "health", "education", "government",
               "roads", "kawasan", "parks", "kpu_points", "tps", "other"]

#: Columns the kelurahan layer must have (those of the BPS/HDX build).
KELURAHAN_COLUMNS = ("kode_bps", "kode_kemendagri", "kelurahan", "kode_bps_kec",
                     "kode_kemendagri_kec", "kecamatan", "kode_bps_kota", "kota")


class LayerSpec(BaseModel):
    """One layer of an area manifest."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    role: Role
    file: str = Field(min_length=1)
    title: dict[str, str] = Field(default_factory=dict)
    source: str = Field(min_length=1)
    licence: str = Field(min_length=1)
    attribution: str = Field(min_length=1)
    date: dt.date | None = Field(None, description="Date the data describes (survey/extract date)")
    where: dict[str, list[Any]] = Field(default_factory=dict, description="Rows to keep")
    name_field: str = "name"
    id_field: str | None = None


class AreaManifest(BaseModel):
    """The layers that make up one area (e.g. Kota Jakarta Pusat)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
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


def manifest_path(area: str) -> Path:
    """Path of the manifest for an area id.

    Parameters
    ----------
    area : str
        Area id, e.g. ``"jakarta-pusat"``.

    Returns
    -------
    pathlib.Path
        ``shapefiles/<area>.yaml`` in the project (it may not exist).
    """
    return MANIFEST_DIR / f"{area}.yaml"


def load_manifest(area_or_path: str | os.PathLike) -> AreaManifest:
    """Load an area manifest by id (``"jakarta-pusat"``) or path.

    Parameters
    ----------
    area_or_path : str or path-like
        An area id (looked up in ``shapefiles/``) or the path of a ``.yaml``/``.yml`` manifest.

    Returns
    -------
    AreaManifest

    Raises
    ------
    InputError
        When the manifest is missing, not YAML, or does not validate (one problem per field).
    """
    path = Path(area_or_path)
    if path.suffix not in (".yaml", ".yml"):
        path = manifest_path(str(area_or_path))
    if not path.exists():
        raise InputError("area manifest not found", source=str(path))
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        return AreaManifest.model_validate(data)
    except yaml.YAMLError as exc:
        raise InputError(f"not valid YAML: {exc}", source=str(path)) from None
    except ValidationError as exc:
        raise InputError([Problem(e["msg"], str(path), None, ".".join(map(str, e["loc"])))
                          for e in exc.errors()]) from None
