"""BERT vs GPT Playground — the command line that starts the Gradio app (see `python app.py --help`).

On a Hugging Face Space, GRADIO_SERVER_NAME / GRADIO_SERVER_PORT (set by the Space) are honoured.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading

EXAMPLES = """\
examples:
  python app.py                       real models from the Hugging Face Hub; opens http://127.0.0.1:7860
  python app.py --models tiny         fully offline: tiny untrained models built locally (predictions are noise)
  python app.py --models lab          fully offline: small models trained here by the Pretraining lab (they know
                                      something; a pair ships with the project, or: python -m playground pretrain)
  python app.py --no-browser          serve without opening a browser window
  python app.py --port 8080           another port (also: GRADIO_SERVER_PORT)
  python app.py --share               also create a public gradio.live link (only when asked)
  python app.py --fast                fast mode on by default: int8 copies of the models on CPU (a switch in
                                      the UI turns it off per request)
  python app.py --no-preload          do not load the default models in the background after start-up
  python app.py --models lab --lab-runs-become-default
                                      single user on your own machine: a run trained in the Pretraining lab
                                      becomes lab-bert / lab-gpt for every tab and later start (ignored on a Space)
  HF_HUB_OFFLINE=1 python app.py      never touch the network; models must already be in the cache
                                      (python -m playground download)

environment:
  PLAYGROUND_MODELS        default for --models ('default', 'tiny' or 'lab')
  HF_HUB_OFFLINE=1         load models only from the local Hugging Face cache (~/.cache/huggingface or $HF_HOME)
  GRADIO_SERVER_NAME/PORT  where to listen (a Hugging Face Space sets these); --host/--port win over them
  PLAYGROUND_MEMORY_BUDGET_GB  default for --memory-budget-gb
"""


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python app.py", description="BERT vs GPT Playground: see how an encoder and a decoder read text.",
        epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default=None,
                        help="interface to bind (default: $GRADIO_SERVER_NAME or 127.0.0.1, local only)")
    parser.add_argument("--port", type=int, default=None, help="port (default: $GRADIO_SERVER_PORT or 7860)")
    parser.add_argument("--share", action="store_true", help="create a public share link (off by default)")
    parser.add_argument("--no-browser", action="store_true",
                        help="do not open the playground in the default browser once it is served")
    parser.add_argument("--models", choices=["default", "tiny", "lab"],
                        default=os.environ.get("PLAYGROUND_MODELS", "default"),
                        help="'default': real Hub checkpoints; 'tiny': untrained local models, fully offline; "
                             "'lab': small models trained here by the Pretraining lab, fully offline")
    parser.add_argument("--allow-any-model", action="store_true",
                        help="allow loading Hub models that are not described in model_cards/ (never remote code)")
    parser.add_argument("--memory-budget-gb", type=float, default=None,
                        help="evict least-recently-used models above this much weight memory (default 6)")
    parser.add_argument("--fast", action="store_true",
                        help="fast mode on by default: int8 dynamic quantization of the models' Linear layers on "
                             "CPU (faster on small machines, slightly different numbers; off by default)")
    parser.add_argument("--lab-runs-become-default", action="store_true",
                        help="local, single-user opt-in: a run trained in the Pretraining lab (UI or API) becomes "
                             "everyone's lab-bert / lab-gpt, now and after a restart. Off by default: a run then "
                             "belongs to the session that trained it, and only `python -m playground pretrain` "
                             "changes the default. Ignored on a Hugging Face Space ($SPACE_ID set), where any "
                             "visitor could replace every visitor's models")
    parser.add_argument("--no-preload", action="store_true",
                        help="do not load the Compare tab's default models in the background once the page is "
                             "served (they then load on the first click)")
    return parser.parse_args(argv)


def server_address(args: argparse.Namespace) -> tuple[str, int]:
    host = args.host or os.environ.get("GRADIO_SERVER_NAME") or "127.0.0.1"
    port = args.port or int(os.environ.get("GRADIO_SERVER_PORT") or 7860)
    return host, port


def should_open_browser(args: argparse.Namespace, host: str, environ: dict[str, str] | None = None) -> bool:
    """Open a browser only for a local desktop start: never on a Space, a server without a display, or in CI."""
    env = os.environ if environ is None else environ
    if args.no_browser or env.get("SPACE_ID") or env.get("CI"):
        return False
    if host not in ("127.0.0.1", "localhost", "::1"):
        return False  # listening for other machines: a server, not a desktop
    if sys.platform.startswith("linux") and not (env.get("DISPLAY") or env.get("WAYLAND_DISPLAY")):
        return False
    return True


def ensure_lab_models() -> None:
    """`--models lab` with no lab models yet (none trained, none shipped): train the default pair now, with progress."""
    from playground.tasks.lab.runs import lab_models
    from playground.tasks.lab.corpus import builtin_choice
    from playground.tasks.lab.pretrain import PretrainSettings, progress_line, run_training

    if lab_models():
        return
    print("No lab models yet: training the default pair first (about 3 minutes on 2 CPU cores)…", flush=True)
    for progress in run_training(builtin_choice(), PretrainSettings()):
        line = progress_line(progress)
        if line:
            print(line, flush=True)


def lab_runs_become_default(args: argparse.Namespace, environ: dict[str, str] | None = None) -> bool:
    """The opt-in flag, refused (with a warning) on a Hugging Face Space: a public app never lets a visitor's
    run replace everyone's lab models."""
    env = os.environ if environ is None else environ
    if not args.lab_runs_become_default:
        return False
    if env.get("SPACE_ID"):
        print("warning: --lab-runs-become-default is ignored on a Hugging Face Space: lab runs stay with the "
              "session that trained them.", file=sys.stderr)
        return False
    return True


