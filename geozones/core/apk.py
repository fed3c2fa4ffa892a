"""APK (alat peraga kampanye) types and their names.

The four types of PKPU 13/2024 (grade S): baliho, billboard/videotron, spanduk and
umbul-umbul. Input files spell them many ways; :func:`normalize_apk_type` maps
them to one code.
"""

from __future__ import annotations

from enum import StrEnum


class ApkType(StrEnum):
    """Campaign prop type codes used in rule sets, inputs and outputs."""

    BALIHO = "baliho"
    BILLBOARD = "billboard"  # billboard or videotron: one quota and size class
    SPANDUK = "spanduk"
    UMBUL_UMBUL = "umbul_umbul"


APK_LABELS = {
    ApkType.BALIHO: ("Baliho", "Baliho (large banner)"),
    ApkType.BILLBOARD: ("Billboard/videotron", "Billboard/videotron"),
    ApkType.SPANDUK: ("Spanduk", "Spanduk (banner)"),
    ApkType.UMBUL_UMBUL: ("Umbul-umbul", "Umbul-umbul (pennant)"),
}

_ALIASES = {
    "baliho": ApkType.BALIHO,
    "billboard": ApkType.BILLBOARD,
    "videotron": ApkType.BILLBOARD,
    "billboard/videotron": ApkType.BILLBOARD,
    "billboard_videotron": ApkType.BILLBOARD,
    "reklame": ApkType.BILLBOARD,
    "spanduk": ApkType.SPANDUK,
    "banner": ApkType.SPANDUK,
    "umbul-umbul": ApkType.UMBUL_UMBUL,
    "umbul umbul": ApkType.UMBUL_UMBUL,
    "umbul_umbul": ApkType.UMBUL_UMBUL,
    "umbulumbul": ApkType.UMBUL_UMBUL,
    "umbul": ApkType.UMBUL_UMBUL,
}


def normalize_apk_type(value: object) -> ApkType | None:
    """Map a user spelling of an APK type to its code; ``None`` if blank.

    Raises
    ------
    ValueError
        For a non-blank value that names no APK type.
    """
    if value is None:
        return None
    text = str(value).strip().lower()
    if text in ("", "nan", "none"):
        return None
    try:
        return _ALIASES[text]
    except KeyError:
        raise ValueError(
            f"unknown APK type '{value}'; use baliho, billboard, videotron, spanduk or umbul-umbul"
        ) from None
