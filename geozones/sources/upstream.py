"""The pinned upstream files that boundary layers are built from.

Each entry gives the exact URL at a fixed commit, the SHA-256 of its bytes and its
licence. A download whose bytes do not hash to the pinned value is refused, so a
moved branch or a tampered mirror cannot silently change official codes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from geozones.core.errors import InputError

#: Commit of JfrAziz/indonesia-district the boundary URLs are pinned to.
BOUNDARY_COMMIT = "5b56ae2e876c3000d10f63410f9904ba03ec922a"
#: Commit of cahyadsn/wilayah the Kemendagri code table is pinned to.
WILAYAH_COMMIT = "b7ad440a1322e7be3189a16a8cac35f7d4c3d7f7"

BOUNDARY_LICENCE = "CC BY-IGO 3.0"
BOUNDARY_ATTRIBUTION = "Administrative boundaries: BPS – Statistics Indonesia, via OCHA/HDX (cod-ab-idn), CC BY-IGO"
WILAYAH_LICENCE = "MIT"
WILAYAH_ATTRIBUTION = ("Kemendagri codes (Kepmendagri No. 300.2.2-2138 Tahun 2025) from cahyadsn/wilayah, "
                       "MIT (c) 2017-2025 Cahya DSN")


@dataclass(frozen=True)
class UpstreamFile:
    """One file to download.

    Attributes
    ----------
    key : str
        Short identifier (``"wilayah"``, ``"boundary-31"``).
    url : str
        The real upstream URL, pinned to a commit.
    sha256 : str or None
        Expected SHA-256 of the bytes; ``None`` when not pinned (then a download
        needs ``allow_unpinned`` and the observed hash is recorded instead).
    licence, attribution : str
        What users of the data must show.
    description : str
        What the file holds.
    """

    key: str
    url: str
    sha256: str | None
    licence: str
    attribution: str
    description: str

    @property
    def filename(self) -> str:
        """The last URL path component, which is also the name inside a mirror."""
        return self.url.rstrip("/").rsplit("/", 1)[-1]


WILAYAH = UpstreamFile(
    key="wilayah",
    url=f"https://raw.githubusercontent.com/cahyadsn/wilayah/{WILAYAH_COMMIT}/db/wilayah.sql",
    sha256="c4c3396d9380d4edee072af1d9dff83573b574d7cd00a6562cf82e200e954031",
    licence=WILAYAH_LICENCE,
    attribution=WILAYAH_ATTRIBUTION,
    description="Kemendagri code table of every province, kota/kabupaten, kecamatan and desa/kelurahan",
)

# Folder names of the boundary repository, one per BPS 2020 province. Only the DKI
# file has a pinned hash (it is the one we have verified byte for byte); the others
# need --allow-unpinned until their hashes are added here.
PROVINCE_FOLDERS: dict[str, str] = {
    "11": "aceh", "12": "sumatera_utara", "13": "sumatera_barat", "14": "riau", "15": "jambi",
    "16": "sumatera_selatan", "17": "bengkulu", "18": "lampung", "19": "kepulauan_bangka_belitung",
    "21": "kepulauan_riau", "31": "dki_jakarta", "32": "jawa_barat", "33": "jawa_tengah",
    "34": "daerah_istimewa_yogyakarta", "35": "jawa_timur", "36": "banten", "51": "bali",
    "52": "nusa_tenggara_barat", "53": "nusa_tenggara_timur", "61": "kalimantan_barat",
    "62": "kalimantan_tengah", "63": "kalimantan_selatan", "64": "kalimantan_timur",
    "65": "kalimantan_utara", "71": "sulawesi_utara", "72": "sulawesi_tengah", "73": "sulawesi_selatan",
    "74": "sulawesi_tenggara", "75": "gorontalo", "76": "sulawesi_barat", "81": "maluku",
    "82": "maluku_utara", "91": "papua_barat", "94": "papua",
}

PINNED_BOUNDARY_SHA256: dict[str, str] = {
    "31": "96ca004c61b6e6095c7a0f3a15637e02f0f25edc9541b0e2c75f039ef0f27d6b",
}


def boundary_source(province_code: str) -> UpstreamFile:
    """The kelurahan/desa boundary file of a province (BPS 2020 via HDX).

    Parameters
    ----------
    province_code : str
        Two-digit province code (the same in BPS and Kemendagri for the 2020 provinces).

    Raises
    ------
    InputError
        If the province has no file in the boundary repository.
    """
    code = str(province_code).strip()
    if not re.fullmatch(r"\d\d", code) or code not in PROVINCE_FOLDERS:
        raise InputError(f"no boundary file is known for province code '{code}'; known codes: "
                         + ", ".join(sorted(PROVINCE_FOLDERS)), field="--kota/--province")
    folder = f"id{code}_{PROVINCE_FOLDERS[code]}"
    return UpstreamFile(
        key=f"boundary-{code}",
        url=(f"https://raw.githubusercontent.com/JfrAziz/indonesia-district/{BOUNDARY_COMMIT}/"
             f"{folder}/{folder}_district.geojson"),
        sha256=PINNED_BOUNDARY_SHA256.get(code),
        licence=BOUNDARY_LICENCE,
        attribution=BOUNDARY_ATTRIBUTION,
        description=f"BPS 2020 desa/kelurahan polygons of province {code} (HDX cod-ab-idn)",
    )
