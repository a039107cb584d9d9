"""Command line: `python -m playground download [names…]`, `python -m playground tiny` and
`python -m playground pretrain [options]` (the Pretraining lab, from the terminal), `python -m playground road`
(regenerate the "RNN → Transformer" tab's shipped results) and `python -m playground assistant`
(GPT → Assistant's shipped checkpoints)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from playground.core.errors import PlaygroundError
from playground.models.cards import load_catalog
from playground.models.download import default_download_names, download
from playground.models.tiny import build_tiny_models
from playground.tasks.lab import pretrain as lab
from playground.tasks.lab.corpus import choose_corpus
from playground.tasks.lab.networks import DEFAULT_PRESET, PRESETS
from playground.tasks.road.handlers import regenerate_shipped
from playground.tasks import assistant as assistant_tasks  # its training modules are imported on first use
from playground.tasks.assistant.shipped import ASSISTANT_DIR
from playground.tasks import lab as lab_package  # its heavy modules load on first use (core/lazy.py)


def _download_epilog() -> str:
    """The downloadable models with their approximate size, read from model_cards/."""
    catalog = load_catalog()
    defaults = set(default_download_names(catalog))
    rows = [f"  {c.hub_id:<52} {c.size_mb / 1000:5.2f} GB{'  (default)' if c.hub_id in defaults else ''}"
            for c in catalog.runnable() if c.hub_id and c.size_mb]
    return ("models (approximate size of the float32 weights; no name = the defaults, --all = every one):\n"
            + "\n".join(rows) + "\n\nexample: python -m playground download gpt2 bert-base-uncased")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m playground")
    commands = parser.add_subparsers(dest="command", required=True)
    dl = commands.add_parser(
        "download", help="pre-download models into the Hugging Face cache for offline use",
        description="Pre-download models into the Hugging Face cache (~/.cache/huggingface/hub, or $HF_HOME/hub; "
                    "$HF_HUB_CACHE wins over both), so that `HF_HUB_OFFLINE=1 python app.py` works with no network. "
                    "Only the files from_pretrained needs are fetched: config, tokenizer and one weights format.",
        epilog=_download_epilog(), formatter_class=argparse.RawDescriptionHelpFormatter)
    dl.add_argument("names", nargs="*", help="Hub ids (default: the default model of every tab)")
    dl.add_argument("--all", action="store_true", help="every runnable model in model_cards/")
    dl.add_argument("--allow-any-model", action="store_true", help="also models without a card")
    commands.add_parser("tiny", help="(re)build the tiny offline models from scratch and print where they are")
    add_pretrain_parser(commands)
    commands.add_parser("road", help="rerun the RNN → Transformer tab's four default measurements (5 seeds each, "
                                     "a few minutes per measurement on 2 cores) and rewrite its shipped results")
    shipped = commands.add_parser("assistant", help="run GPT → Assistant's default SFT → reward model → DPO on the "
                                                    "lab models and save lab-gpt-sft, lab-gpt-dpo and lab-reward")
    shipped.add_argument("--out", default=None, help="the folder to write (default: the shipped one, "
                                                     "playground/models/lab_pretrained/assistant)")
    args = parser.parse_args(argv)
    if args.command == "assistant":
        target = args.out or ASSISTANT_DIR
        assistant_tasks.ship.ship_default_run(target)
        return 0
    if args.command == "pretrain":
        return pretrain_command(args)
    if args.command == "road":
        regenerate_shipped(say=lambda line: print(line, flush=True))
        return 0

    if args.command == "tiny":
        try:
            paths = build_tiny_models(force=True)  # always from scratch: also repairs a broken cache
        except PlaygroundError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        for name, path in paths.items():
            print(f"{name}\t{path}")
        return 0

    catalog = load_catalog()
    if args.all:
        names = [c.hub_id for c in catalog.runnable() if c.hub_id]
    else:
        names = args.names or default_download_names(catalog)
    unknown = [n for n in names if not catalog.by_hub_id(n)]
    if unknown and not args.allow_any_model:  # refuse before announcing anything
        known = ", ".join(c.hub_id for c in catalog.runnable() if c.hub_id)
        print(f"error: not in model_cards/: {', '.join(unknown)}. Known models: {known}. "
              "Pass --allow-any-model to fetch another Hub model anyway.", file=sys.stderr)
        return 2
    sizes = [catalog.by_hub_id(n).size_mb for n in names if catalog.by_hub_id(n) and catalog.by_hub_id(n).size_mb]
    total = f" (about {sum(sizes) / 1000:.1f} GB as float32 weights)" if sizes else ""
    print(f"Downloading {len(names)} model(s){total}: {', '.join(names)}")
    try:
        for result in download(names, catalog, allow_any_model=args.allow_any_model):
            print(f"✓ {result.name} → {result.path}")
    except PlaygroundError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:  # network errors: say what failed, not a traceback
        print(f"error: download failed ({type(exc).__name__}: {exc}). Is the Hugging Face Hub reachable?",
              file=sys.stderr)
        return 1
    print("Done. The app now works offline with these models (HF_HUB_OFFLINE=1 python app.py).")
    return 0


def add_pretrain_parser(commands) -> None:
    p = commands.add_parser("pretrain", help="train the lab's small BERT, GPT and LSTM and save them as lab-bert / "
                                             "lab-gpt (the default settings reproduce the pair shipped in the repo)")
    p.add_argument("--preset", choices=list(PRESETS), default=DEFAULT_PRESET, help="model size")
    p.add_argument("--steps", type=int, default=lab.DEFAULT_STEPS, help="optimiser steps per model")
    p.add_argument("--time-budget", type=float, default=lab.DEFAULT_TIME_BUDGET_S,
                   help="stop after this many seconds even if steps remain (nothing is saved then)")
    p.add_argument("--seq-len", type=int, default=lab.DEFAULT_SEQ_LEN, help="tokens per training block")
    p.add_argument("--lr", type=float, default=lab.DEFAULT_LEARNING_RATE, help="peak learning rate")
    p.add_argument("--seed", type=int, default=lab.DEFAULT_SEED)
    p.add_argument("--corpus", default=None, help="a UTF-8 .txt file to train on (default: the built-in corpus)")
    p.add_argument("--lab-dir", default=None, help="lab models folder (default: $PLAYGROUND_LAB_DIR or "
                                                   "~/.cache/bert-gpt-playground/lab)")
    p.add_argument("--out", default=None, help="write the run into this folder instead (e.g. to refresh "
                                               "playground/models/lab_pretrained); the lab folder is untouched")
    p.add_argument("--report", action="store_true", help="afterwards, run the direction test and the fine-tuning "
                                                         "curve on the new models and print them")
    p.add_argument("--heads", action="store_true",
                   help="afterwards, train the lab heads (lab-sentiment, lab-nsp, lab-electra, lab-qa: lab-bert "
                        "fine-tuned on the lab world, 0.5–2.5 min each; lab-summarizer: a small Pegasus of its own) and "
                        "add them to the run with their held-out scores")
    p.add_argument("--run", default=None,
                   help="with --heads: skip pre-training and add the heads to this finished run folder instead "
                        "(e.g. playground/models/lab_pretrained to refresh the shipped heads)")
    p.add_argument("--only", nargs="+", default=None, metavar="HEAD",
                   help="with --heads: train only these heads (e.g. lab-summarizer: a small Pegasus of its own, "
                        "~2 min); the others in the run are kept")


def heads_command(run_dir, seed: int, only=None) -> int:
    """Train the lab heads on `run_dir`'s lab-bert and add them to that run (one line per head)."""
    def report(head) -> None:
        s = head.score
        print(f"{head.name}: held-out {s.metric} {s.value:.3f} (chance {s.chance:.2f}) on {s.heldout} {s.measured_on}; "
              f"{head.steps} steps, {head.seconds:.0f} s", flush=True)

    try:
        saved = lab_package.heads.train_heads(run_dir, seed=seed, report=report, **({"names": only} if only else {}))
    except (PlaygroundError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"Saved the lab heads in {saved}.")
    return 0


def pretrain_command(args) -> int:
    if args.run is not None:
        if not args.heads:
            print("error: --run is for --heads (add the lab heads to a finished run).", file=sys.stderr)
            return 2
        return heads_command(Path(args.run), args.seed, args.only)
    try:
        settings = lab.check_settings(args.preset, args.steps, args.time_budget, args.seq_len, args.lr, args.seed)
        corpus = choose_corpus(upload=Path(args.corpus).read_bytes() if args.corpus else None,
                               filename=Path(args.corpus).name if args.corpus else "upload")
        final = None
        for progress in lab.run_training(corpus, settings, lab_dir=Path(args.lab_dir) if args.lab_dir else None,
                                         out=Path(args.out) if args.out else None):
            line = lab.progress_line(progress)
            if line:
                print(line, flush=True)
            final = progress
    except (PlaygroundError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("Stopped; nothing was saved, the lab models are unchanged.", file=sys.stderr)
        return 130
    if final is None or final.saved_to is None:
        return 1
    if args.report:
        for line in lab.report_lines(Path(final.saved_to)):
            print(line, flush=True)
    if args.heads:
        return heads_command(Path(final.saved_to), args.seed, args.only)
    return 0


if __name__ == "__main__":
    sys.exit(main())
