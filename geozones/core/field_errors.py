"""Pydantic validation errors in Bahasa Indonesia and English, naming the limit and the value found.

Rule sets and area manifests are validated by pydantic, whose messages are English
only. :func:`field_error_texts` gives each error's message in both languages, so a
:class:`~geozones.core.errors.Problem` can carry both (``Problem.bi``) beside the file
and field it names.
"""

from __future__ import annotations

from typing import Any

__all__ = ["field_error_texts", "shown_value"]

#: Indonesian wording per pydantic error type (the English is pydantic's own message).
_PYDANTIC_ID = {
    "missing": "wajib diisi",
    "extra_forbidden": "kolom tidak dikenal (periksa ejaannya)",
    "string_too_short": "tidak boleh kosong",
    "string_type": "harus berupa teks",
    "int_type": "harus bilangan bulat",
    "int_parsing": "harus bilangan bulat",
    "int_from_float": "harus bilangan bulat",
    "bool_type": "harus true atau false",
    "bool_parsing": "harus true atau false",
    "list_type": "harus berupa daftar",
    "dict_type": "harus berupa pemetaan (kunci: nilai)",
    "model_type": "harus berupa pemetaan (kunci: nilai)",
    "model_attributes_type": "harus berupa pemetaan (kunci: nilai)",
    "datetime_type": "harus tanggal/waktu",
    "datetime_parsing": "harus tanggal/waktu",
    "datetime_from_date_parsing": "harus tanggal/waktu",
    "date_type": "harus tanggal (YYYY-MM-DD)",
    "date_parsing": "harus tanggal (YYYY-MM-DD)",
    "date_from_datetime_parsing": "harus tanggal (YYYY-MM-DD)",
    "date_from_datetime_inexact": "harus tanggal tanpa jam (YYYY-MM-DD)",
    "literal_error": "nilai tidak diizinkan",
    "enum": "nilai tidak diizinkan",
}


def shown_value(value: Any) -> str:
    """``repr(value)``, cut to 60 characters (a message never carries a whole document)."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def field_error_texts(err: dict) -> tuple[str, str]:
    """One pydantic error (an item of ``ValidationError.errors()``) as ``(indonesian, english)``.

    Parameters
    ----------
    err : dict
        With ``type``, ``msg`` and, where pydantic gives them, ``input`` and ``ctx``.

    Returns
    -------
    (str, str)
        The message in Bahasa Indonesia and in English, naming the value found and the
        limit, pattern or choices it breaks. A ``value_error`` raised by a model's own
        validator keeps its text in both (validators write both languages themselves).
    """
    kind, ctx, msg = err["type"], err.get("ctx") or {}, err["msg"]
    if kind in ("value_error", "assertion_error"):
        text = msg.removeprefix("Value error, ").removeprefix("Assertion failed, ")
        return text, text
    value = shown_value(err.get("input"))
    if kind in ("less_than_equal", "greater_than_equal", "less_than", "greater_than"):
        op = {"less_than_equal": ("paling banyak", "at most"), "greater_than_equal": ("paling sedikit", "at least"),
              "less_than": ("kurang dari", "less than"), "greater_than": ("lebih dari", "greater than")}[kind]
        limit = next(iter(ctx.values()), "?")
        return (f"nilai {value} di luar batas: harus {op[0]} {limit}",
                f"value {value} is out of range: must be {op[1]} {limit}")
    if kind == "string_pattern_mismatch":
        return (f"{value} bukan pengenal yang sah (pola {ctx.get('pattern')}); tanpa '/', '..' atau spasi",
                f"{value} is not a valid identifier (pattern {ctx.get('pattern')}); no '/', '..' or spaces")
    if kind in ("too_short", "too_long", "string_too_long"):
        return f"panjang di luar batas ({msg})", msg
    if kind in ("literal_error", "enum"):
        return f"nilai {value} tidak diizinkan; pilihan: {ctx.get('expected', '?')}", msg
    return _PYDANTIC_ID.get(kind, "nilai tidak sah") + (f" ({value})" if kind != "missing" else ""), msg
