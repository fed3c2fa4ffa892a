"""A "use my location" button: the phone's (or browser's) position, through the Geolocation API.

Built on Streamlit's own component API (``st.components.v2``), so nothing is
fetched from a CDN and no component package is needed. The browser asks the
user's permission; it answers only on a secure origin (HTTPS, or localhost).
Positions come back in EPSG:4326 degrees with the device's stated accuracy in
metres.
"""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

# The label is set with textContent, never as HTML.
_JS = """
export default function (component) {
  const { data, setTriggerValue, parentElement } = component;
  let button = parentElement.querySelector("button");
  if (!button) {
    button = document.createElement("button");
    button.type = "button";
    button.setAttribute("data-testid", "geozones-locate");
    parentElement.appendChild(button);
  }
  button.textContent = data.label;
  button.onclick = () => {
    if (!navigator.geolocation) {
      setTriggerValue("position", { error: "unsupported" });
      return;
    }
    button.disabled = true;
    navigator.geolocation.getCurrentPosition(
      (p) => {
        button.disabled = false;
        setTriggerValue("position", { lat: p.coords.latitude, lon: p.coords.longitude,
                                      accuracy: p.coords.accuracy });
      },
      (e) => {
        button.disabled = false;
        setTriggerValue("position", { error: e.code === 1 ? "denied" : (e.code === 3 ? "timeout" : "unavailable") });
      },
      { enableHighAccuracy: true, timeout: 20000, maximumAge: 0 });
  };
}
"""

_CSS = """
button {
  font: inherit; padding: 0.35rem 0.8rem; border-radius: 0.5rem; cursor: pointer;
  border: 1px solid var(--st-border-color, rgba(49, 51, 63, 0.2));
  background: var(--st-secondary-background-color, #fff); color: var(--st-text-color, inherit);
}
button:disabled { opacity: 0.6; cursor: progress; }
"""

_COMPONENT = st.components.v2.component("geozones_geolocate", js=_JS, css=_CSS)


@dataclass(frozen=True)
class Located:
    """What the browser answered: a position, or why there is none.

    Attributes
    ----------
    lat, lon : float or None
        Degrees, EPSG:4326.
    accuracy_m : float or None
        Radius of the device's stated 68 % confidence, in metres.
    error : str or None
        ``"denied"`` (the user refused), ``"unavailable"``, ``"timeout"`` or
        ``"unsupported"`` (no Geolocation API).
    """

    lat: float | None = None
    lon: float | None = None
    accuracy_m: float | None = None
    error: str | None = None


def locate_button(label: str, *, key: str) -> Located | None:
    """Show the button; return the position on the run its answer triggers, else None."""
    result = _COMPONENT(data={"label": label}, key=key, on_position_change=lambda: None)
    answer = getattr(result, "position", None)
    if not isinstance(answer, dict):
        return None
    if answer.get("error"):
        return Located(error=str(answer["error"]))
    try:
        return Located(float(answer["lat"]), float(answer["lon"]), float(answer.get("accuracy") or 0) or None)
    except (KeyError, TypeError, ValueError):
        return Located(error="unavailable")
