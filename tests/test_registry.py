"""The task registry, the model cards, the profiles and the tiny build say the same thing."""

import pytest
import transformers

from playground.models.architectures import SPECS, auto_class_name, supports_head
from playground.models.cards import load_catalog
from playground.models.profiles import default_profile, tiny_profile
from playground.models.registry import HEADS, LOADABLE_TASKS, TASKS, TINY_STAND_INS, card_for
from playground.models.tiny import tiny_paths
from playground.tasks.chooser import CHOOSER_TASKS
from playground.core.errors import PlaygroundError


@pytest.fixture(scope="module")
def catalog():
    return load_catalog()


@pytest.mark.parametrize("task", TASKS.values(), ids=lambda t: t.key)
def test_every_auto_class_exists_in_transformers(task):
    if task.auto_class is not None:
        assert hasattr(transformers, task.auto_class), task.auto_class


@pytest.mark.parametrize("task", [t for t in TASKS.values() if t.default_model], ids=lambda t: t.key)
def test_every_default_model_has_a_card_listing_its_task(catalog, task):
    card = catalog.by_hub_id(task.default_model)
    assert card is not None and card.runnable, f"no runnable card for {task.default_model}"
    assert task.key in card.tasks


@pytest.mark.parametrize("task", [t for t in TASKS.values() if t.tiny_models], ids=lambda t: t.key)
def test_every_tiny_model_stands_in_for_a_card_listing_its_task(catalog, task):
    for name in task.tiny_models:
        card = card_for(catalog, name)
        assert card is not None, f"{name} stands in for no card"
        assert task.key in card.tasks, f"{name} stands in for {card.hub_id}, whose card does not list {task.key}"


def test_tiny_build_holds_exactly_the_stand_ins(tiny_dir):
    built = {p.name for p in tiny_dir.iterdir() if p.is_dir() and not p.name.startswith(".")}
    assert built == set(TINY_STAND_INS)
    assert all((path / "config.json").exists() for path in tiny_paths(tiny_dir).values())
    used = {name for task in TASKS.values() for name in task.tiny_models}
    assert used == set(TINY_STAND_INS), "every tiny model serves some task"


def test_a_task_runs_everywhere_or_nowhere():
    """A task with a tab has both a default model and a tiny stand-in; a measured-only head has neither."""
    for task in TASKS.values():
        assert bool(task.default_model) == bool(task.tiny_models), task.key
        if task.default_model:
            assert task.loadable and task.auto_class, task.key


def test_profiles_come_from_the_registry(catalog):
    default, tiny = default_profile(catalog), tiny_profile()
    runs = [t.key for t in TASKS.values() if t.default_model]
    assert list(default.models) == runs and list(tiny.models) == runs
    for key in runs:
        assert default.default(key) == TASKS[key].default_model
        assert tiny.choices(key) == list(TASKS[key].tiny_models)
        # Other choices are exactly the runnable cards that list the task.
        listed = {c.hub_id for c in catalog.for_task(key)}
        assert set(default.choices(key)) == listed | {TASKS[key].default_model}


def test_cards_list_only_loadable_tasks(catalog):
    for card in catalog.runnable():
        assert set(card.tasks) <= set(LOADABLE_TASKS), card.slug


def test_the_choosers_tasks_map_onto_registry_heads():
    for chooser_task in CHOOSER_TASKS.values():
        assert chooser_task.head in HEADS, chooser_task.key
        if chooser_task.needs_ready:  # a ready checkpoint must be something the playground can load
            assert TASKS[chooser_task.head].loadable, chooser_task.key


def test_heads_build_through_the_registry():
    assert auto_class_name("bert-base-uncased", "question-answering") == TASKS["question-answering"].auto_class
    assert auto_class_name("bert-base-uncased") == SPECS["bert-base-uncased"].auto_class
    assert supports_head("gpt2", "text-generation") and not supports_head("google/pegasus-xsum", "question-answering")
    with pytest.raises(PlaygroundError, match="Unknown head"):
        auto_class_name("bert-base-uncased", "tokenizer-only")  # a task without a head
