"""GPT → Assistant tab: supervised instruction fine-tuning of lab-gpt, a reward model on lab-bert, the user's own
preferences and DPO, then a report card. Layout, wiring, the result → component formatters and the JSON API's
adapters; what they call lives in `playground/tasks/assistant/handlers.py`.
"""

from __future__ import annotations

from types import MethodType, SimpleNamespace
from typing import Any

import gradio as gr

from playground.tasks.assistant.data import MAX_CHOICES, MAX_USER_PAIRS, PAIR_SEPARATOR, choice_line
from playground.tasks.assistant.handlers import (BEST_OF, DPO_BETA, DPO_EPOCHS, DPO_LR, DPO_NLL, DPO_SEEDS,
                                                 LORA_BUDGET_S, LORA_MODEL, MAX_BEST_OF, MAX_LORA_BUDGET_S, MAX_BETA, MAX_DPO_EPOCHS, MAX_NLL, MAX_REWARD_EPOCHS,
                                                 MAX_SEEDS, MAX_SFT_EPOCHS, REWARD_EPOCHS, REWARD_LR, SFT_EPOCHS,
                                                 SFT_LR, comparison_pair, report_card, run_dpo_stage, run_reward_stage,
                                                 run_lora_stage, run_sft_stage, stop_stage)
from playground.tasks.assistant.results import DpoResult, LoraResult, ReportCard, RewardResult, SftResult
from playground.tasks.context import AppContext
from playground.ui.exports import ExportFile, json_file, write_exports
from playground.ui.figures.assistant import loss_figure, margin_figure
from playground.ui.tabs.lab import owner_of
from playground.ui.widgets import (inline_errors, notices_markdown, publish_endpoint, stop_only_while_running,
                                   to_json)

INTRO = (
    "How a next-word predictor becomes an assistant, live on the lab's own small GPT and BERT. "
    "**1. Supervised fine-tuning (SFT)**: lab-gpt learns to answer questions about the lab world, with the loss on "
    "the answer tokens only. **2. A reward model**: lab-bert with a scalar head learns which of two answers is "
    "better (Bradley–Terry loss). **3. Your preferences**: pick the better of two answers. **4. DPO**: the SFT model "
    "is tuned towards the preferred answers.\n\n"
    "InstructGPT ([Ouyang et al. 2022](https://arxiv.org/abs/2203.02155)) did SFT → reward model → PPO "
    "(reinforcement learning against the reward model, with a KL penalty to the SFT model); its labellers "
    "preferred the outputs of the 1.3B InstructGPT to those of the 175B GPT-3. DPO "
    "([Rafailov et al. 2023](https://arxiv.org/abs/2305.18290)) reaches the same objective without a reward model "
    "at training time: the policy's log-probability ratio to the SFT model *is* the implicit reward, so one "
    "classification-like loss on preference pairs replaces the RL loop. Here the reward model only *judges* the "
    "result. Held-out questions use phrasings training never saw; run times are this machine's, shared CPU.")
STRIP_COLOURS = {"answer (in the loss)": "#16a34a"}
SIDE_HEADERS = ["question", "world's answer", "before", "after", "before right", "after right"]


# ---- views (pure) -------------------------------------------------------------------------------------------

def mask_strip(result: SftResult) -> list[tuple[str, str | None]]:
    """The loss mask as chips: prompt tokens plain (label -100), answer tokens coloured and counted."""
    return [(slot.token, "answer (in the loss)" if slot.counted else None) for slot in result.mask_strip]


def side_rows(rows) -> list[list[Any]]:
    return [[r.question, r.answer, r.before, r.after, "✓" if r.before_right else "✗", "✓" if r.after_right else "✗"]
            for r in rows]


