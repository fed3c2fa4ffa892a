"""Area manifests and the LayerSet type. Reading layer files lives in :mod:`geozones.io.layers`."""
