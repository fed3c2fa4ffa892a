"""What the commands share: loading the rule set and its layers from arguments."""

from __future__ import annotations

import argparse
from pathlib import Path

from geozones.layers import LayerSet, load_layers, load_manifest
from geozones.ruleset import DEFAULT_RULES, RuleSet, load_ruleset


def rules_path(args: argparse.Namespace) -> Path:
    """The rule set named by ``--rules``, or the default one."""
    return Path(args.rules) if getattr(args, "rules", None) else DEFAULT_RULES


def load_context(args: argparse.Namespace) -> tuple[RuleSet, LayerSet]:
    """Load and cross-check the rule set and the layers of its area."""
    path = rules_path(args)
    # Validate the file alone first so its own errors come before manifest ones.
    ruleset = load_ruleset(path)
    manifest = load_manifest(ruleset.area)
    ruleset = load_ruleset(path, known_layers=manifest.layer_names)
    layers = load_layers(manifest, getattr(args, "data_dir", None))
    return ruleset, layers
