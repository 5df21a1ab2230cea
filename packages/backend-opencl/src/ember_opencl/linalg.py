"""Matrix products: `matmul` (NumPy semantics) and the composite `linear`.

Every operand is read through its own strides: transposed (``x.T``), sliced,
permuted and broadcast views cost no copy.

float32/float64 products of any real size take a BLIS-style path:

1. one packing kernel (one launch) copies A into MR-row panels (``Ap[batch][panel][k][r]``)
   and B into NR-column panels (``Bp[batch][panel][k][c]``), zero-padded, reading
   the operands through any strides (a transposed operand costs the same); an
   operand broadcast over the batch (a conv's weights) is packed once, not per entry;
2. a micro-kernel where each work-item owns a macro-tile of MT x NT register
   tiles of MR x NR sized to the device's native vector width (`_tiles`): for
   float32, 6 x 16 on AVX2 (12 float8 accumulators, two B vectors and one
   broadcast A scalar fill the 16 ymm registers) and 8 x 32 on AVX-512 (16
   float16 accumulators of the 32 zmm registers), looping over K
   in blocks of at most KC so that the B micro-panel stays in L1 and the A
   macro-panel in L2; C is read back between K blocks, and the bias of `linear`
   initialises the accumulators.

A 2-D product reads a small operand in place instead of packing it (A through any strides, B
when its rows are of unit stride along N), and one whose operands are both of unit stride along
K (a linear layer's ``x @ w.T``) runs `_dot_kernel`: register tiles of 4 x 4 vectors of partial
sums along K, summed across lanes at the end, with no packing launch at all.

Work-groups have one work-item (PoCL runs a work-group per task on its thread
pool and each costs a few microseconds, so each item gets a large macro-tile).
Everything else (integers, bool, tiny or vector shapes) uses one simple kernel:
a work-item per output element, summing along K through the strides.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from . import cltypes
from .clarray import CLArray, c_strides, empty, from_numpy, to_numpy
from .device import Device
from .elementwise import broadcast_strides, collapse, launch

#: The dtypes of the blocked path.
_BLOCKED_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))
#: The largest K block the micro-kernel multiplies between C updates.
KC_MAX = 256
#: The most register tiles (rows, columns) in one work-item's macro-tile.
MACRO_TILE = (8, 8)
#: Below this many multiply-adds (M*N*K) the simple kernel's single launch wins.
BLOCKED_MIN_WORK = 40**3
#: GEMM work-items per compute unit that the macro-tiles are split to (fewer leave cores idle at the end).
ITEMS_PER_UNIT = 4


def _tiles(device: Device, dtype: np.dtype) -> tuple[int, int, int]:
    """Register tile (rows MR, columns NR) and vector width V of the micro-kernel for `dtype` on `device`.

    Two vectors of the CPU's native width make a row of the tile: 16-register
    SIMD units (AVX2's ymm, vectors of 32 bytes or less) hold 6 rows, 32-register
    ones (AVX-512's zmm, 64-byte vectors) 8 rows, leaving room for B and the A broadcast.
    Other devices (GPUs report a native width of 1) keep 32-byte vectors.
    """
    cl_device = device.cl_device
    if device.is_cpu:  # PoCL: 8 floats on AVX2, 16 on AVX-512; SSE's 4 keeps float4
        native = cl_device.native_vector_width_double if dtype == np.float64 else cl_device.native_vector_width_float
        V = max(4, min(16, native or 4))
    else:
        V = 32 // dtype.itemsize
    return (8 if V * dtype.itemsize >= 64 else 6), 2 * V, V


def _batch_code(nb: int, names: list[str], index: str) -> str:
    """C statements adding batch entry `index`'s offset to `<name>_off` for each operand (nb collapsed dims)."""
    if nb == 0:
        return ""
    lines = [f"  long r_ = {index}, c_;\n"]
    for k in range(nb - 1, 0, -1):
        lines.append(f"  c_ = r_ % bd{k}; r_ /= bd{k};\n")
        lines += [f"  {n}_off += c_ * {n}_sb{k};\n" for n in names]
    lines += [f"  {n}_off += r_ * {n}_sb0;\n" for n in names]
    return "".join(lines)


def _acc_type(dtype: np.dtype) -> str:
    if dtype == np.bool_:
        return "uchar"
    if dtype.kind in "iu":
        return "long" if dtype.kind == "i" else "ulong"
    return cltypes.ctype(dtype)


# -- the simple kernel -------------------------------------------------------------------------------


def _naive(c: CLArray, a: CLArray, b: CLArray, batch: tuple[int, ...], sa: tuple[int, ...],
           sb: tuple[int, ...], bias: CLArray | None) -> None:  # fmt: skip
    """c (contiguous (prod(batch), M, N)) = a @ b (+ bias along N); sa/sb: a's/b's strides over `batch`."""
    device = c.device
    M, K = a.shape[-2:]
    N = b.shape[-1]
    nb = len(batch)
    t = cltypes.ctype(c.dtype)
    acc = _acc_type(c.dtype)
    has_bias = bias is not None
    key = ("mm_naive", t, c.dtype == np.bool_, nb, has_bias)  # bool and uint8 share the C type: the step differs

    def source() -> str:
        params = ["long M", "long N", "long K"] + [f"long bd{k}" for k in range(1, nb)]
        params += [f"__global {t}* cc"]
        params += [f"__global const {t}* a", "long a_off", "long a_sm", "long a_sk"] + [
            f"long a_sb{k}" for k in range(nb)
        ]
        params += [f"__global const {t}* b", "long b_off", "long b_sk", "long b_sn"] + [
            f"long b_sb{k}" for k in range(nb)
        ]
        if has_bias:
            params += [f"__global const {t}* bias", "long bias_off", "long bias_s"]
        step = "s = s | (a[ia] & b[ib])" if c.dtype == np.bool_ else f"s += ({acc})a[ia] * ({acc})b[ib]"
        return (
            cltypes.preamble([c.dtype])
            + f"__kernel void ember_mm_naive({', '.join(params)}) {{\n"
            + "  const long j = get_global_id(0), i = get_global_id(1), bi = get_global_id(2);\n"
            + "  if (i >= M || j >= N) return;\n"
            + _batch_code(nb, ["a", "b"], "bi")
            + "  long ia = a_off + i * a_sm, ib = b_off + j * b_sn;\n"
            + f"  {acc} s = 0;\n"
            + f"  for (long k = 0; k < K; ++k, ia += a_sk, ib += b_sk) {step};\n"
            + ("  s += bias[bias_off + j * bias_s];\n" if has_bias else "")
            + f"  cc[(bi * M + i) * N + j] = ({t})s;\n}}\n"
        )

    scalar_dtypes: list[Any] = [np.int64] * (3 + max(nb - 1, 0)) + [None]
    scalar_dtypes += [None, np.int64, np.int64, np.int64] + [np.int64] * nb
    scalar_dtypes += [None, np.int64, np.int64, np.int64] + [np.int64] * nb
    args = [M, N, K, *batch[1:], c.buffer]
    args += [a.buffer, a.offset, a.strides[-2], a.strides[-1], *sa]
    args += [b.buffer, b.offset, b.strides[-2], b.strides[-1], *sb]
    if bias is not None:
        scalar_dtypes += [None, np.int64, np.int64]
        args += [bias.buffer, bias.offset, bias.strides[0]]
    kernel = device.kernel(key, source, "ember_mm_naive", scalar_dtypes)
    nbatch = math.prod(batch)
    lx = 16 if N >= 16 else N
    ly = max(1, min(M, 64 // lx))
    gx, gy = -(-N // lx) * lx, -(-M // ly) * ly
    kernel(device.queue, (gx, gy, nbatch), (lx, ly, 1), *args)


# -- the blocked path ----------------------------------------------------------------------------------


#: How one operand is packed: (panel width R, collapsed batch dims, unit stride along the panel, along K).
PackSpec = tuple[int, int, bool, bool]


def _pack_params(t: str, nb: int) -> list[str]:
    """The kernel parameters of one operand's packing (see `_PackPlan` for their values)."""
    params = [f"__global const {t}* src", "long src_off", "long sr", "long sk", "long n", "long K"]
    params += ["long pg", "long kb"] + [f"long bd{k}" for k in range(1, nb)] + [f"long src_sb{k}" for k in range(nb)]
    return params + [f"__global {t}* dst", "long g0", "long g1"]


def _pack_function(dtype: np.dtype, spec: PackSpec, name: str) -> str:
    """C function `name`: dst[bi][p][k][r] = src[(p*R + r)*sr + k*sk] (0 past n) for work-item (gx, gy, bi)'s
    panels and stretch of K."""
    R, nb, unit_r, unit_k = spec
    t = cltypes.ctype(dtype)
    SR, SK = ("1" if unit_r else "sr"), ("1" if unit_k else "sk")
    params = _pack_params(t, nb)[:-2] + ["long gx", "long gy", "long bi"]
    panel = f"""
    __global const {t}* s = src + src_off + p * {R} * {SR};
    __global {t}* d = dst + (bi * np_ + p) * K * {R};"""
    if unit_k and not unit_r:  # each row is contiguous along k: transpose blocks of 8 k in private memory
        full = f"""
  for (long p = p0; p < pf; ++p) {{{panel}
    long k = k0;
    for (; k + 8 <= k1; k += 8) {{
      {t} blk[{R} * 8];
      #pragma unroll
      for (int r = 0; r < {R}; ++r) vstore8(vload8(0, s + r * {SR} + k), r, blk);
      #pragma unroll
      for (int kk = 0; kk < 8; ++kk)
        #pragma unroll
        for (int r = 0; r < {R}; ++r) d[(k + kk) * {R} + r] = blk[r * 8 + kk];
    }}
    for (; k < k1; ++k)
      for (int r = 0; r < {R}; ++r) d[k * {R} + r] = s[r * {SR} + k];
  }}"""
    else:  # k outer, panels inner: consecutive reads along the panels' dim
        full = f"""
  for (long k = k0; k < k1; ++k) {{
    for (long p = p0; p < pf; ++p) {{{panel}
      #pragma unroll
      for (int r = 0; r < {R}; ++r) d[k * {R} + r] = s[r * {SR} + k * {SK}];
    }}
  }}"""
    return (
        f"static void {name}({', '.join(params)}) {{\n"
        + "  const long p0 = gx * pg, k0 = gy * kb;\n"
        + f"  const long np_ = (n + {R - 1}) / {R};\n"
        + "  if (p0 >= np_ || k0 >= K) return;\n"
        + f"  const long p1 = min(p0 + pg, np_), pf = min(p1, n / {R}), k1 = min(k0 + kb, K);\n"
        + _batch_code(nb, ["src"], "bi")
        + full
        + f"\n  if (pf < p1) {{  // the last panel, partly past n\n    const long p = pf;{panel}\n"
        + f"    const int rows = n - p * {R};\n"
        + "    for (long k = k0; k < k1; ++k)\n"
        + f"      for (int r = 0; r < {R}; ++r) d[k * {R} + r] = r < rows ? s[r * {SR} + k * {SK}] : ({t})0;\n"
        + "  }\n}\n"
    )


def _pack_kernel(device: Device, dtype: np.dtype, specs: tuple[PackSpec, ...]) -> Any:
    """One launch packing several operands: a 1-D range of work-items, operand i's g0 x g1 x batch first."""
    t = cltypes.ctype(dtype)
    key = ("mm_pack", t, specs)

    def source() -> str:
        params: list[str] = []
        body = ["  long g = get_global_id(0);"]
        for i, (_, nb, _, _) in enumerate(specs):
            names = [p.rsplit(" ", 1)[1] for p in _pack_params(t, nb)]
            params += [f"{p}{i}" for p in _pack_params(t, nb)]
            call = ", ".join(f"{n}{i}" for n in names[:-2])
            where = f"g % g0{i}, g / g0{i} % g1{i}, g / (g0{i} * g1{i})"
            body.append(f"  if (g < g0{i} * g1{i} * bn{i}) {{ pack{i}({call}, {where}); return; }}")
            body.append(f"  g -= g0{i} * g1{i} * bn{i};")
            params.append(f"long bn{i}")
        return (
            cltypes.preamble([dtype])
            + "".join(_pack_function(dtype, spec, f"pack{i}") for i, spec in enumerate(specs))
            + f"__kernel void ember_mm_pack({', '.join(params)}) {{\n"
            + "\n".join(body[:-1])
            + "\n}\n"
        )

    scalar_dtypes: list[Any] = []
    for _, nb, _, _ in specs:
        scalar_dtypes += [None] + [np.int64] * 7 + [np.int64] * (max(nb - 1, 0) + nb) + [None, np.int64, np.int64]
        scalar_dtypes.append(np.int64)
    return device.kernel(key, source, "ember_mm_pack", scalar_dtypes)


class _PackPlan:
    """How to pack the zero-padded panels of an operand (read as n x K through sr, sk, batched through sbatch):
    the kernel spec, its integer arguments around the source and destination buffers, its work-items and the
    packed buffer's size. A plan depends on the layout only, so `_blocked` keeps it per layout."""

    def __init__(self, device: Device, itemsize: int, sr: int, sk: int, n: int, K: int, R: int,
                 batch: tuple[int, ...], sbatch: tuple[int, ...]) -> None:  # fmt: skip
        nbatch = math.prod(batch)
        npanels = -(-n // R)
        self.nbytes = nbatch * npanels * K * R * itemsize
        unit_r, unit_k = sr == 1 and n > 1, sk == 1 and K > 1
        want = 4 * device.compute_units  # work-items to share among the cores (each work-group costs)
        if unit_k and not unit_r:  # a panel per work-item, as much of K as keeps its 32 KiB slice in L1
            kb = min(max(64, 32768 // (R * itemsize)), -(-K // -(-want // (npanels * nbatch))))
            pg, kb = 1, -(-K // -(-K // kb))
        else:  # blocks of about 128 columns x 64 k (512-byte runs of a row-major source)
            pg, kb = max(1, 128 // R), min(K, 64)
            while nbatch * -(-npanels // pg) * -(-K // kb) < want and pg > 1:
                pg //= 2
        g0, g1 = -(-npanels // pg), -(-K // kb)
        self.spec: PackSpec = (R, len(batch), unit_r, unit_k)
        self.middle = [sr, sk, n, K, pg, kb, *batch[1:], *sbatch]  # between (src, src_off) and dst
        self.tail = [g0, g1, nbatch]
        self.items = g0 * g1 * nbatch

    def args(self, src: CLArray, dst: Any) -> list[Any]:
        return [src.buffer, src.offset, *self.middle, dst, *self.tail]


def _gemm_kernel(device: Device, dtype: np.dtype, has_bias: bool, a_mode: str = "packed", b_direct: bool = False) -> Any:
    """The micro-kernel. A is read from its panels (`a_mode` "packed") or in place through its strides
    ("strided"; "rows": unit stride along K), rows past M clamped to the last (their results are never
    stored); B from its panels or, `b_direct`, in place from rows of unit stride along N (the last,
    partial panel loads lane by lane)."""
    MR, NR, V = _tiles(device, dtype)
    nv = NR // V
    t = cltypes.ctype(dtype)
    vt = f"{t}{V}"
    key = ("mm_gemm", t, MR, NR, V, has_bias, a_mode, b_direct)
    acc = [[f"c{r}_{v}" for v in range(nv)] for r in range(MR)]
    flat = [x for row in acc for x in row]

    def source() -> str:
        params = [f"__global const {t}* restrict ap", f"__global const {t}* restrict bp", f"__global {t}* restrict c"]
        params += ["long M", "long N", "long K", "long mt", "long nt", "long kcb", "long a_bs", "long b_bs"]
        params += ["long a_off", "long a_sm", "long a_sk", "long b_off", "long b_sk"]
        if has_bias:
            params += [f"__global const {t}* bias", "long bias_off", "long bias_s"]
        L: list[str] = []
        A = L.append

        def k_loop(b_lanes: bool) -> None:
            A("        for (long k = 0; k < kc; ++k) {")
            for v in range(nv):
                if not b_direct:
                    A(f"          const {vt} b{v} = vload{V}({v}, bpp + k * {NR});")
                elif not b_lanes:
                    A(f"          const {vt} b{v} = vload{V}({v}, bpp + k * b_sk);")
                else:
                    lanes = ", ".join(f"{v * V + e} < ncols ? bpp[k * b_sk + {v * V + e}] : ({t})0" for e in range(V))
                    A(f"          const {vt} b{v} = ({vt})({lanes});")
            for r in range(MR):
                if a_mode == "packed":
                    A(f"          const {vt} a{r} = ({vt})app[k * {MR} + {r}];")
                else:
                    A(f"          const {vt} a{r} = ({vt})ar{r}[k{' * a_sk' if a_mode == 'strided' else ''}];")
                for v in range(nv):
                    A(f"          {acc[r][v]} = fma(a{r}, b{v}, {acc[r][v]});")
            A("        }")

        A(cltypes.preamble([dtype]))
        A(f"__kernel void ember_mm_gemm({', '.join(params)}) {{")
        A(f"  const long mp = (M + {MR - 1}) / {MR}, np_ = (N + {NR - 1}) / {NR};")
        A("  const long tn = get_global_id(0) * nt, tm = get_global_id(1) * mt, bi = get_global_id(2);")
        A("  if (tn >= np_ || tm >= mp) return;")
        A("  ap += bi * a_bs; bp += bi * b_bs; c += bi * M * N;")
        A("  const long tn1 = min(tn + nt, np_), tm1 = min(tm + mt, mp);")
        A(f"  {t} tmp[{MR * NR}];")
        A("  for (long k0 = 0; k0 < K; k0 += kcb) {")
        A("    const long kc = min(kcb, K - k0);")
        A("    for (long jn = tn; jn < tn1; ++jn) {")
        if b_direct:
            A(f"      __global const {t}* bpp = bp + b_off + k0 * b_sk + jn * {NR};")
        else:
            A(f"      __global const {t}* bpp = bp + (jn * K + k0) * {NR};")
        A(f"      const long j0 = jn * {NR};")
        A(f"      const int ncols = (int)min((long){NR}, N - j0);")
        if has_bias:
            for v in range(nv):
                lanes = ", ".join(
                    f"j0 + {v * V + e} < N ? bias[bias_off + (j0 + {v * V + e}) * bias_s] : ({t})0" for e in range(V)
                )
                A(f"      const {vt} bv{v} = ({vt})({lanes});")
        A("      for (long im = tm; im < tm1; ++im) {")
        A(f"        const long i0 = im * {MR};")
        if a_mode == "packed":
            A(f"        __global const {t}* app = ap + (im * K + k0) * {MR};")
        else:
            for r in range(MR):
                A(f"        __global const {t}* ar{r} = ap + a_off + min(i0 + {r}, M - 1) * a_sm + k0 * a_sk;")
        A(f"        const int nrows = (int)min((long){MR}, M - i0);")
        A(f"        __global {t}* cp = c + i0 * N + j0;")
        A(f"        const bool full = nrows == {MR} && ncols == {NR};")
        A(f"        {vt} {', '.join(flat)};")
        A("        if (k0 == 0) {")
        for r in range(MR):
            for v in range(nv):
                A(f"          {acc[r][v]} = {f'bv{v}' if has_bias else f'({vt})0'};")
        A("        } else if (full) {")
        for r in range(MR):
            for v in range(nv):
                A(f"          {acc[r][v]} = vload{V}({v}, cp + {r} * N);")
        A("        } else {")
        A(f"          for (int r = 0; r < {MR}; ++r)")
        A(f"            for (int j = 0; j < {NR}; ++j)")
        A(f"              tmp[r * {NR} + j] = r < nrows && j < ncols ? cp[r * N + j] : ({t})0;")
        for r in range(MR):
            for v in range(nv):
                A(f"          {acc[r][v]} = vload{V}({v}, tmp + {r * NR});")
        A("        }")
        if b_direct:
            A(f"        if (ncols == {NR}) {{")
            k_loop(False)
            A("        } else {")
            k_loop(True)
            A("        }")
        else:
            k_loop(False)
        A("        if (full) {")
        for r in range(MR):
            for v in range(nv):
                A(f"          vstore{V}({acc[r][v]}, {v}, cp + {r} * N);")
        A("        } else {")
        for r in range(MR):
            for v in range(nv):
                A(f"          vstore{V}({acc[r][v]}, {v}, tmp + {r * NR});")
        A("          for (int r = 0; r < nrows; ++r)")
        A(f"            for (int j = 0; j < ncols; ++j) cp[r * N + j] = tmp[r * {NR} + j];")
        A("        }")
        A("      }")
        A("    }")
        A("  }")
        A("}")
        return "\n".join(L) + "\n"

    scalar_dtypes: list[Any] = [None, None, None] + [np.int64] * 13 + ([None, np.int64, np.int64] if has_bias else [])
    return device.kernel(key, source, "ember_mm_gemm", scalar_dtypes)


#: The largest operand (bytes) that a 2-D product reads in place rather than packed: one that stays in
#: the caches while its panels are read again for each tile (packing costs a pass over it and a launch).
DIRECT_MAX_BYTES = 1 << 21


def _blocked(c: CLArray, a: CLArray, b: CLArray, batch: tuple[int, ...], sa: tuple[int, ...],
             sb: tuple[int, ...], bias: CLArray | None) -> None:  # fmt: skip
    """c (contiguous (prod(batch), M, N)) = a @ b (+ bias) for float32/float64: pack, then the micro-kernel.
    The plan (kernels, work sizes, integer arguments) is made once per layout: planning in Python cost about
    as much host time as the two launches."""
    key = (c.device, c.dtype, a.shape, a.strides, b.shape, b.strides, batch, sa, sb, bias is None)
    plan = _PLANS.get(key)
    if plan is None:
        if len(_PLANS) >= 1024:  # many layouts (shapes that keep changing): start again rather than grow
            _PLANS.clear()
        plan = _PLANS[key] = (not batch and _dot_plan(c, a, b, bias is not None)) or _blocked_plan(c, a, b, batch, sa, sb, bias is not None)
    plan(c, a, b, bias)


def _dot_tiles(device: Device, dtype: np.dtype) -> tuple[int, int, int]:
    """`_dot_kernel`'s register tile (rows RA of A, columns RB of B) and vector width V: 16 vectors of
    partial sums where the SIMD unit has 32 registers (AVX-512), 8 where it has 16."""
    _, _, V = _tiles(device, dtype)
    return (4, 4, V) if V * dtype.itemsize >= 64 else (2, 4, V)


def _dot_kernel(device: Device, dtype: np.dtype, has_bias: bool) -> Any:
    """The micro-kernel for A and B both of unit stride along K (``x @ w.T``, a linear layer's forward):
    each register tile of RA rows of A and RB columns of B keeps RA x RB vectors of partial sums along K,
    summed across their lanes at the end, so neither operand is packed."""
    RA, RB, V = _dot_tiles(device, dtype)
    t = cltypes.ctype(dtype)
    vt = f"{t}{V}"
    key = ("mm_dot", t, V, RA, RB, has_bias)

    def hsum() -> str:
        lines, w, x = [f"static {t} hsum({vt} v) {{"], V, "v"
        while w > 2:
            w //= 2
            lines.append(f"  const {t}{w} h{w} = {x}.lo + {x}.hi;")
            x = f"h{w}"
        lines.append(f"  return {x}.x + {x}.y;\n}}")
        return "\n".join(lines) + "\n"

    def source() -> str:
        params = [f"__global const {t}* a", "long a_off", "long a_sm", f"__global const {t}* b", "long b_off", "long b_sn",
                  f"__global {t}* c", "long M", "long N", "long K", "long mt", "long nt"]  # fmt: skip
        if has_bias:
            params += [f"__global const {t}* bias", "long bias_off", "long bias_s"]
        pairs = [(r, q) for r in range(RA) for q in range(RB)]
        L = [cltypes.preamble([dtype]), hsum(), f"__kernel void ember_mm_dot({', '.join(params)}) {{"]
        L.append(f"  const long mp = (M + {RA - 1}) / {RA}, np_ = (N + {RB - 1}) / {RB};")
        L.append("  const long tn = get_global_id(0) * nt, tm = get_global_id(1) * mt;")
        L.append("  if (tn >= np_ || tm >= mp) return;")
        L.append(f"  const long tn1 = min(tn + nt, np_), tm1 = min(tm + mt, mp), KV = K / {V} * {V};")
        L.append("  for (long im = tm; im < tm1; ++im) {")
        L.append(f"    const long i0 = im * {RA};")
        L += [f"    __global const {t}* ar{r} = a + a_off + min(i0 + {r}, M - 1) * a_sm;" for r in range(RA)]
        L.append("    for (long jn = tn; jn < tn1; ++jn) {")
        L.append(f"      const long j0 = jn * {RB};")
        L += [f"      __global const {t}* br{q} = b + b_off + min(j0 + {q}, N - 1) * b_sn;" for q in range(RB)]
        L.append(f"      {vt} {', '.join(f'c{r}{q} = 0' for r, q in pairs)};")
        L.append(f"      for (long k = 0; k < KV; k += {V}) {{")
        L += [f"        const {vt} a{r} = vload{V}(0, ar{r} + k);" for r in range(RA)]
        L += [f"        const {vt} b{q} = vload{V}(0, br{q} + k);" for q in range(RB)]
        L += [f"        c{r}{q} = fma(a{r}, b{q}, c{r}{q});" for r, q in pairs]
        L.append("      }")
        L.append(f"      {t} {', '.join(f's{r}{q} = hsum(c{r}{q})' for r, q in pairs)};")
        L.append("      for (long k = KV; k < K; ++k) {")
        L += [f"        s{r}{q} = fma(ar{r}[k], br{q}[k], s{r}{q});" for r, q in pairs]
        L.append("      }")
        for r, q in pairs:
            value = f"s{r}{q} + bias[bias_off + (j0 + {q}) * bias_s]" if has_bias else f"s{r}{q}"
            L.append(f"      if (i0 + {r} < M && j0 + {q} < N) c[(i0 + {r}) * N + j0 + {q}] = {value};")
        L += ["    }", "  }", "}"]
        return "\n".join(L) + "\n"

    scalar_dtypes: list[Any] = [None, np.int64, np.int64, None, np.int64, np.int64, None] + [np.int64] * 5
    return device.kernel(key, source, "ember_mm_dot", scalar_dtypes + ([None, np.int64, np.int64] if has_bias else []))


def _dot_plan(c: CLArray, a: CLArray, b: CLArray,
              has_bias: bool) -> Callable[[CLArray, CLArray, CLArray, CLArray | None], None] | None:  # fmt: skip
    """`_blocked`'s launch for a 2-D product whose operands are both of unit stride along K and small, or None."""
    device = c.device
    M, K = a.shape[-2:]
    N = b.shape[-1]
    if not DOT_PRODUCTS or a.strides[-1] != 1 or b.strides[-2] != 1 or (M + N) * K * c.dtype.itemsize > 2 * DIRECT_MAX_BYTES:
        return None
    RA, RB, _ = _dot_tiles(device, c.dtype)
    mp, np_ = -(-M // RA), -(-N // RB)
    mt, nt = mp, np_
    want = ITEMS_PER_UNIT * device.compute_units
    while -(-mp // mt) * -(-np_ // nt) < want and (mt > 1 or nt > 1):
        if nt >= mt:
            nt = -(-nt // 2)
        else:
            mt = -(-mt // 2)
    grid = (-(-np_ // nt), -(-mp // mt))
    ints = [M, N, K, mt, nt]
    queue, kernel = device.queue, _dot_kernel(device, c.dtype, has_bias)

    def run(c: CLArray, a: CLArray, b: CLArray, bias: CLArray | None) -> None:
        head = [a.buffer, a.offset, a.strides[-2], b.buffer, b.offset, b.strides[-1], c.buffer, *ints]
        if bias is None:
            kernel(queue, grid, (1, 1), *head)
        else:
            kernel(queue, grid, (1, 1), *head, bias.buffer, bias.offset, bias.strides[0])

    return run


#: Whether 2-D products of two operands of unit stride along K use `_dot_kernel` (else they pack B).
DOT_PRODUCTS = True


_PLANS: dict[tuple[Any, ...], Callable[[CLArray, CLArray, CLArray, CLArray | None], None]] = {}


def _blocked_plan(c: CLArray, a: CLArray, b: CLArray, batch: tuple[int, ...], sa: tuple[int, ...],
                  sb: tuple[int, ...], has_bias: bool) -> Callable[[CLArray, CLArray, CLArray, CLArray | None], None]:  # fmt: skip
    """The launches of `_blocked` for these layouts, as a function of the arrays: one packing the operands
    that need it, one GEMM. A 2-D product reads a small A, and a small B of unit stride along N, in place."""
    device = c.device
    M, K = a.shape[-2:]
    N = b.shape[-1]
    MR, NR, _ = _tiles(device, c.dtype)
    nbatch = math.prod(batch)
    mp, np_ = -(-M // MR), -(-N // NR)
    size = c.dtype.itemsize
    a_direct = not batch and M * K * size <= DIRECT_MAX_BYTES
    b_direct = not batch and K * N * size <= DIRECT_MAX_BYTES and b.strides[-1] == 1 and N > 1
    a_mode = "packed" if not a_direct else "rows" if a.strides[-1] == 1 else "strided"
    # An operand that the whole batch shares (all its batch strides 0) is packed once and read by every entry.
    a_shared, b_shared = not any(sa), not any(sb)
    plans: list[_PackPlan] = []
    if not a_direct:
        plans.append(_PackPlan(device, size, a.strides[-2], a.strides[-1], M, K, MR, *(((), ()) if a_shared else (batch, sa))))
    if not b_direct:
        plans.append(_PackPlan(device, size, b.strides[-1], b.strides[-2], N, K, NR, *(((), ()) if b_shared else (batch, sb))))
    pack = _pack_kernel(device, c.dtype, tuple(p.spec for p in plans)) if plans else None
    pack_items = (sum(p.items for p in plans),)
    a_bs, b_bs = (0 if a_shared or a_direct else mp * K * MR), (0 if b_shared or b_direct else np_ * K * NR)
    # Macro-tiles of up to 8 x 8 register tiles (48 x 128 floats), smaller when that leaves cores idle.
    mt, nt = min(MACRO_TILE[0], mp), min(MACRO_TILE[1], np_)
    want = ITEMS_PER_UNIT * device.compute_units
    while nbatch * -(-mp // mt) * -(-np_ // nt) < want and (mt > 1 or nt > 1):
        if mt >= nt:
            mt = -(-mt // 2)
        else:
            nt = -(-nt // 2)
    kcb = -(-K // -(-K // KC_MAX))  # equal K blocks of at most KC_MAX
    gemm = _gemm_kernel(device, c.dtype, has_bias, a_mode, b_direct)
    ints = [M, N, K, mt, nt, kcb, a_bs, b_bs]
    grid = (-(-np_ // nt), -(-mp // mt), nbatch)
    queue, alloc = device.queue, device.alloc

    def run(c: CLArray, a: CLArray, b: CLArray, bias: CLArray | None) -> None:
        # (the operands' offsets are read at each call)
        ap = a.buffer if a_direct else alloc(plans[0].nbytes)
        bp = b.buffer if b_direct else alloc(plans[-1].nbytes)
        if pack is not None:
            args = ([] if a_direct else plans[0].args(a, ap)) + ([] if b_direct else plans[-1].args(b, bp))
            pack(queue, pack_items, (1,), *args)
        tail = [a.offset, a.strides[-2], a.strides[-1], b.offset, b.strides[-2]]
        if bias is not None:
            tail += [bias.buffer, bias.offset, bias.strides[0]]
        gemm(queue, grid, (1, 1, 1), ap, bp, c.buffer, *ints, *tail)

    return run


# -- entry points ----------------------------------------------------------------------------------------


def _gemm(c: CLArray, a: CLArray, b: CLArray, batch: tuple[int, ...], bias: CLArray | None) -> None:
    """c (contiguous batch + (M, N), non-empty) = a @ b (+ bias) with K > 0."""
    M, K = a.shape[-2:]
    N = b.shape[-1]
    dims: tuple[int, ...] = ()
    sa: tuple[int, ...] = ()
    sb: tuple[int, ...] = ()
    if batch:  # (two matrices, the common case, skip this Python)
        sa = broadcast_strides(a.view_of(a.shape[:-2], a.strides[:-2], 0), batch)
        sb = broadcast_strides(b.view_of(b.shape[:-2], b.strides[:-2], 0), batch)
        dims, (_, sa, sb) = collapse(batch, [c_strides(batch), sa, sb])
        if dims == (1,):
            dims, sa, sb = (), (), ()
        if dims and not any(sb):  # b is shared by the whole batch: fold the batch into a's rows when a's strides allow
            rows, (st,) = collapse(dims + (M,), [sa + (a.strides[-2],)])
            if len(rows) == 1:
                M = rows[0]
                a = a.view_of((M, K), (st[0], a.strides[-1]), a.offset)
                dims, sa, sb = (), (), ()
    (_blocked if takes_blocked_path(c.dtype, M, N, K) else _naive)(c, a, b, dims, sa, sb, bias)


def takes_blocked_path(dtype: np.dtype, M: int, N: int, K: int) -> bool:
    """Whether an (M, K) @ (K, N) product (each entry of a batch) runs on the blocked path, not the simple kernel."""
    return dtype in _BLOCKED_DTYPES and M * N * K >= BLOCKED_MIN_WORK and M > 1 and N > 1


def _matmul(a: CLArray, b: CLArray, bias: CLArray | None) -> CLArray:
    a_vec, b_vec = a.ndim == 1, b.ndim == 1
    if a_vec:
        a = a.view_of((1, a.shape[0]), (0, a.strides[0]), a.offset)
    if b_vec:
        b = b.view_of((b.shape[0], 1), (b.strides[0], 0), b.offset)
    M, K = a.shape[-2:]
    K2, N = b.shape[-2:]
    if K != K2:
        raise ValueError(f"matmul: shapes {a.shape} and {b.shape} do not match in the contracted dim ({K} != {K2})")
    batch = () if a.ndim == 2 and b.ndim == 2 else tuple(np.broadcast_shapes(a.shape[:-2], b.shape[:-2]))
    out_shape = batch + (M, N)
    c = empty(a.device, out_shape, a.dtype)
    if c.size:
        if K == 0:
            launch("copy", "x0", c, [bias] if bias is not None else [(0, c.dtype)])
        else:
            _gemm(c, a, b, batch, bias)
    final = out_shape
    if a_vec:
        final = final[:-2] + final[-1:]
    if b_vec:
        final = final[:-1]
    return c if final == out_shape else c.view_of(final, c_strides(final), 0)


def matmul(a: CLArray, b: CLArray) -> CLArray:
    """NumPy's matmul: batched over broadcast leading dims; 1-D operands promoted, the added dim removed."""
    return _matmul(a, b, None)


def linear(x: CLArray, w: CLArray, b: CLArray | None = None) -> CLArray:
    """x @ w.T + b (w is (out, in)); w.T is read in place and b initialises the accumulators."""
    wt = w.view_of((w.shape[1], w.shape[0]), (w.strides[1], w.strides[0]), w.offset)
    return _matmul(x, wt, b)


KERNELS: dict[str, Callable[..., Any]] = {"matmul": matmul, "linear": linear}


# --------------------------------------------------------------------------- LAPACK-style: on the host
# The decompositions and solvers (core's linalg primitives other than matmul: slogdet, inv, solve,
# cholesky, qr, svd, eigh) have no OpenCL kernels: pivoting and iterative eigensolvers are sequential
# work for which a device pays more in launches than LAPACK takes on the host. Like core's fallback,
# they copy their operands to the host, run core's generic NumPy kernel (LAPACK) and copy the results
# back, warning once per op with a FallbackWarning; unlike it, they need no host backend installed.


def _on_host(name: str) -> Callable[..., Any]:
    host: list[Callable[..., Any]] = []

    def kernel(*args: Any) -> Any:
        if not host:
            import warnings

            from ember.dispatch import FallbackWarning, _user_stacklevel
            from ember.xp_kernels import kernel_table

            host.append(kernel_table(np)[name])
            warnings.warn(
                f"{name}: the OpenCL backend has no kernel for it; running it on the host (NumPy's LAPACK) "
                f"with copies to and from the device (slow for large or many small matrices)",
                FallbackWarning,
                stacklevel=_user_stacklevel(),  # the user's line, as core's fallback warnings
            )
        dev = next(a.device for a in args if isinstance(a, CLArray))
        out = host[0](*[to_numpy(a) if isinstance(a, CLArray) else a for a in args])
        if isinstance(out, tuple):
            return tuple(from_numpy(dev, np.asarray(o)) for o in out)
        return from_numpy(dev, np.asarray(out))

    kernel.__name__ = f"host_{name}"
    return kernel


def _host_primitives() -> list[str]:
    """The linalg primitives of core's op table that have no device kernel above."""
    from ember.dispatch import OPS

    return sorted(n for n, op in OPS.items() if op.family == "linalg" and op.kind == "primitive" and n not in KERNELS)


KERNELS.update({name: _on_host(name) for name in _host_primitives()})
