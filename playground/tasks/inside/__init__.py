"""The Inside tab: how the answer forms inside BERT and GPT-2, on the same input — logit lens, contextual vs
static embeddings, the KV cache, attribution by three methods, and linear probes with a control task.

`handlers` checks the inputs and runs `lm`'s primitives (written once over the masked/causal readers) for both
models; `probe_data` draws the probes' labelled words from the Pretraining lab's world. Re-exported here with
the result types the tab formats, so the UI reads this package alone.
"""

from playground.lm.influence import InfluenceResult
from playground.lm.inside_results import (CacheLayer, CacheResult, Completeness, EmbeddingResult, LensLayer,
                                          LensResult, ProbeLayer, ProbeResult, Timing)
from playground.tasks.inside.handlers import (ATTRIBUTION_METHODS, DEFAULT_PAIRS, DEFAULT_TEXT, INTEGRATED,
                                              AttributionComparison, CacheComparison, EmbeddingComparison,
                                              LensComparison, ProbeComparison, check_attribution_method,
                                              run_attribution, run_cache, run_embeddings, run_lens, run_probes)
from playground.tasks.inside.probe_data import LABEL_SETS

__all__ = [
    "ATTRIBUTION_METHODS", "AttributionComparison", "CacheComparison", "CacheLayer", "CacheResult", "Completeness",
    "DEFAULT_PAIRS", "DEFAULT_TEXT", "EmbeddingComparison", "EmbeddingResult", "INTEGRATED", "InfluenceResult",
    "LABEL_SETS", "LensComparison", "LensLayer", "LensResult", "ProbeComparison", "ProbeLayer", "ProbeResult",
    "Timing", "check_attribution_method", "run_attribution", "run_cache", "run_embeddings", "run_lens",
    "run_probes",
]
