"""Streamlit glue: the only package (with ``app.py``) that imports streamlit or folium."""
