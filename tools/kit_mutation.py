"""Mutation test of the conformance kit: how many plausible wrong NumPy kernels does it catch?

    nox -s kit-mutation            # or: python tools/kit_mutation.py [--ops add,expand] [--max-tests N]

One pytest session over the kit against the NumPy backend. First every kit test runs once with
each kernel wrapped by a recorder, which learns which tests call which kernel (and which pass).
Then, one at a time, each kernel is swapped for a mutant (a plausible wrong version: a copy where
a view is due, a view or the input itself where a copy is due, a wrong result dtype, nan turned
into 0, -0.0 lost, half precision, operands swapped, a broadcasting slip, a reduction over the
wrong axes or keepdim, ties resolved the other way, the input written in place, an in-place kernel
that writes nothing, astype rounding instead of truncating) and only the tests that call that
kernel run, cheapest and most direct first, until one fails (killed). A mutant that never changes
any result during its tests is equivalent to the original and not counted; the others that no
test kills are listed as survivors. Prints the fraction killed (target >= 95%).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest

Kernel = Callable[..., Any]
#: mutate(original kernel, args) -> (result, whether the mutant changed anything), or None: does not apply
Operator = Callable[[Kernel, tuple[Any, ...]], "tuple[Any, bool] | None"]

_OTHER_DTYPE = {
    "int64": np.int32, "int32": np.int64, "int16": np.int32, "int8": np.int16, "uint8": np.int16,
    "float64": np.float32, "float32": np.float64, "float16": np.float32, "bool": np.int8, "bfloat16": np.float32,
}  # fmt: skip


def _arrays(args: tuple[Any, ...]) -> list[int]:
    return [i for i, a in enumerate(args) if isinstance(a, np.ndarray)]


def _floating(a: Any) -> bool:
    return isinstance(a, np.ndarray) and (a.dtype.kind == "f" or a.dtype.name == "bfloat16")


def _same(x: Any, y: Any) -> bool:
    """Equal results: same type, shape, dtype and values (nan equal to nan, -0.0 unlike 0.0)."""
    x = np.asarray(x) if isinstance(x, np.generic) else x
    y = np.asarray(y) if isinstance(y, np.generic) else y
    if isinstance(x, (tuple, list)) or isinstance(y, (tuple, list)):
        return type(x) is type(y) and len(x) == len(y) and all(_same(a, b) for a, b in zip(x, y))
    if not isinstance(x, np.ndarray) or not isinstance(y, np.ndarray):
        return x is y or (type(x) is type(y) and bool(np.all(x == y)))
    if x.shape != y.shape or x.dtype != y.dtype:
        return False
    if _floating(x):
        xf, yf = x.astype(np.float64), y.astype(np.float64)
        return bool(np.all((xf == yf) & (np.signbit(xf) == np.signbit(yf)) | (np.isnan(xf) & np.isnan(yf))))
    return bool(np.array_equal(x, y))


def _on_result(fn: Callable[[np.ndarray], np.ndarray | None]) -> Operator:
    """An operator that rewrites the (first array of the) result; None from `fn`: not applicable here."""

    def op(orig: Kernel, args: tuple[Any, ...]) -> tuple[Any, bool] | None:
        out = orig(*args)
        if isinstance(out, tuple):
            for i, o in enumerate(out):
                new = fn(o) if isinstance(o, np.ndarray) else None
                if new is not None:
                    return (*out[:i], new, *out[i + 1 :]), not _same(o, new)
            return None
        new = fn(out) if isinstance(out, np.ndarray) else None
        return None if new is None else (new, not _same(out, new))

    return op


def _wrong_dtype(o: np.ndarray) -> np.ndarray | None:
    other = _OTHER_DTYPE.get(o.dtype.name)
    return None if other is None else o.astype(other)


def _index_dtype(o: np.ndarray) -> np.ndarray | None:  # indices in int32 (max_pool2d, argsort, nonzero, ...)
    return o.astype(np.int32) if o.dtype == np.int64 else None


def _nan_to_zero(o: np.ndarray) -> np.ndarray | None:
    return np.where(np.isnan(o.astype(np.float64)), 0, o).astype(o.dtype) if _floating(o) else None


def _lose_negative_zero(o: np.ndarray) -> np.ndarray | None:
    return np.asarray(o + np.zeros((), o.dtype)).astype(o.dtype) if _floating(o) else None


def _half_precision(o: np.ndarray) -> np.ndarray | None:
    return o.astype(np.float16).astype(o.dtype) if o.dtype in (np.float32, np.float64) else None


def _copy_for_view(orig: Kernel, args: tuple[Any, ...]) -> tuple[Any, bool] | None:
    out = orig(*args)
    return (np.array(out, copy=True), True) if isinstance(out, np.ndarray) else None


def _return_input(orig: Kernel, args: tuple[Any, ...]) -> tuple[Any, bool] | None:
    """The result written into the first input and that input returned (``np.add(a, b, out=a)``)."""
    out = orig(*args)
    idx = _arrays(args)
    if not idx or not isinstance(out, np.ndarray):
        return None
    a = args[idx[0]]
    if a.shape != out.shape or a.dtype != out.dtype or not a.flags.writeable or a.size == 0:
        return None
    np.copyto(a, out)
    return a, True


def _view_for_copy(orig: Kernel, args: tuple[Any, ...]) -> tuple[Any, bool] | None:
    """A view of the input where the values equal it (copy, flip of a palindrome, astype to the same dtype)."""
    out = orig(*args)
    idx = _arrays(args)
    if not idx or not isinstance(out, np.ndarray):
        return None
    a = args[idx[0]]
    if a.shape != out.shape or a.dtype != out.dtype or a.size == 0 or not _same(a, out):
        return None
    return a[...], True


def _writes_input(orig: Kernel, args: tuple[Any, ...]) -> tuple[Any, bool] | None:
    """Scratch work done in the first input's memory (it is left holding the result)."""
    out = orig(*args)
    idx = _arrays(args)
    if not idx or not isinstance(out, np.ndarray):
        return None
    a = args[idx[0]]
    if a.shape != out.shape or a.dtype != out.dtype or not a.flags.writeable or out is a or a.size == 0:
        return None
    changed = not _same(a, out)
    np.copyto(a, out)
    return np.array(out, copy=True), changed


