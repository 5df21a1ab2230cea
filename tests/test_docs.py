"""The docs stay true: the primitive list matches the declarations, the README example runs."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import ember
from ember.dispatch import OPS, reference_markdown

ROOT = Path(__file__).resolve().parents[1]


def test_primitives_doc_matches_declarations() -> None:
    doc = (ROOT / "docs" / "primitives.md").read_text()
    assert doc == reference_markdown(), "docs/primitives.md is stale: run `python -m ember.dispatch > docs/primitives.md`"


def test_every_primitive_is_documented_with_a_contract() -> None:
    doc = (ROOT / "docs" / "primitives.md").read_text()
    for op in OPS.values():
        assert f"| `{op.name}` |" in doc
        assert op.signature and op.doc, f"op {op.name} lacks a signature or contract"


def test_readme_example_prints_the_documented_values(capsys: pytest.CaptureFixture[str], device: str) -> None:
    if device != "cpu":
        pytest.skip("the README example runs on the default device, cpu")
    block = re.findall(r"```python\n(.*?)```", (ROOT / "README.md").read_text(), re.S)[0]
    exec(compile(block, "README.md", "exec"), {})
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "tensor([7., 9.])"
    assert out[1] == "tensor([1.5000, 2.5000, 3.5000])"
    assert out[2] == "cpu ember.float32 (32, 10)"


def test_architecture_twin_is_in_the_project() -> None:
    text = (ROOT / "docs" / "architecture.md").read_text()
    assert "ember.backends" in text and "ember_register_backends" in text
    assert f"({ember.PLUGIN_API_VERSION[0]}, {ember.PLUGIN_API_VERSION[1]})" in text


def test_pytorch_coverage_page_is_current() -> None:
    """docs/pytorch-coverage.md says what the installed Ember has: regenerate it after adding a name."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("pytorch_coverage", ROOT / "tools" / "pytorch_coverage.py")
    assert spec is not None and spec.loader is not None
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    page = (ROOT / "docs" / "pytorch-coverage.md").read_text()
    assert page == tool.render(), "docs/pytorch-coverage.md is stale: run `python tools/pytorch_coverage.py`"
    stale = sorted(k for k in tool.NOT_PROVIDED if f"`{k}` | ✔" in page or f"`torch.{k}` | ✔" in page)
    assert not stale, f"NOT_PROVIDED gives reasons for entries Ember now has: {stale}"