def sft_summary(result: SftResult) -> str:
    counted = sum(slot.counted for slot in result.mask_strip)
    text = (f"**{result.train_pairs} training pairs** ({result.your_pairs} yours), **{result.heldout_pairs} held "
            f"out** in question frames training never uses; {result.seconds:.0f} s.\n\n"
            f"| held-out | exact match | token F1 |\n| --- | --- | --- |\n"
            f"| base {result.model_name} | {result.base_exact:.0%} | {result.base_f1:.2f} |\n"
            f"| after SFT | {result.sft_exact:.0%} | {result.sft_f1:.2f} |\n\n"
            f"Loss mask of one example: {counted} of {len(result.mask_strip)} tokens counted (the answer and the end "
            "of text); the question's tokens have label −100 and add nothing to the loss or its gradients."
            + (f" This session's SFT model is served as **{result.served_as}**." if result.served_as else ""))
    return text + ("\n\n" + notices_markdown(result.notices) if result.notices else "")


def reward_summary(result: RewardResult) -> str:
    text = (f"**Held-out pair accuracy {result.heldout_accuracy:.0%}** (chance {result.chance:.0%}) on "
            f"{result.heldout_pairs} pairs it never saw; trained on {result.train_pairs} pairs in "
            f"{result.seconds:.0f} s.")
    return text + ("\n\n" + notices_markdown(result.notices) if result.notices else "")


def best_rows(result: RewardResult) -> list[list[Any]]:
    best = result.best_of_n
    if best is None:
        return []
    return [[i + 1, a, s, "← pick" if i == best.pick else ""] for i, (a, s) in enumerate(zip(best.answers, best.scores))]


def _spread(s) -> str:
    return f"{s.mean:.2f} ± {s.std:.2f} (min {s.low:.2f}, max {s.high:.2f})"


def dpo_summary(result: DpoResult) -> str:
    text = (f"β {result.beta}, lr {result.learning_rate}, {result.epochs} epochs, NLL weight {result.nll_weight}; "
            f"{result.builtin_pairs} built-in pairs + {result.your_choices} of yours; {len(result.seeds)} seeds; "
            f"{result.seconds:.0f} s.\n\n| DPO vs SFT, held-out | mean ± sd over seeds |\n| --- | --- |\n"
            f"| win rate, judged by the reward model | {_spread(result.win_rate_reward)} |\n"
            f"| win rate, judged by the world's answer | {_spread(result.win_rate_rule)} |\n"
            f"| KL(DPO ‖ SFT) on DPO's answers (nats) | {_spread(result.kl_from_sft)} |\n"
            f"| exact match (SFT: {result.sft_exact:.0%}) | {_spread(result.dpo_exact)} |\n\n"
            "Ties count ½. A larger β keeps the model closer to SFT; a high learning rate or many epochs "
            "over-optimise: the margin keeps growing while the answers drift (watch the KL and the side-by-side)."
            + (f" This session's DPO model is served as **{result.served_as}**." if result.served_as else ""))
    return text + _moves_text(result) + ("\n\n" + notices_markdown(result.notices) if result.notices else "")


def _moves_text(result: DpoResult) -> str:
    """Your choices before and after: did the model move toward them?"""
    moves = result.your_moves
    if not moves:
        return ""
    toward = sum(m.margin > 0 for m in moves)
    return (f"\n\n**Your {len(moves)} choice(s)**: the SFT model preferred your better answer in "
            f"{sum(m.sft_prefers for m in moves)}, the DPO model in {sum(m.dpo_prefers for m in moves)}; DPO moved "
            f"toward your choice (log-ratio margin > 0) in {toward} of {len(moves)} (mean margin "
            f"{sum(m.margin for m in moves) / len(moves):+.2f} nats).")


def seed_rows(result: DpoResult) -> list[list[Any]]:
    return [[o.seed, f"{o.win_rate_reward:.2f}", f"{o.win_rate_rule:.2f}", f"{o.kl_from_sft:.3f}", f"{o.exact:.0%}",
             f"{o.heldout_margin:.3f}"] for o in result.seeds]


