"""The app's pages, in navigation order, with titles in the session's language."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from geozones.app import login
from geozones.app.i18n import t

PAGES_DIR = Path(__file__).resolve().parent / "pages"


def pages(lang: str) -> list[st.Page]:
    """The public pages: Peta (default), Cek daftar, Di mana boleh?, Aturan."""
    return [
        st.Page(PAGES_DIR / "peta.py", title=t("nav.map", lang), icon=":material/map:", url_path="peta",
                default=True),
        st.Page(PAGES_DIR / "cek_daftar.py", title=t("nav.list", lang), icon=":material/checklist:",
                url_path="cek-daftar"),
        st.Page(PAGES_DIR / "di_mana_boleh.py", title=t("nav.where", lang), icon=":material/explore:",
                url_path="di-mana-boleh"),
        st.Page(PAGES_DIR / "aturan.py", title=t("nav.rules", lang), icon=":material/gavel:", url_path="aturan"),
        # Login for KPU and Bawaslu staff (geozones/app/login.py); public pages never need it.
        st.Page(login.login_page, title=login.nav_title(), icon=":material/login:", url_path="masuk"),
    ]
