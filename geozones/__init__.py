"""geozones: where campaign props (APK) may stand, with reasons that cite the law."""

__version__ = "0.1.0"
