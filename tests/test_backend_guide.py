"""docs/backends.md stays true: its Python runs, and it names every kernel that cannot fall back."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from plugin_fixtures.marks import needs_cpu

from ember.dispatch import OPS

GUIDE = Path(__file__).resolve().parents[1] / "docs" / "backends.md"


def _python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", GUIDE.read_text(), re.S)


@needs_cpu
def test_every_python_block_of_the_guide_runs() -> None:
    blocks = _python_blocks()
    runnable = [b for b in blocks if not b.lstrip().startswith("# ember_mydev/")]  # the plugin-module excerpt
    assert len(runnable) >= 2
    proc = subprocess.run([sys.executable, "-c", "\n".join(runnable)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr


def test_the_plugin_module_excerpt_is_valid_python() -> None:
    excerpt = next(b for b in _python_blocks() if b.lstrip().startswith("# ember_mydev/"))
    compile(excerpt, "plugin.py", "exec")


def test_guide_names_every_view_and_inplace_kernel() -> None:
    text = GUIDE.read_text()
    for op in OPS.values():
        if op.kind == "primitive" and (op.view or op.inplace):
            assert f"`{op.name}`" in text, f"docs/backends.md does not mention the must-implement kernel {op.name!r}"


def test_guide_backend_fields_exist_on_the_backend_class() -> None:
    import ember

    text = GUIDE.read_text()
    fields = re.findall(r"^\| `([a-z_]+)(?:\(.*?\))?`", text, re.M)
    assert "device_type" in fields
    for name in fields:
        assert hasattr(ember.Backend, name), f"the guide documents Backend.{name}, which does not exist"


def test_the_pyproject_block_is_valid_toml_with_the_entry_point() -> None:
    tomllib = pytest.importorskip("tomllib", reason="tomllib is in the standard library from Python 3.11")
    (block,) = re.findall(r"```toml\n(.*?)```", GUIDE.read_text(), re.S)
    data = tomllib.loads(block)
    assert data["project"]["entry-points"]["ember.backends"]["mydev"] == "ember_mydev.plugin"
    assert data["project"]["entry-points"]["ember.device_types"]["mydev"] == "ember_mydev.plugin"


def test_every_plugin_here_declares_its_device_types() -> None:
    """The backends and the template declare the device types they register (lazy loading per device type)."""
    tomllib = pytest.importorskip("tomllib", reason="tomllib is in the standard library from Python 3.11")
    root = GUIDE.parent.parent
    for pyproject in [*root.glob("packages/backend-*/pyproject.toml"), root / "examples/backend-template/pyproject.toml"]:
        eps = tomllib.loads(pyproject.read_text())["project"]["entry-points"]
        (module,) = eps["ember.backends"].values()
        assert eps.get("ember.device_types") and set(eps["ember.device_types"].values()) == {module}, pyproject


def test_the_shell_blocks_use_options_the_kit_has() -> None:
    from ember.testing import plugin

    source = Path(plugin.__file__).read_text()
    for block in re.findall(r"```sh\n(.*?)```", GUIDE.read_text(), re.S):
        for option in re.findall(r"(--ember-[a-z-]+)", block):
            assert f'"{option}"' in source, f"the guide uses {option}, which the kit does not define"


def test_the_template_readme_names_exactly_the_view_and_inplace_kernels() -> None:
    """Step 2 of the template's README lists the kernels that cannot fall back: the view ones and copy_."""
    readme = (GUIDE.parent.parent / "examples" / "backend-template" / "README.md").read_text()
    step = readme[readme.index("2. Point") : readme.index("3. Run")]
    named = set(re.findall(r"`(\w+)`", step.split("cannot fall back")[0]))
    from ember.dispatch import OPS

    must = {n for n, op in OPS.items() if op.kind == "primitive" and (op.view or op.inplace)}
    assert named - {"kernels", "py"} == must, f"named {sorted(named)}, the view and in-place primitives are {sorted(must)}"
