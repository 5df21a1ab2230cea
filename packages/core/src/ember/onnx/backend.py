"""An ``onnx.backend.base.Backend`` over `ember.onnx.load`, so ONNX's backend test suite runs against Ember.

ONNX's suite asks for its devices by ONNX's names (``"CPU"``, ``"CUDA"``); `EmberBackend` runs every
model on one Ember device, `EmberBackend.device` (``"cpu"`` by default), and answers for ``"CPU"``
only, so each case runs once. Point it at another backend with ``EmberBackend.on("opencl")``::

    import onnx.backend.test
    from ember.onnx.backend import EmberBackend
    globals().update(onnx.backend.test.BackendTest(EmberBackend.on("opencl"), __name__).test_cases)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import onnx
from onnx.backend.base import Backend, BackendRep

import ember

from .importer import OnnxModule, load

BFLOAT16 = onnx.helper.tensor_dtype_to_np_dtype(onnx.TensorProto.BFLOAT16)


class EmberRep(BackendRep):
    """A prepared model: runs numpy inputs through the imported graph and returns numpy outputs."""

    def __init__(self, module: OnnxModule, device: str) -> None:
        self.module = module
        self.device = device

    def run(self, inputs: Any, **kwargs: Any) -> tuple[Any, ...]:
        if isinstance(inputs, dict):
            feeds = dict(inputs)
        else:
            if not isinstance(inputs, (list, tuple)):
                inputs = [inputs]
            feeds = dict(zip(self.module.input_names, inputs))
        feeds = {k: _to_ember(v, self.device) for k, v in feeds.items()}
        with ember.no_grad():
            outs = self.module.run(feeds)
        return tuple(_to_numpy(v) for v in outs.values())


def _to_ember(value: Any, device: str) -> Any:
    if isinstance(value, (list, tuple)):
        return [_to_ember(v, device) for v in value]
    if value is None:
        return None
    return ember.tensor(np.asarray(value), device=device)


def _to_numpy(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return [_to_numpy(v) for v in value]
    if value is None:
        return None
    out = value.numpy()
    if value.dtype == ember.bfloat16 and out.dtype != BFLOAT16:
        # the NumPy backend's matmul kernels hand back float32 arrays for bfloat16 tensors: report the declared dtype
        out = out.astype(BFLOAT16)
    return out


class EmberBackend(Backend):
    """ONNX's backend interface, running on the Ember device `device`."""

    device = "cpu"

    @classmethod
    def on(cls, device: str) -> type[EmberBackend]:
        """This backend running on another Ember device (``"opencl"``, ``"cuda:1"``)."""
        return type(f"EmberBackend_{device.replace(':', '_')}", (cls,), {"device": device})

    @classmethod
    def is_compatible(cls, model: onnx.ModelProto, device: str = "CPU", **kwargs: Any) -> bool:
        return True

    @classmethod
    def prepare(cls, model: onnx.ModelProto, device: str = "CPU", **kwargs: Any) -> EmberRep:
        return EmberRep(load(model, device=cls.device), cls.device)

    @classmethod
    def run_model(cls, model: onnx.ModelProto, inputs: Any, device: str = "CPU", **kwargs: Any) -> tuple[Any, ...]:
        return cls.prepare(model, device).run(inputs)

    @classmethod
    def run_node(
        cls, node: onnx.NodeProto, inputs: Any, device: str = "CPU", outputs_info: Sequence[Any] | None = None, **kwargs: Any
    ) -> tuple[Any, ...]:
        """Run one node on `inputs` (numpy arrays) by wrapping it in a one-node model."""
        arrays = [np.asarray(v) for v in inputs]
        ins = [
            onnx.helper.make_tensor_value_info(name, onnx.helper.np_dtype_to_tensor_dtype(a.dtype), a.shape)
            for name, a in zip(node.input, arrays)
        ]
        outs = [onnx.helper.make_empty_tensor_value_info(name) for name in node.output]
        graph = onnx.helper.make_graph([node], "run_node", ins, outs)
        model = onnx.helper.make_model(graph, opset_imports=[onnx.helper.make_opsetid("", kwargs.get("opset", 17))])
        return cls.run_model(model, arrays, device)

    @classmethod
    def supports_device(cls, device: str) -> bool:
        """Only ONNX's "CPU" device name: every case then runs once, on `device`, whatever it is."""
        return device == "CPU"
