"""Read the Kemendagri code table (``wilayah.sql`` of cahyadsn/wilayah).

The dump is a list of ``('31.71.01.1002','Cideng')`` rows. The number of dotted
parts gives the level: 1 province, 2 kota/kabupaten, 3 kecamatan, 4 desa/kelurahan.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from geozones.core.errors import InputError

_ROW = re.compile(r"\('(\d{2}(?:\.\d{2}(?:\.\d{2}(?:\.\d{4})?)?)?)'\s*,\s*'((?:[^']|'')*)'\)")


def read_wilayah(path: str | Path) -> pd.DataFrame:
    """Parse the code table into ``kode``, ``nama``, ``level``, ``parent`` columns.

    Parameters
    ----------
    path : path-like
        The ``wilayah.sql`` file.

    Returns
    -------
    pandas.DataFrame
        One row per code; names stripped of stray spaces, ``''`` unescaped.

    Raises
    ------
    InputError
        If the file holds no code rows.
    """
    text = Path(path).read_text(encoding="utf-8", errors="replace")
    rows = [(k, n.replace("''", "'").strip()) for k, n in _ROW.findall(text)]
    if not rows:
        raise InputError("holds no ('code','name') rows; is this the wilayah.sql code table?",
                         source=str(path))
    df = pd.DataFrame(rows, columns=["kode", "nama"]).drop_duplicates("kode", keep="last")
    df["level"] = df["kode"].str.count(r"\.") + 1
    df["parent"] = df["kode"].str.rsplit(".", n=1).str[0].where(df["level"] > 1, "")
    return df.reset_index(drop=True)