def lora_summary(result: LoraResult) -> str:
    text = (f"**{result.model_name}** + LoRA rank {result.rank}: {result.trainable_parameters:,} trainable of "
            f"{result.total_parameters:,} parameters; {result.steps} steps in {result.seconds:.0f} s (budget "
            f"{result.budget_s:.0f} s).\n\n| held-out | exact match | token F1 |\n| --- | --- | --- |\n"
            f"| base | {result.base_exact:.0%} | {result.base_f1:.2f} |\n"
            f"| LoRA SFT | {result.lora_exact:.0%} | {result.lora_f1:.2f} |\n")
    if result.dpo_exact is not None:
        start, end = result.dpo_heldout_margin or (0.0, 0.0)
        text += (f"| LoRA DPO (β {result.dpo_beta:g}, {result.dpo_steps} steps) | {result.dpo_exact:.0%} | "
                 f"{result.dpo_f1:.2f} |\n\nHeld-out reward margin (β × chosen − rejected log-ratio, the SFT "
                 f"adapter as reference): {start:.3f} → {end:.3f}.\n")
    names = ", ".join(f"**{n}**" for n in result.served_as)
    text += (f"\nAdapters saved in `{result.saved_to}`" + (f" and `{result.dpo_saved_to}`" if result.dpo_saved_to
                                                          else "") +
             f"; this session's model menus (Compare, Inside, step by step) now list {names}.")
    return text + ("\n\n" + notices_markdown(result.notices) if result.notices else "")


def report_files(card: ReportCard) -> list[str]:
    return write_exports([ExportFile("assistant-report.md", card.markdown.encode("utf-8")),
                          json_file("assistant-report", card.stages)])


# ---- UI events (bound to the app context; Gradio reads their hints, `request` gives the session) ----------------

def _sft_event(ctx: AppContext, your_pairs: str, epochs: int, learning_rate: float, seed: int,
               request: gr.Request, progress=gr.Progress()):
    result = run_sft_stage(ctx, owner_of(request), your_pairs, epochs, learning_rate, seed, progress)
    return (sft_summary(result), mask_strip(result), side_rows(result.side_by_side),
            loss_figure(result.losses, "SFT loss (answer tokens only)", "nats per answer token"), to_json(result))


def _reward_event(ctx: AppContext, epochs: int, learning_rate: float, seed: int, best_of: int,
                  request: gr.Request, progress=gr.Progress()):
    result = run_reward_stage(ctx, owner_of(request), epochs, learning_rate, seed, best_of, progress)
    prompt = result.best_of_n.prompt.replace("\n", " ") if result.best_of_n else ""
    return (reward_summary(result), f"Best-of-n for: *{prompt}*" if prompt else "", best_rows(result),
            to_json(result))


def _pair_event(ctx: AppContext, seed: int, request: gr.Request):
    pair = comparison_pair(ctx, owner_of(request), seed)
    question = f"**{pair.question}**" + (f"\n\n{pair.note}" if pair.note else "")
    return question, pair.first, pair.second, to_json(pair), int(seed) + 1


def _choose(pair: dict | None, better: str, choices: list[str] | None) -> tuple[list[str], str]:
    """Append the user's pick to this session's choices (bounded); the count shown under the buttons."""
    choices = list(choices or [])
    if pair:
        first, second = pair["first"], pair["second"]
        winner, loser = (first, second) if better == "first" else (second, first)
        choices = (choices + [choice_line(pair["question"], winner, loser)])[-MAX_CHOICES:]
    return choices, f"{len(choices)} choice(s) recorded in this session (the latest {MAX_CHOICES} are kept)."


def choose_first(pair: dict | None, choices: list[str] | None) -> tuple[list[str], str]:
    return _choose(pair, "first", choices)


def choose_second(pair: dict | None, choices: list[str] | None) -> tuple[list[str], str]:
    return _choose(pair, "second", choices)


def _dpo_event(ctx: AppContext, beta: float, learning_rate: float, epochs: int, nll_weight: float, seeds: int,
               choices: list[str] | None, request: gr.Request, progress=gr.Progress()):
    result = run_dpo_stage(ctx, owner_of(request), beta, learning_rate, epochs, nll_weight, seeds,
                           "\n".join(choices or []), 0, progress)
    return (dpo_summary(result), margin_figure(result.curve), seed_rows(result), side_rows(result.side_by_side),
            to_json(result))


def _lora_event(ctx: AppContext, model_name: str, budget_s: float, with_dpo: bool, request: gr.Request,
                progress=gr.Progress()):
    result = run_lora_stage(ctx, owner_of(request), model_name, budget_s, progress=progress, with_dpo=with_dpo)
    return lora_summary(result), to_json(result)


