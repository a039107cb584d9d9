"""Pre-download models into the Hugging Face cache, for offline demos:

    python -m playground download                 # the default model of every tab
    python -m playground download gpt2 bert-base-uncased
    python -m playground download --all          # every runnable model in model_cards/

Only the files `from_pretrained` needs are fetched (config, tokenizer, one weights format), with
huggingface_hub's progress bars. Afterwards the app works with HF_HUB_OFFLINE=1.
"""

from __future__ import annotations

from dataclasses import dataclass

from playground.models.cards import CardCatalog, load_catalog
from playground.core.errors import PlaygroundError
from playground.models.loader import fetch_model_files, hub_is_reachable, hub_offline_forced
from playground.models.profiles import default_profile


def default_download_names(catalog: CardCatalog) -> list[str]:
    profile = default_profile(catalog)
    return list(dict.fromkeys(profile.default(task) for task in profile.models))


@dataclass(frozen=True)
class DownloadResult:
    name: str
    path: str


def download(names: list[str], catalog: CardCatalog | None = None, allow_any_model: bool = False) -> list[DownloadResult]:
    catalog = catalog or load_catalog()
    unknown = [n for n in names if not catalog.by_hub_id(n)]
    if unknown and not allow_any_model:
        raise PlaygroundError(f"Not in model_cards/: {', '.join(unknown)}. Pass --allow-any-model to fetch anyway.")
    results = []
    if hub_offline_forced():
        raise PlaygroundError("HF_HUB_OFFLINE is set; unset it to download.")
    if not hub_is_reachable():  # fail in 2 s instead of ~20 s of HTTP retries
        raise PlaygroundError("The Hugging Face Hub is unreachable from this machine; connect to the internet "
                              "(or set HF_ENDPOINT to a mirror) and run this again.")
    for name in names:
        results.append(DownloadResult(name=name, path=fetch_model_files(name)))
    return results
