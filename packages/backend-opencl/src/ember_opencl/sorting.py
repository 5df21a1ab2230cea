"""`argsort`: a stable merge sort of (key, index) pairs along one axis, in OpenCL C.

Keys compare with the original index as a tie-break (so the order is total and the
sort stable in both directions), and nan compares as the largest value. One launch
sorts every run of `_RUN` elements of every line (insertion sort of 16-element
pieces, then serial merges, one work-item per run); when lines are longer, each
further launch merges pairs of sorted runs, every work-item producing `_RUN`
consecutive outputs after locating its start with a merge-path binary search, so
long lines are sorted in parallel too. The last pass writes the int64 indices
straight into the output, in x's layout.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from . import cltypes
from .clarray import CLArray, empty
from .elementwise import copy

_RUN = 2048  # elements sorted by one work-item in the first pass, and outputs per work-item when merging
_PIECE = 16  # insertion-sorted pieces

_COMMON = """
#define T {t}
inline int lt_(T a, T b) {{ return {lt}; }}
/* Does (ka, ia) come before (kb, ib)? */
inline int before(T ka, int ia, T kb, int ib, int desc) {{
  const int l = desc ? lt_(kb, ka) : lt_(ka, kb);
  const int g = desc ? lt_(ka, kb) : lt_(kb, ka);
  return l || (!g && ia < ib);
}}
/* Merge sorted [a, ae) and [ae, be) of (sk, si), writing outputs d, d+1, ... d+n-1 of the merge
   (d counted from a) to (dk, di) at position a + d (or as int64 to fo[fbase + pos * fstride] when final). */
