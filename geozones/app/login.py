"""Who is using the app: the built-in accounts' login form and single sign-on through ``st.login``.

Public pages never call this module, so the map works with no database at all.
The built-in login keeps a session token in ``st.session_state``: it lasts for the
browser tab (Streamlit sets no cookies of its own). A single sign-on login
(``st.login``, OpenID Connect, configured under ``[auth]`` in
``.streamlit/secrets.toml``) survives a reload; its roles come only from
geozones' own grants (``geozones users grant EMAIL --role R --sso``): an identity
with no grant is public. The principal is looked up again on every call, never
cached, so a revoked grant or a disabled account takes effect at once.
"""

from __future__ import annotations

import streamlit as st

from geozones.app.state import lang
from geozones.app.text import md_escape
from geozones.core.errors import InputError
from geozones.services.authz import PUBLIC, Principal

__all__ = ["TOKEN_KEY", "current_principal", "login_page", "sidebar_status", "sso_configured"]

TOKEN_KEY = "geozones_login_token"

_TEXT = {
    "title": ("Masuk", "Log in"),
    "intro": ("Halaman publik (peta, cek daftar, aturan) tidak perlu masuk. Petugas KPU dan Bawaslu masuk di sini.",
              "Public pages (map, list check, rules) need no login. KPU and Bawaslu staff log in here."),
    "name": ("Nama akun", "Account name"),
    "password": ("Kata sandi", "Password"),
    "submit": ("Masuk", "Log in"),
    "sso": ("Masuk dengan SSO instansi", "Log in with institutional SSO"),
    "logout": ("Keluar", "Log out"),
    "as": ("Masuk sebagai", "Logged in as"),
    "roles": ("Peran", "Roles"),
    "public": ("publik (belum ada peran)", "public (no role granted)"),
    "tab": ("Login akun bawaan berlaku selama tab peramban ini terbuka.",
            "A built-in login lasts as long as this browser tab."),
    "no_store": ("Basis data belum disiapkan: buat admin pertama dengan `geozones users add NAMA --role admin`.",
                 "The store is not set up yet: create the first admin with `geozones users add NAME --role admin`."),
}


def _t(key: str) -> str:
    i, e = _TEXT[key]
    return i if lang() == "id" else e


@st.cache_resource(show_spinner=False)
def _open(url: str):
    from geozones.store.database import open_store

    return open_store(url)


def _store():
    from geozones.store.database import database_url

    return _open(database_url())


def _store_or_none():
    from geozones.store.database import store_exists

    if not store_exists():
        return None
    return _store()


def sso_configured() -> bool:
    """Whether ``[auth]`` is configured in ``.streamlit/secrets.toml``."""
    try:
        return "auth" in st.secrets
    except Exception:  # noqa: BLE001 - no secrets file at all raises; that means "not configured"
        return False


def _sso_logged_in() -> bool:
    try:
        return bool(st.user.is_logged_in)
    except Exception:  # noqa: BLE001 - st.user without auth configured
        return False


def current_principal() -> Principal:
    """The principal of this browser session (:data:`PUBLIC` when nobody is logged in)."""
    store = None
    if _sso_logged_in():
        store = _store_or_none()
        if store is None:
            return PUBLIC
        from geozones.services.accounts import principal_for_sso

        return principal_for_sso(store, email=st.user.get("email"), issuer=st.user.get("iss"),
                                 subject=st.user.get("sub"))
    token = st.session_state.get(TOKEN_KEY)
    if not token:
        return PUBLIC
    store = _store_or_none()
    if store is None:
        return PUBLIC
    from geozones.services.accounts import principal_from_token

    return principal_from_token(store, token)


def _roles(p: Principal) -> str:
    return ", ".join(g.role + (f" ({g.scope})" if g.scope else "") for g in p.grants)


def _show_principal(p: Principal) -> None:
    roles = md_escape(_roles(p)) or _t("public")
    st.success(f"{_t('as')} **{md_escape(p.name)}** · {_t('roles')}: {roles}")


def login_page() -> None:
    """The ``Masuk`` page: who is logged in, the built-in form, and the SSO button when configured."""
    st.title(_t("title"))
    st.caption(_t("intro"))
    try:
        principal = current_principal()
    except InputError as err:
        st.error(md_escape(str(err)))
        return
    if _sso_logged_in():
        _show_principal(principal)
        if st.button(_t("logout"), key="sso_logout"):
            st.logout()
        return
    if st.session_state.get(TOKEN_KEY) and principal is not PUBLIC:
        _show_principal(principal)
        st.caption(_t("tab"))
        if st.button(_t("logout"), key="logout"):
            from geozones.services.accounts import logout

            logout(_store(), st.session_state.pop(TOKEN_KEY))
            st.rerun()
        return
    st.session_state.pop(TOKEN_KEY, None)
    if sso_configured():
        if st.button(_t("sso"), key="sso_login", type="primary"):
            st.login()
    try:
        store = _store_or_none()
    except InputError as err:
        st.error(md_escape(str(err)))
        return
    if store is None:
        st.info(_t("no_store"))
        return
    with st.form("login"):
        name = st.text_input(_t("name"), key="login_name")
        password = st.text_input(_t("password"), type="password", key="login_password")
        submitted = st.form_submit_button(_t("submit"))
    if submitted:
        from geozones.services.accounts import login

        try:
            token, _ = login(store, name.strip(), password)
        except InputError as err:
            st.error(md_escape(str(err)))
            return
        st.session_state[TOKEN_KEY] = token
        st.rerun()
    st.caption(_t("tab"))


def _logout_token() -> None:
    """on_click of the sidebar's logout: end the session in the store before the run draws the navigation."""
    token = st.session_state.pop(TOKEN_KEY, None)
    if token:
        from geozones.services.accounts import logout

        logout(_store(), token)


def sidebar_status() -> None:
    """In the sidebar: "Masuk sebagai NAME (roles)" and a logout button, when someone is logged in.

    Nothing is drawn for the public. A built-in login is ended through
    :func:`geozones.services.accounts.logout` (the token is revoked in the store, not
    only forgotten by the tab); a single sign-on login through ``st.logout``.
    """
    try:
        principal = current_principal()
    except InputError:  # an expired or revoked session: the login page says why
        return
    sso = _sso_logged_in()
    if principal is PUBLIC or not principal.name or not (sso or st.session_state.get(TOKEN_KEY)):
        return
    roles = _roles(principal) or _t("public")
    st.sidebar.markdown(f"{_t('as')} **{md_escape(principal.name)}** ({md_escape(roles)})")
    if sso:
        if st.sidebar.button(_t("logout"), key="sidebar_sso_logout", icon=":material/logout:"):
            st.logout()
    else:
        st.sidebar.button(_t("logout"), key="sidebar_logout", icon=":material/logout:", on_click=_logout_token)


def nav_title() -> str:
    """The login page's title in the session's language."""
    return _t("title")
