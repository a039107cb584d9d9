"""The variant chooser on fixed constraints: ranking, trade-off explanation, impossible limits, bad input."""

import pytest

from playground.tasks import measure
from playground.models.cards import METRICS, CardCatalog, load_catalog
from playground.tasks.chooser import (CHOOSER_TASKS, Constraints, choose_variant, choose_with_measurements,
                                      models_to_measure, resolve_task)
from playground.core.errors import PlaygroundError

# Only the issue-5 cards, so these rankings do not move when another tab adds a card.
ISSUE_CARDS = ("bert-base-uncased", "bert-large-uncased", "distilbert-base-uncased", "albert-base-v2", "roberta-base",
               "google--electra-small-discriminator", "huawei-noah--TinyBERT_General_4L_312D", "gpt2", "gpt2-medium")


@pytest.fixture(scope="module")
def catalog() -> CardCatalog:
    return CardCatalog(cards=tuple(c for c in load_catalog().cards if c.slug in ISSUE_CARDS))


def ids(result) -> list[str]:
    return [c.hub_id for c in result.ranked]


def test_qa_ranked_by_published_squad_f1(catalog):
    result = choose_variant(catalog, Constraints(task="qa"))
    assert result.task == "question-answering" and result.metric == "squad-v1.1-f1-dev"
    assert ids(result)[:5] == ["bert-large-uncased", "albert-base-v2", "bert-base-uncased", "distilbert-base-uncased",
                               "huawei-noah/TinyBERT_General_4L_312D"]
    # No published SQuAD v1.1 F1: still candidates, ranked after the scored ones.
    assert set(ids(result)[5:]) == {"google/electra-small-discriminator", "roberta-base"}
    assert "Recommended: BERT large (uncased)" in result.explanation
    assert "Devlin et al. 2018, Table 2" in result.explanation  # the number is cited with its source


def test_limited_resources_answer_cites_the_trade_off(catalog):
    """The interview question: QA on a budget of 70M parameters."""
    result = choose_variant(catalog, Constraints(task="question-answering", max_parameters_m=70))
    assert ids(result)[:3] == ["albert-base-v2", "distilbert-base-uncased", "huawei-noah/TinyBERT_General_4L_312D"]
    rejected = {c.hub_id: c.violations for c in result.rejected}
    assert rejected["bert-base-uncased"] == ("110M parameters > 70M",)  # 109.5M, 3 significant digits
    text = result.explanation
    assert "Recommended: ALBERT base v2" in text and "**90.2**" in text and "google-research/albert README" in text
    assert "needs fine-tuning on SQuAD" in text
    # ALBERT shares weights across 12 layers: fewer parameters than DistilBERT, twice its computation.
    assert "Fewer parameters ≠ faster:** ALBERT base v2 has 17% of the parameters of DistilBERT" in text
    assert "about 2.0x the computation per token (12 layers × 768 vs 6 × 768)" in text


def test_same_compute_warning_when_parameters_mislead(catalog):
    result = choose_variant(catalog, Constraints(task="qa", max_parameters_m=120))
    assert ids(result)[0] == "albert-base-v2"
    assert "of the parameters of BERT base (uncased) but does about as much computation per token" \
        in result.explanation


def test_trade_off_between_best_and_smallest(catalog):
    result = choose_variant(catalog, Constraints(task="sentiment"))
    assert ids(result)[0] == "roberta-base"  # SST-2 dev 94.8
    assert ("**The trade-off:** ALBERT base v2 has 9% of the parameters of RoBERTa base (11.2M vs 125M) and scores "
            "92.9 vs 94.8 on SST-2 accuracy (dev), keeping 98% of it.") in result.explanation


def test_size_and_score_limits_together(catalog):
    result = choose_variant(catalog, Constraints(task="qa", max_parameters_m=20, min_score=85))
    assert ids(result) == ["albert-base-v2"]
    result = choose_variant(catalog, Constraints(task="qa", max_size_mb=60, min_score=80, prefer="size"))
    assert ids(result) == ["albert-base-v2", "huawei-noah/TinyBERT_General_4L_312D"]  # 45 MB, 57 MB


