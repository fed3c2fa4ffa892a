"""Shared start of every page: language, data context, and a clear message when they cannot be loaded."""

from __future__ import annotations

import logging

import streamlit as st

from geozones.app import context as data
from geozones.app import state
from geozones.app.i18n import t
from geozones.app.messages import show_error
from geozones.app.text import md_escape
from geozones.core.errors import InputError

log = logging.getLogger("geozones.app")


def load_failure(err: InputError) -> str:
    """Which input ``err`` came from: ``"rules"`` (the rule file) or ``"data"`` (manifest, layers).

    The rule file is read again on its own: if that fails, the rule file is at
    fault whatever the layers hold. Called only after loading failed.
    """
    cat = data.catalog()
    try:
        cat.ruleset()
    except InputError:
        return "rules"
    except Exception:  # anything else wrong with the rule file is still the rule file
        log.exception("rule file %s could not be read", cat.rules_path)
        return "rules"
    return "data"


def _load(date_key: str | None):
    """The context in force on the page's date; before its picker is drawn, on the date it will start with.

    A page's date field starts on today, or inside the campaign when today lies outside
    the schedule (:func:`geozones.app.state.default_judged_at`); the first run loads that
    version too, so the rules shown are those of the date shown.
    """
    chosen = data.page_instant(date_key) if date_key else None
    ctx = data.context(chosen or state.now_wib())
    if date_key and chosen is None:
        default, moved = state.default_judged_at(ctx.ruleset.schedule)
        if moved:
            ctx = data.context(default)
    return ctx


def start(date_key: str | None = None):
    """Return ``(lang, ctx)``; stops the page with a message when the rules or data cannot be loaded.

    ``date_key`` names the page's date picker: the rule-set version in force on the
    date it shows is the one loaded (from the store when it publishes one).

    The public sees what is wrong (the rule file, naming the rule and field, or the
    area data) with file names only; the server paths go to the log.
    """
    lang = state.lang()
    try:
        ctx = _load(date_key)
    except InputError as err:
        cat = data.catalog()
        kind = load_failure(err)
        log.error("cannot load the %s (rules: %s, data: %s): %s", kind, cat.rules_path, cat.data_dir, err)
        show_error(err, t("app.rules_error" if kind == "rules" else "app.data_error", lang), lang)
        st.stop()
    absent = [lyr.name for lyr in ctx.layers.absent]
    if absent:
        st.sidebar.caption(md_escape(t("app.absent_layers", lang, names=", ".join(absent))))
    return lang, ctx
