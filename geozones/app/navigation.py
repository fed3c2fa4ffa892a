"""The app's pages, in navigation order, with titles in the session's language."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from geozones.app import login
from geozones.app.i18n import t

PAGES_DIR = Path(__file__).resolve().parent / "pages"


def pages(lang: str) -> list[st.Page]:
    """The public pages: Peta (default), Cek daftar, Di mana boleh?, Aturan."""
    # The map is the default page, served at "/". Streamlit reserves a default page's own path without
    # serving it, so /peta (in shared and bookmarked links) is a hidden page that opens the map with its query.
    home = st.Page(PAGES_DIR / "peta.py", title=t("nav.map", lang), icon=":material/map:", url_path="beranda",
                   default=True)
    return [
        home,
        st.Page(lambda: st.switch_page(home, query_params=st.query_params.to_dict()), title=t("nav.map", lang),
                url_path="peta", visibility="hidden"),
        st.Page(PAGES_DIR / "cek_daftar.py", title=t("nav.list", lang), icon=":material/checklist:",
                url_path="cek-daftar"),
        st.Page(PAGES_DIR / "di_mana_boleh.py", title=t("nav.where", lang), icon=":material/explore:",
                url_path="di-mana-boleh"),
        st.Page(PAGES_DIR / "aturan.py", title=t("nav.rules", lang), icon=":material/gavel:", url_path="aturan"),
        *_casework_pages(lang),
        # Login for KPU and Bawaslu staff (geozones/app/login.py); public pages never need it.
        st.Page(login.login_page, title=login.nav_title(), icon=":material/login:", url_path="masuk"),
        *kpu_pages(lang),
    ]


def kpu_pages(lang: str) -> list[st.Page]:
    """The KPU workspace, listed only for kpu_editor / kpu_publisher sessions (the services authorize anyway)."""
    from geozones.app.kpu_common import is_kpu

    try:
        if not is_kpu(login.current_principal()):
            return []
    except Exception:  # noqa: BLE001 - an expired session or an unset store shows the public pages
        return []
    en = lang == "en"
    return [
        st.Page(PAGES_DIR / "kpu_draf.py", title="KPU: drafts" if en else "KPU: draf", icon=":material/edit:",
                url_path="kpu-draf"),
        st.Page(PAGES_DIR / "kpu_diskresi.py", title="KPU: discretion" if en else "KPU: diskresi",
                icon=":material/approval:", url_path="kpu-diskresi"),
        st.Page(PAGES_DIR / "kpu_riwayat.py", title="KPU: history & audit" if en else "KPU: riwayat & audit",
                icon=":material/history:", url_path="kpu-riwayat"),
    ]


def _casework_pages(lang: str) -> list[st.Page]:
    """The intake form for everyone; the case list and dashboard for Bawaslu (services still authorize)."""
    from geozones.app import casework_view as cv

    def title(key: str) -> str:
        ind, eng = cv.T[key]
        return eng if lang == "en" else ind

    out = [st.Page(PAGES_DIR / "lapor.py", title=title("nav.report"), icon=":material/add_a_photo:",
                   url_path="lapor")]
    if "bawaslu" in cv.principal().roles:
        out += [st.Page(PAGES_DIR / "kasus.py", title=title("nav.cases"), icon=":material/folder_open:",
                        url_path="kasus"),
                st.Page(PAGES_DIR / "dasbor.py", title=title("nav.dashboard"), icon=":material/dashboard:",
                        url_path="dasbor")]
    return out