def _swap_operands(orig: Kernel, args: tuple[Any, ...]) -> tuple[Any, bool] | None:
    idx = _arrays(args)
    if len(idx) < 2 or idx[:2] != [0, 1] or args[0].shape != args[1].shape or args[0].dtype != args[1].dtype:
        return None
    out = orig(*args)
    new = orig(args[1], args[0], *args[2:])
    return new, not _same(out, new)


def _broadcast_slip(orig: Kernel, args: tuple[Any, ...]) -> tuple[Any, bool] | None:
    """The smaller operand's first element broadcast where its row was due."""
    idx = _arrays(args)
    if len(idx) < 2:
        return None
    i, j = idx[0], idx[1]
    a, b = args[i], args[j]
    small = j if b.size < a.size else i
    s = args[small]
    if s.size < 2 or s.shape == (a if small == j else b).shape:
        return None
    out = orig(*args)
    new_args = list(args)
    new_args[small] = np.full_like(s, s.reshape(-1)[0])
    new = orig(*new_args)
    return new, not _same(out, new)


def _keepdim_flipped(orig: Kernel, args: tuple[Any, ...]) -> tuple[Any, bool] | None:
    if len(args) != 3 or not isinstance(args[2], bool) or not isinstance(args[1], tuple):
        return None
    out = orig(*args)
    new = orig(args[0], args[1], not args[2])
    return new, not _same(out, new)


def _first_axis_only(orig: Kernel, args: tuple[Any, ...]) -> tuple[Any, bool] | None:
    if len(args) != 3 or not isinstance(args[1], tuple) or len(args[1]) < 2:
        return None
    out = orig(*args)
    new = orig(args[0], args[1][:1], args[2])
    new = new.reshape(out.shape) if isinstance(new, np.ndarray) and new.size == np.size(out) else new
    return new, not _same(out, new)


