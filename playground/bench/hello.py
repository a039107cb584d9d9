"""A bare Gradio Blocks hello-world, started the way app.py starts: the start-up benchmark's yardstick.

    python -m playground.bench.hello --port 7861
"""

from __future__ import annotations

import argparse

import gradio as gr


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    with gr.Blocks(title="hello") as demo:
        gr.Markdown("Hello, world.")
    demo.queue(default_concurrency_limit=2).launch(server_name="127.0.0.1", server_port=args.port, quiet=True,
                                                   prevent_thread_lock=True)
    demo.block_thread()


if __name__ == "__main__":
    main()