def announce_ready(warm, url: str, out=None) -> None:
    """Say in the terminal when the app is ready (the page's status line says it too): once the warm start has
    loaded and warmed up the Compare models, or at once when there is none."""
    if warm is not None:
        warm.wait()
        line = warm.status() or "ready"
    else:
        line = "ready (models load on first use)"
    print(f"{line} — open {url}", file=out or sys.stdout, flush=True)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.models == "lab":
        ensure_lab_models()
    from playground.tasks.context import AppOptions, make_context
    from playground.ui.page import CSS, THEME, build_demo, start_preload
    from playground.ui.serving import launch

    runs_become_default = lab_runs_become_default(args)
    options = AppOptions(models=args.models, allow_any_model=args.allow_any_model, fast=args.fast,
                         preload=not args.no_preload, lab_runs_become_default=runs_become_default,
                         **({"memory_budget_gb": args.memory_budget_gb} if args.memory_budget_gb else {}))
    ctx = make_context(options)
    demo = build_demo(ctx)
    host, port = server_address(args)
    try:
        # quiet: Gradio's own banner advises `share=True` in `launch()`, which is not how this command line shares.
        # `launch` adds the bounds of docs/safety.md (queue, concurrency, body size, sessions, uploads).
        _, local_url, share_url = launch(
            demo, server_name=host, server_port=port, share=args.share, css=CSS, theme=THEME, footer_links=["api", "gradio"],
            inbrowser=should_open_browser(args, host), quiet=True, prevent_thread_lock=True)
    except OSError as exc:
        # Gradio's message advises `launch(server_port=…)`; this command line's way is --port.
        print(f"error: {host}:{port} is busy or cannot be bound ({type(exc).__name__}). Is another playground "
              f"running? Choose another port: python app.py --port {port + 1}", file=sys.stderr)
        return 2
    preloading = start_preload(ctx, demo)  # after the page is served: the status line on the page follows it
    print(f"BERT vs GPT Playground: {local_url}")
    print(f"Public link: {share_url}" if share_url else
          "Local only. For a public link: python app.py --share    Stop: Ctrl+C")
    threading.Thread(target=announce_ready, args=(ctx.warm if preloading else None, local_url), daemon=True,
                     name="announce-ready").start()
    demo.block_thread()
    return 0


if __name__ == "__main__":
    sys.exit(main())