def _ties_last(orig: Kernel, args: tuple[Any, ...]) -> tuple[Any, bool] | None:
    """argmax/argmin that pick the last of equal elements."""
    if len(args) != 3 or not isinstance(args[0], np.ndarray) or not (args[1] is None or isinstance(args[1], int)):
        return None
    x, axis, keepdim = args
    out = orig(*args)
    if x.size == 0:
        return None
    if axis is None:
        flat = x.reshape(-1)[::-1]
        new = np.asarray(flat.size - 1 - orig(flat, 0, False), np.int64)
        new = new.reshape(out.shape)
    else:
        n = x.shape[axis]
        new = (n - 1 - orig(np.flip(x, axis), axis, keepdim)).astype(np.int64)
    return new, not _same(out, new)


def _writes_nothing(orig: Kernel, args: tuple[Any, ...]) -> tuple[Any, bool] | None:
    """An in-place kernel (copy_, add_, ...) that computes into a copy and leaves its target as it was."""
    if not args or not isinstance(args[0], np.ndarray):
        return None
    target = args[0]
    scratch = np.array(target, copy=True)
    result = orig(scratch, *args[1:])
    if result is not None:  # not an in-place kernel
        return None
    return None, not _same(scratch, target)


def _astype_rounds(orig: Kernel, args: tuple[Any, ...]) -> tuple[Any, bool] | None:
    x, dtype = args[0], args[1]
    if not _floating(x) or dtype.kind != "i":
        return None
    out = orig(*args)
    new = orig(np.rint(x.astype(np.float64)).astype(x.dtype), dtype)
    return new, not _same(out, new)


#: operator name -> (operator, applies to view kernels?, applies to other kernels?)
OPERATORS: dict[str, tuple[Operator, bool, bool]] = {
    "copy-for-view": (_copy_for_view, True, False),
    "returns-input": (_return_input, False, True),
    "view-for-copy": (_view_for_copy, False, True),
    "writes-input": (_writes_input, False, True),
    "writes-nothing": (_writes_nothing, False, True),
    "wrong-dtype": (_on_result(_wrong_dtype), True, True),
    "int32-indices": (_on_result(_index_dtype), False, True),
    "nan-to-zero": (_on_result(_nan_to_zero), False, True),
    "loses-negative-zero": (_on_result(_lose_negative_zero), False, True),
    "half-precision": (_on_result(_half_precision), False, True),
    "swapped-operands": (_swap_operands, False, True),
    "broadcast-slip": (_broadcast_slip, False, True),
    "keepdim-flipped": (_keepdim_flipped, False, True),
    "first-axis-only": (_first_axis_only, False, True),
    "ties-last": (_ties_last, False, True),
    "rounds": (_astype_rounds, False, True),
}
#: operators meant for some kernels only (the rest would be noise: rounding is astype's mistake)
ONLY = {"ties-last": {"argmax", "argmin"}, "rounds": {"astype"}, "int32-indices": None}


@dataclass
class Mutant:
    kernel: str
    operator: str
    applied: bool = False
    changed: bool = False
    killed_by: str | None = None
    ran: int = 0
    tests: int = 0
    first_change: str = ""  # the first test in which the mutant changed a result