def _report_event(ctx: AppContext, request: gr.Request):
    card = report_card(ctx, owner_of(request))
    return card.markdown, report_files(card) if card.stages else None


def _stop_assistant(ctx: AppContext, request: gr.Request) -> str:
    return stop_stage(ctx, owner_of(request))


# ---- layout and wiring ----------------------------------------------------------------------------------------

def _layout_sft() -> SimpleNamespace:
    gr.Markdown("### 1. Supervised fine-tuning: from next word to answers")
    with gr.Row():
        your_pairs = gr.Textbox(
            label=f"Your pairs (optional, added to the built-in ones): one `question {PAIR_SEPARATOR} answer` a line, "
                  f"≤ {MAX_USER_PAIRS} lines", lines=3, max_lines=8, elem_id="assistant-pairs",
            placeholder=f"Which animal barked at the mailman? {PAIR_SEPARATOR} The dog.")
        with gr.Column():
            epochs = gr.Slider(1, MAX_SFT_EPOCHS, value=SFT_EPOCHS, step=1, label="SFT epochs")
            with gr.Row():
                lr = gr.Number(value=SFT_LR, label="Learning rate")
                seed = gr.Number(value=0, precision=0, label="Seed")
    with gr.Row():
        run = gr.Button("1. Run SFT", variant="primary")
        stop = gr.Button("Stop", variant="stop", interactive=False, elem_id="assistant-stop")  # stops any stage
    summary = gr.Markdown(elem_id="assistant-sft-summary")
    strip = gr.HighlightedText(label="Loss mask: question tokens plain (label −100), answer tokens counted",
                               color_map=STRIP_COLOURS, show_legend=True, elem_id="assistant-mask")
    table = gr.Dataframe(headers=SIDE_HEADERS, interactive=False, label="Held-out questions: base (before) vs SFT "
                         "(after)", elem_id="assistant-sft-table")
    plot = gr.Plot(label="SFT loss")
    result = gr.JSON(visible=False)
    return SimpleNamespace(inputs=[your_pairs, epochs, lr, seed], run=run, stop=stop,
                           outputs=[summary, strip, table, plot, result], message=summary)


def _layout_reward() -> SimpleNamespace:
    gr.Markdown("### 2. Reward model: BERT judges\nlab-bert reads `question [SEP] answer` and gives a score; trained so "
                "the right answer scores above a wrong one of the same kind (−log σ(r₊ − r₋)).")
    with gr.Row():
        epochs = gr.Slider(1, MAX_REWARD_EPOCHS, value=REWARD_EPOCHS, step=1, label="Epochs")
        lr = gr.Number(value=REWARD_LR, label="Learning rate")
        seed = gr.Number(value=0, precision=0, label="Seed")
        best_of = gr.Slider(0, MAX_BEST_OF, value=BEST_OF, step=1, label="n (best-of-n from the SFT model)")
        run = gr.Button("2. Train the reward model", variant="primary")
    summary = gr.Markdown(elem_id="assistant-reward-summary")
    best_prompt = gr.Markdown()
    table = gr.Dataframe(headers=["#", "sampled answer", "reward", ""], interactive=False, elem_id="assistant-best")
    result = gr.JSON(visible=False)
    return SimpleNamespace(inputs=[epochs, lr, seed, best_of], run=run,
                           outputs=[summary, best_prompt, table, result], message=summary)


def _layout_choices() -> SimpleNamespace:
    gr.Markdown("### 3. Your preferences\nTwo answers of your SFT model to one training question: click the better "
                "one. Your choices (this session only) join the built-in pairs in the next DPO run.")
    with gr.Row():
        show = gr.Button("Show two answers")
        seed = gr.Number(value=0, precision=0, label="Draw", visible=False)
    question = gr.Markdown(elem_id="assistant-question")
    with gr.Row():
        first = gr.Textbox(label="Answer A", interactive=False)
        second = gr.Textbox(label="Answer B", interactive=False)
    with gr.Row():
        pick_first = gr.Button("A is better")
        pick_second = gr.Button("B is better")
    count = gr.Markdown()
    pair = gr.JSON(visible=False)
    choices = gr.State([], time_to_live=3600)
    return SimpleNamespace(show=show, seed=seed, question=question, first=first, second=second,
                           pick_first=pick_first, pick_second=pick_second, count=count, pair=pair, choices=choices)


