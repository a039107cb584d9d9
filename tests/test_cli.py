"""`python -m playground …`: help that says where models go and how big they are, refusals before any download."""

from __future__ import annotations

import pytest

from playground.__main__ import main


def test_download_help_says_where_models_go_and_how_big_they_are(capsys):
    with pytest.raises(SystemExit):
        main(["download", "--help"])
    text = capsys.readouterr().out
    assert "~/.cache/huggingface" in text and "HF_HUB_OFFLINE=1" in text
    line = next(row for row in text.splitlines() if row.strip().startswith("google/pegasus-xsum"))
    assert "2.28 GB" in line and "(default)" in line


def test_download_of_an_unknown_model_is_refused_before_announcing_a_download(capsys):
    assert main(["download", "not-a-model"]) == 2
    out = capsys.readouterr()
    assert "Downloading" not in out.out
    assert "not-a-model" in out.err and "--allow-any-model" in out.err
