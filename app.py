"""geozones app: check a spot, check a list, see where APK may go.

Run with ``streamlit run app.py`` (set ``GEOZONES_DATA_DIR`` to the layer folder).
The pages live in ``geozones/app/pages``; this file only wires navigation.
"""

from __future__ import annotations

import streamlit as st

from geozones.app import login, navigation, state
from geozones.app.i18n import t
from geozones.app.text import md_escape

st.set_page_config(page_title="geozones", page_icon="🗺️", layout="wide",
                   initial_sidebar_state="auto")

lang = state.language_toggle(t("app.lang", state.lang()))
nav = st.navigation(navigation.pages(lang))
login.sidebar_status()
with st.sidebar:
    st.caption(md_escape(t("app.tagline", lang)))
    st.caption(md_escape(t("app.disclaimer", lang)))
nav.run()
