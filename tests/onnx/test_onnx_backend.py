"""ONNX's own backend test suite (``onnx.backend.test``) against Ember, on the backend under test.

By default a small subset runs (`FAST`, a few seconds); ``EMBER_ONNX_SUITE=all`` (the nox session
``onnx-suite``) runs every node, simple, PyTorch-converted, PyTorch-operator and light model-zoo case,
and ``EMBER_ONNX_SUITE=<regex>`` the cases whose names match. Cases Ember cannot run are listed in
``onnx_backend_xfails.txt`` with the reason for each: ``skip`` lines for what Ember lacks by design
(dtypes such as complex, string, float8, int4), ``xfail`` lines for what is not implemented yet.
"""

from __future__ import annotations

import os
import re
import unittest
from typing import Any

import pytest

pytest.importorskip("onnx", reason="the onnx package is not installed (pip install 'ember-core[onnx]')")
pytest.importorskip("ember.nn", reason="ember.onnx.load builds ember.nn modules: install ember-nn")

import onnx.backend.test

from ember.onnx import OnnxImportError
from ember.onnx.backend import EmberBackend

HERE = os.path.dirname(os.path.abspath(__file__))
XFAILS = os.path.join(HERE, "onnx_backend_xfails.txt")

#: The default CI subset: one or two cases of each family of operators and models (a few seconds a backend).
FAST = (
    r"^test_(abs|add_bcast|relu|conv_with_strides_padding|convtranspose_pads|maxpool_2d_pads|averagepool_2d_pads|"
    r"gemm_default_matrix_bias|softmax_axis_1|reshape_negative_dim|concat_2d_axis_0|slice_neg_steps|gather_0|"
    r"reduce_mean_default_axes_keepdims_example|reduce_sum_keepdims_random|batchnorm_example|transpose_all_permutations_0|"
    r"squeezenet|operator_conv|operator_add_broadcast|expand_shape_model1|layer_normalization_2d_axis0|where_example|"
    r"cast_FLOAT_to_DOUBLE|resize_upsample_scales_linear|matmul_3d|argmax_keepdims_example|topk|cumsum_1d_exclusive|"
    r"scatter_elements_with_axis|gathernd_example_int32_batch_dim1|pad|celu|einsum_batch_matmul|if|loop11|"
    r"instancenorm_example|lrn|range_float_type_positive_delta|split_equal_parts_1d_opset18|onehot_with_axis)_cpu$"
)


class _Backend(EmberBackend):
    """EmberBackend pointed at the --ember-backend device by the autouse fixture below."""

    @classmethod
    def prepare(cls, model: onnx.ModelProto, device: str = "CPU", **kwargs: Any) -> Any:
        try:
            return super().prepare(model, device, **kwargs)
        except OnnxImportError as exc:
            if "which backend" in str(exc) and "does not have" in str(exc):
                pytest.skip(f"the backend lacks a dtype the case needs: {exc}")
            raise


def _read_list(path: str) -> list[tuple[str, re.Pattern[str], str]]:
    """``skip|xfail  PATTERN  # reason`` lines; a reason-only ``#`` line gives the reason of the lines below it."""
    entries, reason = [], ""
    with open(path, encoding="utf-8") as f:
        for line in f:
            body, _, comment = line.partition("#")
            if not body.strip():
                if comment.strip():
                    reason = comment.strip()
                continue
            kind, pattern = body.split(maxsplit=1)
            entries.append((kind, re.compile(pattern.strip()), comment.strip() or reason))
    return entries


def _test_cases() -> dict[str, type[unittest.TestCase]]:
    selected = os.environ.get("EMBER_ONNX_SUITE", "")
    keep = None if selected == "all" else re.compile(selected or FAST)
    entries = _read_list(XFAILS)
    cases = onnx.backend.test.BackendTest(_Backend, __name__).test_cases
    for cls in cases.values():
        for name in [n for n in vars(cls) if n.startswith("test_")]:
            # one run per case: the Ember device comes from --ember-backend, not from ONNX's device names
            if name.endswith("_cuda") or (keep is not None and not keep.search(name)):
                delattr(cls, name)
                continue
            for kind, pattern, reason in entries:
                if pattern.search(name):
                    fn = getattr(cls, name)
                    mark = pytest.mark.skip(reason=reason) if kind == "skip" else pytest.mark.xfail(reason=reason)
                    setattr(cls, name, mark(fn))
                    break
    return {k: v for k, v in cases.items() if any(n.startswith("test_") for n in vars(v))}


globals().update(_test_cases())


@pytest.fixture(scope="session")
def _onnx_home(tmp_path_factory: pytest.TempPathFactory) -> str:
    # the light model-zoo cases write their generated inputs under $ONNX_HOME: keep that out of the home folder
    return str(tmp_path_factory.mktemp("onnx_home"))


@pytest.fixture(autouse=True)
def _ember_device(device: str, _onnx_home: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_Backend, "device", device)
    monkeypatch.setenv("ONNX_HOME", _onnx_home)