@dataclass(eq=False)  # hashable: pluggy keeps plugins in sets
class MutationRun:
    """The pytest plugin: a recording pass, then the mutants, in `pytest_runtestloop`."""

    ops: set[str] | None
    max_tests: int
    mutants: list[Mutant] = field(default_factory=list)
    _failed: bool = False
    _current: str = ""

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.failed:
            self._failed = True

    def _run(self, item: pytest.Item) -> bool:
        """Run one test; True when it failed."""
        self._failed = False
        self._current = item.nodeid
        item.ihook.pytest_runtest_protocol(item=item, nextitem=None)
        return self._failed

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtestloop(self, session: pytest.Session) -> bool:
        from ember import dispatch
        from ember.backends import registry

        backend = registry.get("cpu")
        table = backend.kernels
        original = dict(table)
        names = sorted(n for n in original if self.ops is None or n in self.ops)
        calls: dict[str, list[str]] = defaultdict(list)
        cost: dict[str, float] = {}

        def recorder(name: str, k: Kernel) -> Kernel:
            def kernel(*args: Any, **kwargs: Any) -> Any:
                bucket = calls[name]
                if not bucket or bucket[-1] != self._current:
                    bucket.append(self._current)
                return k(*args, **kwargs)

            return kernel

        for n in names:
            table[n] = recorder(n, original[n])
        dispatch.invalidate_caches()
        passing: dict[str, pytest.Item] = {}
        t0 = time.perf_counter()
        for item in session.items:
            start = time.perf_counter()
            if not self._run(item):
                passing[item.nodeid] = item
            cost[item.nodeid] = time.perf_counter() - start
        table.update(original)
        dispatch.invalidate_caches()
        print(f"recording pass: {len(session.items)} tests in {time.perf_counter() - t0:.0f} s, "
              f"{len(passing)} pass; {len(names)} kernels", flush=True)  # fmt: skip

        from ember.dispatch import OPS

        for name in names:
            op = OPS.get(name)
            is_view = bool(op is not None and op.view)
            ids = [i for i in dict.fromkeys(calls.get(name, [])) if i in passing]
            direct = f"[{name}"
            ids.sort(key=lambda i: (direct not in i and f"-{name}]" not in i, cost[i]))
            for opname, (operator, on_views, on_others) in OPERATORS.items():
                if not (on_views if is_view else on_others):
                    continue
                only = ONLY.get(opname)
                if only is not None and name not in only:
                    continue
                mutant = Mutant(name, opname, tests=len(ids))
                self._try(mutant, operator, original[name], table, ids, passing)
                table[name] = original[name]
                dispatch.invalidate_caches()
                if mutant.applied and mutant.changed:
                    self.mutants.append(mutant)
        return True

    def _try(self, mutant: Mutant, operator: Operator, orig: Kernel, table: Any, ids: list[str],
             passing: dict[str, pytest.Item]) -> None:  # fmt: skip
        from ember import dispatch

        def kernel(*args: Any) -> Any:
            try:
                res = operator(orig, args)
            except Exception:  # the mutation does not fit this call: the original runs
                res = None
            if res is None:
                return orig(*args)
            mutant.applied = True
            out, changed = res
            if changed and not mutant.changed:
                mutant.first_change = self._current
            mutant.changed |= changed
            return out

        table[mutant.kernel] = kernel
        dispatch.invalidate_caches()
        for nodeid in ids[: self.max_tests]:
            mutant.ran += 1
            if self._run(passing[nodeid]):
                mutant.killed_by = nodeid
                return


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ops", help="comma list of kernels to mutate (default: every kernel of the NumPy backend)")
    parser.add_argument("--max-tests", type=int, default=100, help="tests run per mutant at most")
    args, rest = parser.parse_known_args()
    run = MutationRun({s.strip() for s in args.ops.split(",")} if args.ops else None, args.max_tests)
    t0 = time.perf_counter()
    pytest.main(
        ["--pyargs", "ember.testing.kit", "--ember-backend=numpy", "-p", "no:cacheprovider", "-p", "no:terminal",
         "-W", "ignore", *rest],
        plugins=[run],
    )  # fmt: skip
    counted = run.mutants
    killed = [m for m in counted if m.killed_by]
    survivors = [m for m in counted if not m.killed_by]
    by_op: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for m in counted:
        by_op[m.operator][0] += bool(m.killed_by)
        by_op[m.operator][1] += 1
    print(f"\nmutants: {len(counted)} (each changed some kernel result in the tests that call its kernel)")
    for opname, (k, n) in sorted(by_op.items()):
        print(f"  {opname:>20}: {k}/{n} killed")
    score = len(killed) / max(len(counted), 1)
    print(f"killed: {len(killed)}/{len(counted)} = {score:.1%} (target >= 95%) in {time.perf_counter() - t0:.0f} s")
    if survivors:
        print("survivors (kernel, mutation, tests run / tests calling the kernel):")
        for m in survivors:
            print(f"  {m.kernel:>24}  {m.operator:<20} {m.ran}/{m.tests}  first changed a result in {m.first_change}")
    sys.exit(0)


if __name__ == "__main__":
    main()
