"""The rule engine: pure functions from sites, rules and layers to explained verdicts.

No file, network or database access happens here, and nothing here imports
streamlit: :func:`evaluate` takes frames and returns frames.
"""

from geozones.engine.compile import PreparedRules, prepare
from geozones.engine.evaluate import evaluate, evaluate_detailed
from geozones.engine.explain import Evaluation, explain
from geozones.engine.judge import Judgement, judge

__all__ = ["Evaluation", "Judgement", "PreparedRules", "evaluate", "evaluate_detailed", "explain", "judge",
           "prepare"]
