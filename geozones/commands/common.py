"""What the commands share: loading the rule set and its layers from arguments."""

from __future__ import annotations

import argparse
from pathlib import Path

from geozones.layers import LayerSet, load_rules_and_layers
from geozones.ruleset import DEFAULT_RULES, RuleSet


def rules_path(args: argparse.Namespace) -> Path:
    """The rule set named by ``--rules``, or the default one."""
    return Path(args.rules) if getattr(args, "rules", None) else DEFAULT_RULES


def load_context(args: argparse.Namespace) -> tuple[RuleSet, LayerSet]:
    """Load and cross-check the rule set and the layers of its area."""
    return load_rules_and_layers(rules_path(args), getattr(args, "data_dir", None))