def _layout_dpo() -> SimpleNamespace:
    gr.Markdown("### 4. DPO: towards the preferred answers\nThe SFT model is the frozen reference; each seed trains "
                "its own copy. Try β 0.02 vs 1, or learning rate 5e-4 with 4 epochs and no NLL term, and watch the KL.")
    with gr.Row():
        beta = gr.Slider(0.01, MAX_BETA, value=DPO_BETA, step=0.01, label="β (how far from SFT)")
        lr = gr.Number(value=DPO_LR, label="Learning rate")
        epochs = gr.Slider(1, MAX_DPO_EPOCHS, value=DPO_EPOCHS, step=1, label="Epochs")
        nll = gr.Slider(0, MAX_NLL, value=DPO_NLL, step=0.1, label="NLL weight on chosen answers (RPO)")
        seeds = gr.Slider(1, MAX_SEEDS, value=DPO_SEEDS, step=1, label="Seeds")
    run = gr.Button("4. Run DPO", variant="primary")
    summary = gr.Markdown(elem_id="assistant-dpo-summary")
    plot = gr.Plot(label="Reward margin during DPO", elem_id="assistant-margin")
    seeds_table = gr.Dataframe(headers=["seed", "win (reward model)", "win (world's answer)", "KL from SFT",
                                        "exact match", "held-out margin"], interactive=False)
    table = gr.Dataframe(headers=SIDE_HEADERS, interactive=False, label="Held-out questions: SFT (before) vs DPO "
                         "(after, first seed)", elem_id="assistant-dpo-table")
    result = gr.JSON(visible=False)
    return SimpleNamespace(inputs=[beta, lr, epochs, nll, seeds], run=run,
                           outputs=[summary, plot, seeds_table, table, result], message=summary)


def _layout_lora() -> SimpleNamespace:
    with gr.Accordion("5. A real checkpoint: the same SFT and DPO as LoRA adapters (peft)", open=False):
        gr.Markdown("The base weights stay frozen; rank-8 matrices beside GPT-2's attention and MLP layers learn the "
                    "instructions within the time budget — half for SFT, then DPO continues that adapter against "
                    "the frozen SFT model for the rest. Both adapters are saved and offered in this session's model "
                    "menus. Needs the checkpoint downloaded "
                    f"(`python -m playground download {LORA_MODEL}`).")
        with gr.Row():
            model_name = gr.Textbox(value=LORA_MODEL, label="Causal LM")
            budget = gr.Number(value=LORA_BUDGET_S, minimum=5, maximum=MAX_LORA_BUDGET_S, label="Time budget (s)")
            with_dpo = gr.Checkbox(value=True, label="Then DPO (a second adapter)")
            run = gr.Button("Fine-tune with LoRA")
        summary = gr.Markdown(elem_id="assistant-lora-summary")
        result = gr.JSON(visible=False)
    return SimpleNamespace(inputs=[model_name, budget, with_dpo], run=run, outputs=[summary, result],
                           message=summary)


def _layout_report() -> SimpleNamespace:
    gr.Markdown("### Report card")
    show = gr.Button("Show the report card")
    markdown = gr.Markdown(elem_id="assistant-report")
    files = gr.File(label="Markdown and JSON", file_count="multiple", interactive=False)
    return SimpleNamespace(show=show, markdown=markdown, files=files)