def test_impossible_constraints_say_so_and_name_the_closest(catalog):
    result = choose_variant(catalog, Constraints(task="qa", max_parameters_m=10))
    assert result.nothing_fits and result.ranked == ()
    assert result.closest[0].hub_id == "albert-base-v2"  # 11.2M: the smallest miss
    assert result.closest[0].violations == ("11.2M parameters > 10M",)
    assert result.explanation.startswith("**Nothing fits all the constraints.**")
    assert "What comes closest" in result.explanation and "ALBERT base v2" in result.explanation

    result = choose_variant(catalog, Constraints(task="qa", min_score=95))
    assert result.nothing_fits
    assert result.closest[0].hub_id == "bert-large-uncased"  # 90.9: nearest to 95
    assert "SQuAD v1.1 F1 (dev) 90.9 < 95" in result.closest[0].violations


def test_lower_is_better_metric(catalog):
    result = choose_variant(catalog, Constraints(task="generation", metric="wikitext103-ppl"))
    assert ids(result) == ["gpt2-medium", "gpt2"] and not result.higher_is_better
    result = choose_variant(catalog, Constraints(task="generation", metric="wikitext103-ppl", min_score=30))
    assert ids(result) == ["gpt2-medium"]  # perplexity 26.37 <= 30; GPT-2 small's 37.50 is not


def test_measured_latency_limit(catalog):
    latencies = {"albert-base-v2": 90.0, "distilbert-base-uncased": 45.0, "huawei-noah/TinyBERT_General_4L_312D": 8.0,
                 "google/electra-small-discriminator": 12.0, "bert-base-uncased": 95.0}
    c = Constraints(task="qa", max_parameters_m=120, max_latency_ms=50)
    result = choose_variant(catalog, c, latencies)
    assert ids(result) == ["distilbert-base-uncased", "huawei-noah/TinyBERT_General_4L_312D",
                           "google/electra-small-discriminator"]
    rejected = {x.hub_id: x.violations for x in result.rejected}
    assert rejected["albert-base-v2"] == ("90 ms > 50 ms measured",)
    # Over the parameter limit, and never measured (it was not given a latency): both reasons, in that order.
    assert rejected["roberta-base"] == ("125M parameters > 120M", "latency not measured on this machine")
    fastest = choose_variant(catalog, Constraints(task="qa", max_parameters_m=120, prefer="latency"), latencies)
    assert ids(fastest)[0] == "huawei-noah/TinyBERT_General_4L_312D"


def test_fill_mask_has_no_benchmark_and_ranks_by_size(catalog):
    result = choose_variant(catalog, Constraints(task="fill-mask", max_size_mb=300))
    assert ids(result) == ["albert-base-v2", "distilbert-base-uncased"]
    assert result.metric is None and "no comparable published benchmark" in result.explanation


def test_fine_tuned_checkpoints_only_for_their_own_task():
    full = load_catalog()
    qa = ids(choose_variant(full, Constraints(task="qa")))
    sentiment = ids(choose_variant(full, Constraints(task="sentiment")))
    for card in full.runnable():
        if card.is_fine_tuned and "question-answering" not in card.tasks:
            assert card.hub_id not in qa
        if card.is_fine_tuned and "sentiment" not in card.tasks:
            assert card.hub_id not in sentiment


@pytest.mark.parametrize("constraints, message", [
    (Constraints(task="translation"), "Unknown task 'translation'. Choose one of: question-answering"),
    (Constraints(task=""), "Unknown task"),
    (Constraints(task="qa", metric="glue-dev"), "does not apply to question-answering"),
    (Constraints(task="qa", max_parameters_m=-5), "Max parameters"),
    (Constraints(task="qa", max_latency_ms="fast"), "Max latency"),
    (Constraints(task="qa", prefer="cheapest"), "Rank by must be one of"),
    (Constraints(task="fill-mask", min_score=80), "no comparable published benchmark"),
])
def test_bad_input_is_explained(catalog, constraints, message):
    with pytest.raises(PlaygroundError, match=message.replace("(", r"\(").replace(")", r"\)")):
        choose_variant(catalog, constraints)


def test_zero_means_no_limit(catalog):
    assert ids(choose_variant(catalog, Constraints(task="qa", max_parameters_m=0, min_score=0))) == \
        ids(choose_variant(catalog, Constraints(task="qa")))


def test_task_aliases():
    assert resolve_task("QA").key == "question-answering"
    assert resolve_task("text-generation").key == "generation"
    assert resolve_task("sentiment-analysis").key == "sentiment"


