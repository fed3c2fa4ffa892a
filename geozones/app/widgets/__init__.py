"""Widgets shared by the app pages: the map, the verdict panel, uploads."""
