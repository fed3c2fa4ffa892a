"""What the KPU pages share: the session's account, the store, refusals shown in both languages.

Hiding these pages from other roles is a convenience; every call they make goes
through the services, which authorize it again (issue 9 §5).
"""

from __future__ import annotations

import streamlit as st

from geozones.app import login
from geozones.app.state import lang
from geozones.app.text import md_escape
from geozones.core.errors import InputError
from geozones.services.authz import Action, Principal, can

__all__ = ["KPU_ROLES", "fail", "is_kpu", "ruleset_choice", "session", "tr"]

#: Roles that see the KPU pages.
KPU_ROLES = frozenset({"kpu_editor", "kpu_publisher"})


def tr(id_text: str, en_text: str) -> str:
    """One text in the session's language."""
    return id_text if lang() == "id" else en_text


def is_kpu(principal: Principal) -> bool:
    """Whether ``principal`` holds a KPU role."""
    return bool(KPU_ROLES & principal.roles)


def session(action: Action = Action.EDIT_RULES):
    """``(store, principal)`` of this session; stops the page when nobody with ``action`` is logged in."""
    try:
        store = login._store_or_none()
        principal = login.current_principal()
    except InputError as err:
        st.error(md_escape(str(err)))
        st.stop()
    if store is None:
        st.info(tr("Basis data belum disiapkan.", "The store is not set up yet."))
        st.stop()
    if not can(principal, action):
        st.warning(tr("Halaman ini untuk staf KPU: masuk dulu.", "This page is for KPU staff: log in first."))
        st.stop()
    return store, principal


def fail(err: InputError) -> None:
    """Show a refusal from a service (every line escaped)."""
    st.error(md_escape(str(err)).replace("\n", "  \n"))


def ruleset_choice(store, key: str) -> str | None:
    """A select box of the store's rule sets; None when there is none."""
    from geozones.services.store_catalog import StoreCatalog

    ids = StoreCatalog(store).ruleset_ids()
    if not ids:
        st.info(tr("Belum ada aturan di basis data (geozones rules import).",
                   "No rule set in the store yet (geozones rules import)."))
        return None
    # A stack holds national, province and kota levels: KPU Kota edits its own level, so it comes first.
    from geozones.rules.model import DEFAULT_RULES, load_ruleset

    default_id = load_ruleset(DEFAULT_RULES, resolve=False).id
    ids = sorted(ids, key=lambda i: i != default_id)
    return st.selectbox(tr("Aturan", "Rule set"), ids, key=key)
