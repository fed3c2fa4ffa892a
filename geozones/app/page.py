"""Shared start of every page: language, data context, and a clear message when data is missing."""

from __future__ import annotations

import streamlit as st

from geozones.app import context as data
from geozones.app import state
from geozones.app.i18n import t
from geozones.app.text import md_escape
from geozones.core.errors import InputError


def start():
    """Return ``(lang, ctx)``; stops the page with a message when the data cannot be loaded."""
    lang = state.lang()
    try:
        ctx = data.context()
    except InputError as err:
        st.error(md_escape(t("app.data_missing", lang, path=data.catalog().data_dir)) + "  \n" + md_escape(err))
        st.stop()
    absent = [lyr.name for lyr in ctx.layers.absent]
    if absent:
        st.sidebar.caption(md_escape(t("app.absent_layers", lang, names=", ".join(absent))))
    return lang, ctx
