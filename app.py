"""geozones app: check a spot, check a list, see where APK may go.

Run with ``streamlit run app.py`` (set ``GEOZONES_DATA_DIR`` to the layer folder).
"""

from __future__ import annotations

import streamlit as st

from geozones.i18n import t
from geozones.ui import state
from geozones.ui.text import md_escape

st.set_page_config(page_title="geozones", page_icon="🗺️", layout="wide",
                   initial_sidebar_state="auto")

lang = state.language_toggle(t("app.lang", state.lang()))

pages = [
    st.Page("app_pages/peta.py", title=t("nav.map", lang), icon=":material/map:", url_path="peta", default=True),
    st.Page("app_pages/cek_daftar.py", title=t("nav.list", lang), icon=":material/checklist:",
            url_path="cek-daftar"),
    st.Page("app_pages/di_mana_boleh.py", title=t("nav.where", lang), icon=":material/explore:",
            url_path="di-mana-boleh"),
    st.Page("app_pages/aturan.py", title=t("nav.rules", lang), icon=":material/gavel:", url_path="aturan"),
]
nav = st.navigation(pages)
with st.sidebar:
    st.caption(md_escape(t("app.tagline", lang)))
    st.caption(md_escape(t("app.disclaimer", lang)))
nav.run()
