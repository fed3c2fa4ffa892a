"""Getting layer data: fetch official boundaries, fetch OpenStreetMap places, import files.

Everything here does file and network I/O on purpose; the engine never does.
Each written layer gets a provenance record (source, licence, sha256, date) so
that coverage reports and verdicts can say how old and how trustworthy it is.
"""
