"""A real browser trains LoRA adapters in the GPT → Assistant tab, then finds them in the Compare tab's GPT menu
(this session's own models) and runs Compare with one; a second browser session's menu does not list them."""

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
