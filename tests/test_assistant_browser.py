"""A real browser runs base → SFT → reward model → (your pick) → DPO in the GPT → Assistant tab and trains LoRA
adapters there, then finds this session's own models in the Compare tab's GPT menu and runs Compare with one; a
second browser session's menu does not list them."""

import pytest

expect = pytest.importorskip("playwright.sync_api").expect

pytestmark = [pytest.mark.browser, pytest.mark.server, pytest.mark.slow]  # a real browser on the live app

TIMEOUT = 120_000


def _open_gpt_menu(page) -> list[str]:
    """Open the Compare tab's GPT menu (opening it asks the server for this session's list); its options."""
    page.get_by_label("Decoder (GPT-2)").first.click()
    page.wait_for_timeout(1500)
    return [text.split("\n")[-1] for text in page.get_by_role("option").all_inner_texts()]


def test_a_sessions_lora_adapters_appear_in_its_compare_menu_only(page, browser, live_app):
    page.get_by_role("tab", name="GPT → Assistant").click()
    page.get_by_text("5. A real checkpoint").click()
    for label, value in (("Causal LM", "tiny-gpt2"), ("Time budget (s)", "6")):
        box = page.get_by_label(label, exact=True)
        box.fill(value)
        box.press("Tab")  # Gradio takes the value on input / blur
        expect(box).to_have_value(value)
    page.wait_for_timeout(500)
    page.get_by_role("button", name="Fine-tune with LoRA").click()
    summary = page.locator("#assistant-lora-summary")
    expect(summary).to_contain_text("tiny-gpt2-lora-dpo@", timeout=TIMEOUT)
    page.get_by_role("tab", name="Compare").click()
    options = _open_gpt_menu(page)
    ours = [o for o in options if o.startswith("tiny-gpt2-lora-")]
    assert len(ours) == 2, options
    page.get_by_role("option", name=ours[0]).click()
    expect(page.get_by_label("Decoder (GPT-2)").first).to_have_value(ours[0])
    page.get_by_role("button", name="Compare", exact=True).click()
    expect(page.locator("#gpt-predictions")).to_contain_text("%", timeout=TIMEOUT)
    assert not page.locator(".toast-body.error").count()
    # another visitor (a new browser session) is offered the shared models only
    other = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
    other.goto(live_app)
    assert not [o for o in _open_gpt_menu(other) if "lora" in o]
    other.context.close()


def _set_number(page, label: str, value: str) -> None:
    box = page.get_by_role("spinbutton", name=f"number input for {label}")
    box.fill(value)
    box.press("Tab")
    expect(box).to_have_value(value)


def test_sft_reward_model_your_pick_and_dpo_in_the_browser_then_served_in_compare(page):
    page.get_by_role("tab", name="GPT → Assistant").click()
    _set_number(page, "SFT epochs", "2")
    page.get_by_role("button", name="1. Run SFT").click()
    expect(page.locator("#assistant-sft-summary")).to_contain_text("lab-gpt-sft@", timeout=TIMEOUT)
    expect(page.locator("#assistant-sft-table")).to_contain_text("Name the animal")  # held-out frames, side by side
    page.get_by_role("button", name="2. Train the reward model").click()
    expect(page.locator("#assistant-reward-summary")).to_contain_text("Held-out pair accuracy", timeout=TIMEOUT)
    page.get_by_role("button", name="Show two answers").click()
    expect(page.locator("#assistant-question")).not_to_be_empty(timeout=TIMEOUT)
    page.get_by_role("button", name="A is better").click()
    _set_number(page, "Seeds", "1")
    page.get_by_role("button", name="4. Run DPO").click()
    summary = page.locator("#assistant-dpo-summary")
    expect(summary).to_contain_text("lab-gpt-dpo@", timeout=TIMEOUT)
    expect(summary).to_contain_text("Your 1 choice(s)")
    page.get_by_role("tab", name="Compare").click()
    options = _open_gpt_menu(page)
    assert [o for o in options if o.startswith("lab-gpt-sft@")] and [o for o in options if o.startswith("lab-gpt-dpo@")]
