"""Ember: a define-by-run deep-learning framework with pluggable backends.

    >>> import ember
    >>> x = ember.tensor([2., 3.], requires_grad=True)
    >>> y = x * x + 3 * x + 1
    >>> y.sum().backward()
    >>> x.grad
    tensor([7., 9.])
"""

# `ember` is extended by other distributions (ember-nn ships `ember.nn`, ember-data
# `ember.data`): let every `ember/` directory on sys.path contribute submodules,
# which also holds for editable installs that put each package's src/ on sys.path.
from pkgutil import extend_path

__path__ = extend_path(__path__, __name__)

import builtins as _builtins
from importlib import metadata as _metadata

from . import autograd, dispatch, dtypes, fft, linalg, random, special
from ._format import set_printoptions
from .autograd import (
    enable_grad,
    inference_mode,
    is_grad_enabled,
    is_inference_mode_enabled,
    no_grad,
    set_grad_enabled,
)
from .backends import (
    PLUGIN_API_VERSION,
    Backend,
    BackendError,
    BackendNotFoundError,
    BackendRegistry,
    BackendUnavailableError,
    get_backend,
    synchronize,
)
from .compiler import CompileError, compile  # noqa: A004
from .determinism import (
    are_deterministic_algorithms_enabled,
    get_deterministic_debug_mode,
    is_deterministic_algorithms_warn_only_enabled,
    set_deterministic_debug_mode,
    use_deterministic_algorithms,
)
from .device import Device, device
from .dtypes import (
    DType,
    bfloat16,
    bool_,
    can_cast,
    complex64,
    complex128,
    finfo,
    float16,
    float32,
    float64,
    get_default_dtype,
    iinfo,
    int8,
    int16,
    int32,
    int64,
    promote_types,
    result_type,
    set_default_dtype,
    uint8,
)
from .hookspecs import hookimpl
from .ops import *
from .ops import abs, all, any, max, min, pow, round, sum  # noqa: A004
from .random import Generator, initial_seed, manual_seed, seed
from .serialization import load, save
from .storage import UntypedStorage
from .tensor import Tensor, as_tensor, from_dlpack, from_numpy, is_tensor, tensor
from .threads import get_num_threads, set_num_threads

#: the host's default generator, as `torch.default_generator` (what manual_seed seeds and rand draws from)
default_generator: Generator = random.default_generator("cpu")  # type: ignore[no-redef]  # mypy sees ops.sampling's function via `from .ops import *`

bool = bool_  # noqa: A001 - PyTorch's name: ember.bool
half, float, double = float16, float32, float64  # noqa: A001
short, int, long = int16, int32, int64  # noqa: A001
cfloat, cdouble = complex64, complex128

try:
    __version__ = _metadata.version("ember-core")
except _metadata.PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0+unknown"


def _tensor_arg(fn: str, x: object) -> Tensor:
    """`x`, or PyTorch's TypeError for a non-tensor argument."""
    if not isinstance(x, Tensor):
        raise TypeError(f"{fn}(): argument 'input' (position 1) must be Tensor, not {type(x).__name__}")
    return x


def is_floating_point(input: Tensor) -> _builtins.bool:  # noqa: A002 - PyTorch's argument name
    """Whether `input`'s dtype is a floating dtype (float16, bfloat16, float32, float64)."""
    return _tensor_arg("is_floating_point", input).dtype.is_floating_point


def is_complex(input: Tensor) -> _builtins.bool:  # noqa: A002 - PyTorch's argument name
    """Whether `input`'s dtype is complex (complex64, complex128)."""
    return _tensor_arg("is_complex", input).is_complex()


def is_nonzero(input: Tensor) -> _builtins.bool:  # noqa: A002 - PyTorch's argument name
    """Whether a one-element tensor is nonzero; PyTorch's RuntimeError for none or several elements."""
    n = _tensor_arg("is_nonzero", input).numel()
    if n != 1:
        many = "more than one value" if n else "no values"
        raise RuntimeError(f"is_nonzero: Boolean value of Tensor with {many} is ambiguous (shape {tuple(input.shape)})")
    return _builtins.bool(input.item())


def numel(input: Tensor) -> _builtins.int:  # noqa: A002 - PyTorch's argument name
    """The number of elements of `input`."""
    return _tensor_arg("numel", input).numel()


def backends() -> list[Backend]:
    """The loaded backends (plugins load on first call)."""
    from .backends import registry

    return registry.backends()