void merge_part(__global const T* sk, __global const int* si, long a, long ae, long be, long d, long n,
                __global T* dk, __global int* di, int desc, int final, __global long* fo, long fbase, long fstride) {{
  const long la = ae - a, lb = be - ae;
  long lo = max(0L, d - lb), hi = min(d, la);
  while (lo < hi) {{
    const long mid = (lo + hi) >> 1, jb = ae + d - mid - 1;
    if (before(sk[a + mid], si[a + mid], sk[jb], si[jb], desc)) lo = mid + 1; else hi = mid;
  }}
  long i = a + lo, j = ae + (d - lo);
  for (long q = 0; q < n; ++q) {{
    int take_a = j >= be || (i < ae && before(sk[i], si[i], sk[j], si[j], desc));
    const long from = take_a ? i : j;
    if (take_a) ++i; else ++j;
    const long pos = a + d + q;
    if (final) fo[fbase + pos * fstride] = si[from];
    else {{ dk[pos] = sk[from]; di[pos] = si[from]; }}
  }}
}}
"""

_RUNS = """
__kernel void ember_argsort_runs(long M, long R, long B, long nruns, int desc, int final,
                                 __global const T* x, long x_off, __global T* k0, __global int* i0,
                                 __global T* k1, __global int* i1, __global long* out) {
  const long w = get_global_id(0);
  if (w >= M * nruns) return;
  const long o = w / nruns, run = w - o * nruns;
  const long row = o * R, lo = row + run * RUN, hi = min(lo + RUN, row + R);
  const long xb = x_off + (o / B) * R * B + (o % B);
  const long fbase = (o / B) * R * B + (o % B);
  for (long p = lo; p < hi; ++p) { k0[p] = x[xb + (p - row) * B]; i0[p] = (int)(p - row); }
  for (long ps = lo; ps < hi; ps += PIECE) {  /* insertion sort of each piece */
    const long pe = min(ps + PIECE, hi);
    for (long p = ps + 1; p < pe; ++p) {
      const T k = k0[p]; const int id = i0[p];
      long q = p - 1;
      while (q >= ps && before(k, id, k0[q], i0[q], desc)) { k0[q + 1] = k0[q]; i0[q + 1] = i0[q]; --q; }
      k0[q + 1] = k; i0[q + 1] = id;
    }
  }
  int flip = 0;  /* where the sorted pieces are now: 0 -> (k0, i0), 1 -> (k1, i1) */
  for (long width = PIECE; width < hi - lo; width *= 2) {
    for (long a = lo; a < hi; a += 2 * width) {
      const long ae = min(a + width, hi), be = min(a + 2 * width, hi);
      if (flip) merge_part(k1, i1, a, ae, be, 0, be - a, k0, i0, desc, 0, out, 0, 0);
      else merge_part(k0, i0, a, ae, be, 0, be - a, k1, i1, desc, 0, out, 0, 0);
    }
    flip = !flip;
  }
  __global const T* sk = flip ? k1 : k0;
  __global const int* si = flip ? i1 : i0;
  if (final) { for (long p = lo; p < hi; ++p) out[fbase + (p - row) * B] = si[p]; }
  else if (flip) { for (long p = lo; p < hi; ++p) { k0[p] = sk[p]; i0[p] = si[p]; } }
}
"""

_MERGE = """
__kernel void ember_argsort_merge(long M, long R, long B, long nchunks, long width, int desc, int final,
                                  __global const T* sk, __global const int* si, __global T* dk, __global int* di,
                                  __global long* out) {
  const long w = get_global_id(0);
  if (w >= M * nchunks) return;
  const long o = w / nchunks, c = w - o * nchunks;
  const long row = o * R, pos = c * RUN;  /* this work-item's first output, within the row */
  const long a = (pos / (2 * width)) * (2 * width);
  const long ae = min(a + width, R), be = min(a + 2 * width, R);
  const long n = min(pos + RUN, R) - pos;
  const long fbase = (o / B) * R * B + (o % B);
  merge_part(sk + row, si + row, a, ae, be, pos - a, n, dk + row, di + row, desc, final, out, fbase, B);
}
"""


def _source(t: str, dtype: np.dtype, body: str) -> str:
    lt = "isnan(b) ? !isnan(a) : a < b" if dtype.kind == "f" else "a < b"
    common = _COMMON.format(t=t, lt=lt)
    return cltypes.preamble([dtype]) + f"#define RUN {_RUN}\n#define PIECE {_PIECE}\n" + common + body


def _local(device: Any, n: int) -> int:
    """Work-group size: on a CPU, small enough that every core gets work-groups."""
    if device.is_cpu:
        return max(1, min(64, n // (8 * max(device.compute_units, 1))))
    return min(64, device.max_work_group_size)


def argsort(x: CLArray, axis: int, descending: bool) -> CLArray:
    """int64 indices sorting x stably along `axis` (nan largest), in x's shape."""
    device = x.device
    out = empty(device, x.shape, np.int64)
    if out.size == 0:
        return out
    if not x.is_contiguous:
        x = copy(x)
    R = x.shape[axis]
    B = int(np.prod(x.shape[axis + 1 :], dtype=np.int64))
    M = out.size // R
    t = cltypes.ctype(x.dtype)
    k0, k1 = empty(device, (M * R,), x.dtype), empty(device, (M * R,), x.dtype)
    i0, i1 = empty(device, (M * R,), np.int32), empty(device, (M * R,), np.int32)
    desc = int(bool(descending))
    nruns = -(-R // _RUN)
    runs = device.kernel(("argsort_runs", t), lambda: _source(t, x.dtype, _RUNS), "ember_argsort_runs",
                         [np.int64] * 4 + [np.int32] * 2 + [None, np.int64] + [None] * 5)  # fmt: skip
    n = M * nruns
    local = _local(device, n)
    runs(device.queue, (-(-n // local) * local,), (local,), M, R, B, nruns, desc, int(nruns == 1),
         x.buffer, x.offset, k0.buffer, i0.buffer, k1.buffer, i1.buffer, out.buffer)  # fmt: skip
    width = _RUN
    merge = device.kernel(("argsort_merge", t), lambda: _source(t, x.dtype, _MERGE), "ember_argsort_merge",
                          [np.int64] * 5 + [np.int32] * 2 + [None] * 5)  # fmt: skip
    src, dst = (k0, i0), (k1, i1)
    while width < R:
        n = M * nruns
        local = _local(device, n)
        merge(device.queue, (-(-n // local) * local,), (local,), M, R, B, nruns, width, desc, int(2 * width >= R),
              src[0].buffer, src[1].buffer, dst[0].buffer, dst[1].buffer, out.buffer)  # fmt: skip
        src, dst = dst, src
        width *= 2
    return out


_SEARCH = """
__kernel void ember_searchsorted(long N, long n, long m, int batched, int right,
                                 __global const T* seq, long seq_off, __global const T* v, long v_off,
                                 __global long* out) {
  const long i = get_global_id(0);
  if (i >= N) return;
  const T x = v[v_off + i];
  __global const T* s = seq + seq_off + (batched ? (i / m) * n : 0);
  long lo = 0, hi = n;
  while (lo < hi) {  /* the first position whose element is not below x (right: not at or below x) */
    const long mid = (lo + hi) >> 1;
    const T y = s[mid];
    if (right ? !lt_(x, y) : lt_(y, x)) lo = mid + 1; else hi = mid;
  }
  out[i] = lo;
}
"""


def searchsorted(seq: CLArray, values: CLArray, right: bool) -> CLArray:
    """int64 insertion points of `values` in the lines of `seq` (1-d, or values' leading dims): binary search,
    one work-item per value, with the merge sort's comparison (nan largest)."""
    device = seq.device
    out = empty(device, values.shape, np.int64)
    if out.size == 0:
        return out
    seq = seq if seq.is_contiguous else copy(seq)
    values = values if values.is_contiguous else copy(values)
    t = cltypes.ctype(seq.dtype)
    kernel = device.kernel(("searchsorted", t), lambda: _source(t, seq.dtype, _SEARCH), "ember_searchsorted",
                           [np.int64] * 3 + [np.int32] * 2 + [None, np.int64, None, np.int64, None])  # fmt: skip
    n = seq.shape[-1]
    batched = int(len(seq.shape) > 1)
    m = values.shape[-1] if values.shape else 1
    local = _local(device, out.size)
    kernel(device.queue, (-(-out.size // local) * local,), (local,), out.size, n, max(m, 1), batched, int(bool(right)),
           seq.buffer, seq.offset, values.buffer, values.offset, out.buffer)  # fmt: skip
    return out


KERNELS: dict[str, Callable[..., Any]] = {"argsort": argsort, "searchsorted": searchsorted}
