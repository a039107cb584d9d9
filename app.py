"""BERT vs GPT Playground — start the Gradio app.

    python app.py                 # real models from the Hugging Face Hub, http://127.0.0.1:7860
    python app.py --models tiny   # offline, tiny untrained models (for trying the UI)
    python app.py --models lab    # offline, small models trained here (trains them first if there are none)
    python app.py --share         # also create a public gradio.live link (only when asked)

On a Hugging Face Space, GRADIO_SERVER_NAME / GRADIO_SERVER_PORT (set by the Space) are honoured.
"""

from __future__ import annotations

import argparse
import os


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="BERT vs GPT Playground")
    parser.add_argument("--host", default=None,
                        help="interface to bind (default: $GRADIO_SERVER_NAME or 127.0.0.1, local only)")
    parser.add_argument("--port", type=int, default=None, help="port (default: $GRADIO_SERVER_PORT or 7860)")
    parser.add_argument("--share", action="store_true", help="create a public share link (off by default)")
    parser.add_argument("--models", choices=["default", "tiny", "lab"],
                        default=os.environ.get("PLAYGROUND_MODELS", "default"),
                        help="'default': real Hub checkpoints; 'tiny': untrained local models, fully offline; "
                             "'lab': small models trained here by the Pretraining lab, fully offline")
    parser.add_argument("--allow-any-model", action="store_true",
                        help="allow loading Hub models that are not described in model_cards/ (never remote code)")
    parser.add_argument("--memory-budget-gb", type=float, default=None,
                        help="evict least-recently-used models above this much weight memory (default 6)")
    return parser.parse_args(argv)


def server_address(args: argparse.Namespace) -> tuple[str, int]:
    host = args.host or os.environ.get("GRADIO_SERVER_NAME") or "127.0.0.1"
    port = args.port or int(os.environ.get("GRADIO_SERVER_PORT") or 7860)
    return host, port


def ensure_lab_models() -> None:
    """`--models lab` with no lab models yet (none trained, none shipped): train the default pair now, with progress."""
    from playground.models.lab import lab_models
    from playground.tasks.lab_corpus import builtin_choice
    from playground.tasks.pretrain_lab import PretrainSettings, progress_line, run_training

    if lab_models():
        return
    print("No lab models yet: training the default pair first (about 3 minutes on 2 CPU cores)…", flush=True)
    for progress in run_training(builtin_choice(), PretrainSettings()):
        line = progress_line(progress)
        if line:
            print(line, flush=True)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if args.models == "lab":
        ensure_lab_models()
    from playground.models.context import AppOptions
    from playground.ui.page import build_app
    from playground.ui.page import CSS

    options = AppOptions(models=args.models, allow_any_model=args.allow_any_model,
                         **({"memory_budget_gb": args.memory_budget_gb} if args.memory_budget_gb else {}))
    demo = build_app(options)
    host, port = server_address(args)
    demo.queue(default_concurrency_limit=2).launch(server_name=host, server_port=port, share=args.share, css=CSS,
                                                   footer_links=["api", "gradio"])


if __name__ == "__main__":
    main()