def test_latency_limit_measures_candidates_in_batches(catalog):
    """Each request measures at most 4 not-yet-measured candidates; asking again measures the rest."""
    measure.clear_cache()
    c = Constraints(task="qa", max_parameters_m=130, max_latency_ms=10_000)
    todo = models_to_measure(catalog, c)
    assert len(todo) == 6 and "bert-large-uncased" not in todo  # 335M fails the size limit: never measured
    first, report = choose_with_measurements(catalog, c, tiny=True)
    assert len(report.measurements) == 4 and len(report.not_measured) == 2
    assert first.nothing_fits is False and len(first.ranked) == 4
    second, report = choose_with_measurements(catalog, c, tiny=True)
    assert [m.hub_id for m in report.measurements] == list(report_ids := todo[4:]) and report_ids
    assert len(second.ranked) == 6 and all(x.latency_ms is not None for x in second.ranked)
    third, report = choose_with_measurements(catalog, c, tiny=True)
    assert report is None and len(third.ranked) == 6  # everything cached now


def _every_choice():
    for task in CHOOSER_TASKS.values():
        for metric in task.metrics or (None,):
            yield task.key, metric


@pytest.mark.parametrize("task, metric", list(_every_choice()))
def test_never_ranks_across_kinds_or_splits(task, metric):
    """Every ranked score is exactly the chosen metric's kind and split (an official GLUE score is never ranked
    against a paper's own average, dev never against test), read from the card it came from."""
    full = load_catalog()
    result = choose_variant(full, Constraints(task=task, metric=metric))
    if metric is None:
        assert all(c.score is None for c in result.ranked)
        return
    wanted = METRICS[metric]
    assert result.compared.startswith(wanted.kind_label)
    for c in result.ranked + result.rejected:
        if c.score is None:
            continue
        bench = next(b for b in full.by_hub_id(c.hub_id).benchmarks if b.name == c.score_name)
        assert (bench.kind, bench.split, bench.value) == (wanted.kind, wanted.split, c.score)
        assert c.score_kind == wanted.kind_label


def test_glue_official_and_paper_averages_are_not_ranked_together(catalog):
    result = choose_variant(catalog, Constraints(task="classification", metric="glue-test"))
    scored = {c.hub_id: c.score for c in result.ranked if c.score is not None}
    assert scored == {"bert-large-uncased": 80.5}  # the only official GLUE score among these cards
    assert ids(result)[0] == "bert-large-uncased"
    # Cards with only their own papers' averages are named, with the numbers they do publish, and not ranked on it.
    text = result.explanation
    assert "**Compared like for like:** only GLUE score (official, test server) numbers (official, test)" in text
    assert "BERT base (uncased): GLUE average without WNLI (test; Devlin et al. 2018, Table 1) 79.6 " \
           "(paper-average, test)" in text
    assert "TinyBERT 4-layer, 312-wide (general distillation): GLUE average (test; Jiao et al. 2019, Table 1) 77" in text
    assert "ELECTRA small (discriminator): GLUE average (test; google-research/electra README) 77.4" in text
    assert result.compared.startswith("official, test: the benchmark's own score")


def test_paper_averages_are_ranked_only_within_their_own_table(catalog):
    bert_table = choose_variant(catalog, Constraints(task="classification", metric="glue-test-avg"))
    assert {c.hub_id: c.score for c in bert_table.ranked if c.score is not None} == {
        "bert-large-uncased": 82.1, "bert-base-uncased": 79.6}
    distilbert_table = choose_variant(catalog, Constraints(task="classification"))  # default: glue-dev
    assert distilbert_table.metric == "glue-dev"
    assert {c.hub_id: c.score for c in distilbert_table.ranked if c.score is not None} == {
        "bert-base-uncased": 79.5, "distilbert-base-uncased": 77.0}
    # ELECTRA's 77.4 and TinyBERT's 77.0 are each their own authors' average: in neither ranking.
    for result in (bert_table, distilbert_table):
        assert not any(c.score is not None and c.hub_id in ("google/electra-small-discriminator",
                                                            "huawei-noah/TinyBERT_General_4L_312D")
                       for c in result.ranked)


def test_a_different_measure_of_the_same_benchmark_is_named_not_ranked(catalog):
    result = choose_variant(catalog, Constraints(task="qa"))
    electra = next(c for c in result.ranked if c.hub_id == "google/electra-small-discriminator")
    assert electra.score is None and electra.other_numbers == ("SQuAD v1.1 EM (dev) 75.8 (task, dev)",)
    assert "ELECTRA small (discriminator): SQuAD v1.1 EM (dev) 75.8 (task, dev)" in result.explanation