def _wire(ctx: AppContext, sft: SimpleNamespace, rm: SimpleNamespace, you: SimpleNamespace, dpo: SimpleNamespace,
          report: SimpleNamespace) -> None:
    for stage, event in ((sft, _sft_event), (rm, _reward_event), (dpo, _dpo_event), (report.lora, _lora_event)):
        inputs = stage.inputs + ([you.choices] if stage is dpo else [])
        # the one Stop (it stops whatever stage this session runs) is offered while any stage runs
        stop_only_while_running(stage.run, sft.stop, lambda stage=stage, event=event, inputs=inputs: stage.run.click(
            inline_errors(MethodType(event, ctx), stage.outputs, stage.message), inputs, stage.outputs,
            api_visibility="private"))
    sft.stop.click(inline_errors(MethodType(_stop_assistant, ctx), [sft.message], sft.message), None,
                   sft.message, api_visibility="private", concurrency_limit=None)
    pair_outputs = [you.question, you.first, you.second, you.pair, you.seed]
    you.show.click(inline_errors(MethodType(_pair_event, ctx), pair_outputs, you.question, keep=[you.seed]),
                   [you.seed], pair_outputs, api_visibility="private")
    for button, choose in ((you.pick_first, choose_first), (you.pick_second, choose_second)):
        button.click(choose, [you.pair, you.choices], [you.choices, you.count], api_visibility="private")
    show_report = inline_errors(MethodType(_report_event, ctx), [report.markdown, report.files], report.markdown)
    report.show.click(show_report, None, [report.markdown, report.files], api_visibility="private")
    gr.context.Context.root_block.load(show_report, None, [report.markdown, report.files], api_visibility="private")


def _publish_api(ctx: AppContext) -> None:
    def assistant_sft(your_pairs: str = "", epochs: int = SFT_EPOCHS, learning_rate: float = SFT_LR, seed: int = 0,
                      request: gr.Request = None) -> dict:
        """SFT of lab-gpt on the lab world's instructions (+ yours), loss on answers only; held-out base vs SFT."""
        return to_json(run_sft_stage(ctx, owner_of(request), your_pairs, epochs, learning_rate, seed))

    def assistant_reward(epochs: int = REWARD_EPOCHS, learning_rate: float = REWARD_LR, seed: int = 0,
                         best_of: int = BEST_OF, request: gr.Request = None) -> dict:
        """The reward model (lab-bert + scalar head, Bradley–Terry): held-out pair accuracy and best-of-n."""
        return to_json(run_reward_stage(ctx, owner_of(request), epochs, learning_rate, seed, best_of))

    def assistant_pair(seed: int = 0, request: gr.Request = None) -> dict:
        """Two sampled answers of this session's SFT model to one training question, to judge."""
        return to_json(comparison_pair(ctx, owner_of(request), seed))

    def assistant_dpo(beta: float = DPO_BETA, learning_rate: float = DPO_LR, epochs: int = DPO_EPOCHS,
                      nll_weight: float = DPO_NLL, seeds: int = DPO_SEEDS, your_choices: str = "", seed: int = 0,
                      request: gr.Request = None) -> dict:
        """DPO from this session's SFT model on the built-in pairs + your `question => better | worse` lines."""
        return to_json(run_dpo_stage(ctx, owner_of(request), beta, learning_rate, epochs, nll_weight, seeds,
                                     your_choices, seed))

    def assistant_lora(model_name: str = LORA_MODEL, budget_s: float = LORA_BUDGET_S, epochs: int = SFT_EPOCHS,
                       learning_rate: float = SFT_LR, seed: int = 0, with_dpo: bool = False, beta: float = DPO_BETA,
                       request: gr.Request = None) -> dict:
        """SFT (then, `with_dpo`, DPO) of a downloaded causal LM (gpt2) as LoRA adapters within a time budget."""
        return to_json(run_lora_stage(ctx, owner_of(request), model_name, budget_s, epochs, learning_rate, seed,
                                      with_dpo=with_dpo, beta=beta))

    def assistant_report(request: gr.Request = None) -> dict:
        """This session's report card (Markdown and the stages' JSON)."""
        return to_json(report_card(ctx, owner_of(request)))

    for endpoint, serves in ((assistant_sft, run_sft_stage), (assistant_reward, run_reward_stage),
                             (assistant_pair, comparison_pair), (assistant_dpo, run_dpo_stage),
                             (assistant_lora, run_lora_stage), (assistant_report, report_card)):
        publish_endpoint(endpoint, endpoint.__name__, serves=serves)


def build_assistant_tab(ctx: AppContext) -> None:
    gr.Markdown(INTRO)
    sft, rm, you, dpo = _layout_sft(), _layout_reward(), _layout_choices(), _layout_dpo()
    lora = _layout_lora()
    report = _layout_report()
    report.lora = lora
    _wire(ctx, sft, rm, you, dpo, report)
    _publish_api(ctx)
