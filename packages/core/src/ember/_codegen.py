"""Writes the files generated from the op table: `ember/_tensor_methods.py` and `docs/primitives.md`.

Run ``python -m ember._codegen`` after declaring an op (``--check`` only reports what is
stale, and exits 1). `tests/test_codegen.py` fails, naming the file and the op, when a
checked-in file and the declarations disagree.

`_tensor_methods.py` holds one real method per public function marked ``method=True``
(and an in-place ``name_`` where marked ``inplace=True``), with the function's signature
and docstring, so that ``help(ember.Tensor.sum)``, IDEs and type checkers see them.
"""

from __future__ import annotations

import argparse
import inspect
import sys
from pathlib import Path

from .dispatch import API, Api, reference_markdown

PACKAGE = Path(__file__).parent
METHODS_FILE = PACKAGE / "_tensor_methods.py"
#: docs/primitives.md of the source tree this package was installed from (editable installs)
PRIMITIVES_FILE = PACKAGE.parents[3] / "docs" / "primitives.md"

_HEADER = '''"""Tensor methods that are the public functions of the same name: GENERATED, do not edit.

Written by `python -m ember._codegen` from `ember.dispatch.API` (each method calls
`ember.<name>` with the tensor first; each `name_` writes the result back into the
tensor). Declare a function with ``@public(method=True)`` and regenerate.
"""

# ruff: noqa: A002, E501

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from . import ops as _ops
    from .device import Device
    from .dtypes import DType
    from .random import Generator
    from .tensor import Tensor
else:
    _ops = None  # bound by `ember.ops` once it is imported (the ops import Tensor, so not the other way round)

__all__ = ["TensorMethods"]

_ = (Sequence, Any)  # names the generated signatures may use


class TensorMethods:
    """The public functions of `ember` as methods of `ember.Tensor`."""

    __slots__ = ()
'''


def _params(api: Api) -> tuple[str, str]:
    """The method's parameter list (after self) and the call that forwards them."""
    sig = inspect.signature(api.fn)
    params = list(sig.parameters.values())[1:]
    decl, call = [], []
    star_seen = False
    for p in params:
        ann = f": {p.annotation}" if p.annotation is not inspect.Parameter.empty else ""
        default = "" if p.default is inspect.Parameter.empty else f" = {p.default!r}"
        if p.kind is p.VAR_POSITIONAL:
            decl.append(f"*{p.name}{ann}")
            call.append(f"*{p.name}")
            star_seen = True
        elif p.kind is p.VAR_KEYWORD:
            decl.append(f"**{p.name}{ann}")
            call.append(f"**{p.name}")
        elif p.kind is p.KEYWORD_ONLY:
            if not star_seen:
                decl.append("*")
                star_seen = True
            decl.append(f"{p.name}{ann}{default}")
            call.append(f"{p.name}={p.name}")
        else:
            decl.append(f"{p.name}{ann}{default}")
            call.append(p.name)
    return ", ".join(["self", *decl]), ", ".join(call)


def _docstring(text: str, indent: str) -> str:
    lines = inspect.cleandoc(text).replace("\\", "\\\\").replace('"""', '\\"\\"\\"').splitlines()
    if len(lines) == 1:
        return f'{indent}"""{lines[0]}"""\n'
    body = "\n".join(f"{indent}{ln}" if ln else "" for ln in lines[1:])
    return f'{indent}"""{lines[0]}\n{body}\n{indent}"""\n'


def methods_source() -> str:
    """The source of `ember/_tensor_methods.py` for the functions in `API` now."""
    from . import ops  # noqa: F401 - declares every public function

    out = [_HEADER]
    for name in sorted(n for n, a in API.items() if a.method):
        api = API[name]
        decl, call = _params(api)
        ret = inspect.signature(api.fn).return_annotation
        ret = "Any" if ret is inspect.Signature.empty else ret
        doc = inspect.getdoc(api.fn) or f"ember.{name} on this tensor."
        first = call and f", {call}"
        out.append(f"\n    def {name}({decl}) -> {ret}:\n")
        out.append(_docstring(doc + f"\n\nSee `ember.{name}`.", "        "))
        out.append(f"        return _ops.{name}(self{first})\n")
        if api.inplace:
            out.append(f"\n    def {name}_({decl}) -> Tensor:\n")
            out.append(_docstring(f"In-place {name}(): the result is written into this tensor, which is returned.", "        "))
            out.append(f'        return _ops.conversion.inplace("{name}", self{first})\n')
    return "".join(out)


def stale() -> list[tuple[Path, str]]:
    """(file, what it should hold) for each generated file that is out of date."""
    wanted = [(METHODS_FILE, methods_source())]
    if PRIMITIVES_FILE.parent.is_dir():
        wanted.append((PRIMITIVES_FILE, reference_markdown()))
    return [(f, text) for f, text in wanted if not f.exists() or f.read_text() != text]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ember._codegen", description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="report stale files and exit 1, writing nothing")
    args = parser.parse_args(argv)
    todo = stale()
    for path, text in todo:
        if args.check:
            print(f"stale: {path}")
        else:
            path.write_text(text)
            print(f"wrote {path}")
    return 1 if todo and args.check else 0


if __name__ == "__main__":
    sys.exit(main())
