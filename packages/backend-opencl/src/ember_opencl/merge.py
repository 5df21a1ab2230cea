"""Several independent kernel launches as one (horizontal fusion for launch graphs).

PoCL pays for each launch: scheduling, waking its worker threads, and a kernel of few work-items
leaves a core idle while it runs. A launch graph (`launch_graph`) knows which consecutive launches
share no memory that one of them writes, and runs them as one merged kernel: each source becomes a
static function of its own (its macros undefined after it, its helper functions renamed), called
with the global ids of one of its work-items; the merged kernel gives each part a stretch of its
work-items, as many as the original launch had, launched in work-groups of the same size. No Ember kernel uses local memory or
barriers, so work-items of different parts may share a work-group's neighbourhood.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import Any

import numpy as np

from .device import Device, Launcher

_SIGNATURE = re.compile(r"__kernel\s+void\s+\w+\s*\((.*?)\)\s*\{", re.S)
_STATIC = re.compile(r"\bstatic\s+(?:inline\s+)?[\w\s\*]*?\b(\w+)\s*\(")
_DEFINE = re.compile(r"^\s*#\s*define\s+(\w+)", re.M)
_GID = re.compile(r"\bget_global_id\s*\(\s*(\d)\s*\)")


_VALUE = re.compile(r"^\s*#\s*define\s+(\w+)[ \t]+([^\n]*)$", re.M)


def params_of(source: str) -> list[str]:
    """The parameter declarations of the kernel in `source`, with the macros of its head expanded."""
    m = _SIGNATURE.search(source)
    if m is None:
        raise ValueError("no kernel signature in the source")
    values = dict(_VALUE.findall(source[: m.start()]))
    params = [p.strip() for p in m.group(1).split(",")]
    return [re.sub(r"\b\w+\b", lambda w: values.get(w.group(0), w.group(0)), p) for p in params]


def writes(params: Sequence[str]) -> list[int]:
    """The indices of the parameters a kernel may write through: its global pointers that are not const."""
    return [i for i, p in enumerate(params) if p.startswith("__global") and not re.search(r"\bconst\b", p)]


def _part(i: int, source: str) -> str:
    """`source` as ``static void part{i}(params..., gid0, gid1, gid2)``, its helpers and macros its own."""
    m = _SIGNATURE.search(source)
    assert m is not None
    head, params, body = source[: m.start()], m.group(1), source[m.end() - 1 :]
    for name in set(_STATIC.findall(head)):
        head = re.sub(rf"\b{name}\b", f"{name}__p{i}", head)
        body = re.sub(rf"\b{name}\b", f"{name}__p{i}", body)
    body = _GID.sub(lambda g: f"gid{g.group(1)}__", body)
    undef = "".join(f"#undef {name}\n" for name in dict.fromkeys(_DEFINE.findall(head)))
    return (
        "#pragma OPENCL FP_CONTRACT DEFAULT\n"  # the compiler's own, which a part before may have turned off
        + head
        + f"static void part{i}({params}, const long gid0__, const long gid1__, const long gid2__) "
        + body
        + "\n"
        + undef
    )


def merged(device: Device, launches: Sequence[tuple[Launcher, tuple[int, ...], Any]]) -> tuple[Launcher, int]:
    """One kernel running `launches` (launcher, global size, local size; local sizes of one product)
    side by side, and its work-items: part i's global ids are work-items [N0 + ... + N(i-1), ...+ Ni)
    of it, in the original launch's order, so its work-groups hold the same work-items (PoCL
    vectorizes across them). Its arguments: each launch's own, then two integers per launch
    (`merged_args`)."""
    sources = [k.source for k, _, _ in launches]
    flat = [len(g) == 1 for _, g, _ in launches]  # a 1-D range: the global id is the index, no division
    key = ("merged", tuple(sources), tuple(flat))

    def source() -> str:
        text = "".join(_part(i, s) for i, s in enumerate(sources))
        params: list[str] = []
        body = ["  long item = get_global_id(0);"]
        for i, s in enumerate(sources):
            names = [p.rsplit(" ", 1)[-1].lstrip("*") for p in params_of(s)]
            params += [f"{p}_{i}" for p in params_of(s)] + [f"long n{i}", f"long ga{i}", f"long gb{i}"]
            call = "".join(f"{n}_{i}, " for n in names)
            ids = "item, 0, 0" if flat[i] else f"item % ga{i}, item / ga{i} % gb{i}, item / (ga{i} * gb{i})"
            body.append(f"  if (item < n{i}) {{ part{i}({call}{ids}); return; }}")
            body.append(f"  item -= n{i};")
        return text + f"__kernel void ember_launches({', '.join(params)}) {{\n" + "\n".join(body[:-1]) + "\n}\n"

    dtypes: list[Any] = []
    for k, _, _ in launches:
        dtypes += k.scalar_dtypes + [np.int64] * 3
    kernel = device.kernel(key, source, "ember_launches", dtypes)
    return kernel, sum(math.prod(g) for _, g, _ in launches)


def merged_args(launches: Sequence[tuple[Launcher, tuple[int, ...], Any]], args: Sequence[Sequence[Any]]) -> list[Any]:
    """The merged kernel's arguments: each launch's, then its work-items and its first two global sizes."""
    out: list[Any] = []
    for (_, g, _ls), a in zip(launches, args):
        dims = list(g) + [1] * (3 - len(g))
        out += [*a, math.prod(g), dims[0], dims[1]]
    return out
