"""Shared vocabulary: errors, verdicts, APK types, WIB time, CRS and column names. Imports nothing of geozones."""
