"""Backends: the object a plugin registers, and the registry that loads plugins.

Plugins are found through the ``ember.backends`` entry-point group and loaded
lazily, per device type, on the first need for that device type (the device
types a plugin provides are declared in the ``ember.device_types`` group and
read without importing it). A plugin that fails to import, raises
in its hook, or was written for another major plugin API is recorded with the
reason and never breaks ``import ember`` or another backend.
"""

from __future__ import annotations

import os
import threading
import traceback
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from importlib import metadata
from typing import Any

import numpy as np
import pluggy

from . import hookspecs
from .dtypes import DType

__all__ = [
    "PLUGIN_API_VERSION",
    "Backend",
    "BackendRegistry",
    "BackendError",
    "BackendNotFoundError",
    "BackendUnavailableError",
    "PluginRecord",
    "get_backend",
    "synchronize",
    "registry",
]

#: The plugin API this ember-core speaks. A plugin must declare the same major
#: version; a plugin written for an older minor version still loads (minor bumps
#: only add optional things), one for a newer minor loads too, with the extras unused.
PLUGIN_API_VERSION: tuple[int, int] = (1, 0)

ENTRY_POINT_GROUP = "ember.backends"
#: Where a plugin declares its device types, read without importing it (see `declared_device_types`).
DEVICE_TYPES_GROUP = "ember.device_types"

#: Where the well-known device types come from, for the "install X" hint only.
_KNOWN_PACKAGES = {
    "cpu": "ember-backend-numpy",
    "cuda": "ember-backend-cupy",
    "opencl": "ember-backend-opencl",
}


def root_array(native: Any) -> Any:
    """The array at the bottom of a NumPy array's chain of views (the one whose memory the views share)."""
    while isinstance(getattr(native, "base", None), np.ndarray):
        native = native.base
    return native


class BackendError(RuntimeError):
    """A device's backend cannot be used."""


class BackendNotFoundError(BackendError):
    """No installed backend provides the device type."""


class BackendUnavailableError(BackendError):
    """The backend is installed but cannot run here (no hardware, broken plugin, ...)."""


class Backend:
    """What a plugin registers: one device type, its kernels and its host transfers.

    Subclass it (or instantiate it with keyword arguments) in your plugin and pass
    it to ``registry.register``. Kernels take and return the backend's native
    arrays, never Tensors; see docs/backends.md for each kernel's contract.
    """

    name: str = ""
    device_type: str = ""
    api_version: tuple[int, int] = PLUGIN_API_VERSION
    dtypes: frozenset[DType] = frozenset()
    kernels: Mapping[str, Callable[..., Any]] = {}
    #: DLPack device type code (1 = CPU, 2 = CUDA, 4 = OpenCL), or None.
    dlpack_device_type: int | None = None
    #: Filled in by the registry: the distribution that registered this backend.
    distribution: str = "?"
    distribution_version: str = "?"

    def __init__(self, **fields: Any) -> None:
        for key, value in fields.items():
            if not hasattr(type(self), key):
                raise TypeError(f"Backend has no field {key!r}")
            setattr(self, key, value)

    # -- availability -----------------------------------------------------
    def unavailable_reason(self) -> str | None:
        """None when usable on this machine, else why not, in words."""
        return None

    def device_count(self) -> int:
        return 1

    def device_names(self) -> list[str]:
        """A line per device for ``python -m ember``."""
        return [f"{self.device_type}:{i}" for i in range(self.device_count())]

    # -- transfers --------------------------------------------------------
    def from_host(self, array: np.ndarray, index: int) -> Any:
        """Copy a host NumPy array onto device `index` as a native array."""
        raise NotImplementedError

    def to_host(self, native: Any) -> np.ndarray:
        """Copy a native array to a host NumPy array (a fresh array, or a read-only view)."""
        raise NotImplementedError

    def device_index_of(self, native: Any) -> int:
        """Which of this backend's devices holds `native` (the host fallback puts results back there)."""
        return 0

    def from_dlpack(self, obj: Any, index: int) -> Any:
        raise BackendError(f"backend {self.name!r} cannot import DLPack capsules")

    def synchronize(self, index: int) -> None:
        """Wait for the device's queued work; a no-op on synchronous backends."""

    # -- memory layout (optional: Tensor.stride(), storage_offset(), is_contiguous(), data_ptr()) ----
    def layout(self, native: Any) -> tuple[tuple[int, ...], int]:
        """`native`'s strides and its offset from the start of its memory block, both in elements.

        The default reads NumPy's array interface (any ndarray, views included); a backend whose
        arrays are not NumPy's overrides it.
        """
        iface = getattr(native, "__array_interface__", None)
        if iface is None:
            raise NotImplementedError(f"backend {self.name!r} does not report memory layouts (Backend.layout)")
        itemsize = native.itemsize
        if native.size == 0:  # NumPy may report 0 strides for an empty array; PyTorch's are row-major
            rows: list[int] = []
            step = 1
            for n in reversed(native.shape):
                rows.append(step)
                step *= max(n, 1)
            return tuple(reversed(rows)), 0
        strides = tuple(s // itemsize for s in native.strides)
        return strides, (iface["data"][0] - root_array(native).__array_interface__["data"][0]) // itemsize

    def data_ptr(self, native: Any) -> int:
        """The address (or, where memory has none, a handle plus byte offset) of `native`'s first element."""
        iface = getattr(native, "__array_interface__", None)
        if iface is None:
            raise NotImplementedError(f"backend {self.name!r} does not report data pointers (Backend.data_ptr)")
        return int(iface["data"][0])

    def storage_bytes(self, native: Any) -> np.ndarray:
        """The whole memory block under `native` (a view's base's too) as host bytes, for
        `Tensor.untyped_storage()`: a uint8 array, a copy or a read-only view. The default reads a NumPy
        array's chain of bases; a backend whose arrays are not NumPy's overrides it."""
        if not isinstance(native, np.ndarray):
            raise NotImplementedError(f"backend {self.name!r} does not report memory blocks (Backend.storage_bytes)")
        root = root_array(native)
        flat = root if root.flags.c_contiguous else root.T  # a root owns one span, in C or in Fortran order
        out = flat.reshape(-1).view(np.uint8)
        out.flags.writeable = False
        return out

    # -- elementwise fusion (optional, together: ember.compile's replays; see ember.fusion) ---------------
    def elementwise_fusible(self, op: Any, args: tuple[Any, ...], result: Any) -> bool:
        """Whether this recorded kernel call may be a step of a fused elementwise kernel (default: never)."""
        return False

    def fuse_elementwise(self, group: Any) -> Any:
        """A function of `group`'s inputs returning its outputs, run as one kernel; None leaves the calls as they are."""
        return None

    def defines(self, method: str) -> bool:
        """Whether this backend defines the optional method `method` itself (not `Backend`'s default)."""
        return getattr(type(self), method) is not getattr(Backend, method)

    def read_async(self, native: Any) -> Callable[[], np.ndarray]:
        """Queue a copy of `native` to the host without waiting; the returned function waits and gives it.
        A backend that defines it lets `ember.compile` replays return before their data checks are read
        (`ember.capture.settle_checks`). Default (not defined): replays read their checks at their end."""
        host = self.to_host(native)
        return lambda: host

    def record_launches(self, body: Callable[[tuple[Any, ...], tuple[Any, ...]], tuple[Any, ...]],
                        arrays: tuple[Any, ...], scalars: tuple[Any, ...],
                        probe: tuple[Any, ...]) -> tuple[tuple[Any, ...], Any]:  # fmt: skip
        """Run an `ember.compile` replay's kernels, ``body(arrays, scalars)``, and return its results with
        a *launch graph* that repeats its launches without their Python: ``graph(arrays, scalars)`` gives
        the results (fresh arrays) or None when it cannot run these arrays (then the body runs). First
        call ``body(arrays, probe)`` with nothing reaching the device: whatever follows the scalars' values
        must be found and bound, anything else that differs refuses the graph. See `ember.launch_graphs`.
        Default: no graph (the body runs at every replay)."""
        return body(arrays, scalars), None

    def __repr__(self) -> str:
        return f"<Backend {self.name!r} device_type={self.device_type!r} from {self.distribution}>"


@dataclass
class PluginRecord:
    """What happened to one entry point: loaded, disabled, or failed and why."""

    name: str
    distribution: str
    version: str
    status: str  # "loaded" | "disabled" | "failed" | "refused"
    error: str | None = None
    backends: tuple[str, ...] = ()
    #: the plugin's own exception (failed or refused), chained as ``__cause__`` of the error a user gets
    exception: BaseException | None = None


@dataclass
class _Loading:
    """The plugin being loaded: its distribution, and the device types it has registered so far."""

    dist: str
    version: str
    registered: list[str]


class BackendRegistry:
    """The loaded backends by device type; plugins call `register` from their hook.

    Plugins load lazily and per device type: asking for ``"cpu"`` imports only the plugins
    that declare ``cpu`` in the ``ember.device_types`` entry-point group (read from the
    installed metadata, nothing imported) and, when none of those provides it, the plugins
    that declare nothing. Listing the backends (`backends`, ``python -m ember``) loads all.
    """

    def __init__(self) -> None:
        self.plugin_manager = pluggy.PluginManager("ember")
        self.plugin_manager.add_hookspecs(hookspecs)
        self._by_device: dict[str, Backend] = {}
        self._unavailable: dict[str, str] = {}
        #: device type or entry-point name -> (why it is missing, the plugin's exception)
        self._failed_device: dict[str, tuple[str, BaseException | None]] = {}
        self.plugins: list[PluginRecord] = []
        self._loaded = False  # every entry point has been tried
        self._tried: set[tuple[str, str, str]] = set()  # (distribution, entry-point name, value)
        self._lock = threading.RLock()
        self._current: _Loading | None = None

    # -- called by plugins ------------------------------------------------
    def register(self, backend: Backend) -> None:
        """Register a backend; refused if its major API version differs or its device type is taken."""
        current = self._current
        dist, version = (current.dist, current.version) if current else ("<direct>", "?")
        backend.distribution, backend.distribution_version = dist, version
        major, minor = tuple(backend.api_version)
        if major != PLUGIN_API_VERSION[0]:
            need = ".".join(map(str, backend.api_version))
            have = ".".join(map(str, PLUGIN_API_VERSION))
            message = (
                f"{dist} {version} (backend {backend.name!r}) was written for Ember plugin API {need}, "
                f"but this ember-core provides plugin API {have}; install a version of {dist} "
                f"built for plugin API {PLUGIN_API_VERSION[0]}.x"
            )
            error = BackendError(message)
            if backend.device_type and backend.device_type not in self._by_device:
                # Asking for this device type later should say why it is missing.
                self._failed_device.setdefault(backend.device_type, (f"was refused:\n{message}", error))
            raise error
        if not backend.device_type or not backend.name:
            raise BackendError(f"{dist}: a backend must set both `name` and `device_type`")
        other = self._by_device.get(backend.device_type)
        if other is not None:
            raise BackendError(
                f"device type {backend.device_type!r} is registered twice: by {other.distribution} "
                f"(backend {other.name!r}) and by {dist} (backend {backend.name!r}); uninstall one, "
                f"or disable one with EMBER_DISABLED_BACKENDS"
            )
        self._by_device[backend.device_type] = backend
        if current is not None:
            current.registered.append(backend.device_type)
        from . import dispatch

        dispatch.invalidate_caches()

    def unregister(self, device_type: str) -> None:
        self._by_device.pop(device_type, None)
        self._unavailable.pop(device_type, None)
        from . import dispatch

        dispatch.invalidate_caches()

    # -- loading ------------------------------------------------------------
    def load(self) -> None:
        """Load every entry point of ``ember.backends`` once; record failures, raise none."""
        if self._loaded:
            return
        with self._lock:
            # A plugin that asks for backends while being imported or while its hook runs
            # re-enters here (same thread, RLock): the entry points already tried, itself
            # included, are skipped, so no plugin loads twice or half-imported.
            for ep in _entry_points():
                self._try(ep)
            self._loaded = True

    def load_for(self, device_type: str) -> None:
        """Load the plugins that may provide `device_type`: those declaring it, else those declaring nothing."""
        if self._loaded or device_type in self._by_device:
            return
        with self._lock:
            declared = declared_device_types()
            for ep in declared.get(device_type, ()):
                self._try(ep)
            if device_type not in self._by_device:
                claimed = {(_dist_name(ep), ep.value) for eps in declared.values() for ep in eps}
                for ep in _entry_points():
                    if (_dist_name(ep), ep.value) not in claimed:
                        self._try(ep)

    def _try(self, ep: metadata.EntryPoint) -> None:
        dist = _dist_name(ep)
        key = (dist, ep.name, ep.value)
        if key in self._tried:
            return
        self._tried.add(key)
        version = ep.dist.version if ep.dist is not None else "?"
        disabled = {s.strip() for s in os.environ.get("EMBER_DISABLED_BACKENDS", "").split(",") if s.strip()}
        if ep.name in disabled:
            self.plugins.append(PluginRecord(ep.name, dist, version, "disabled", "in EMBER_DISABLED_BACKENDS"))
            self._remember_failure(ep, f"{dist} {version} is disabled by EMBER_DISABLED_BACKENDS", None)
            return
        self._load_one(ep, dist, version)

    def _load_one(self, ep: metadata.EntryPoint, dist: str, version: str) -> None:
        outer, self._current = self._current, _Loading(dist, version, [])
        loading = self._current
        try:
            module = ep.load()
            if self.plugin_manager.is_registered(module):
                return
            self.plugin_manager.register(module, name=f"{dist}:{ep.name}")
            for impl in self.plugin_manager.hook.ember_register_backends.get_hookimpls():
                if impl.plugin is module:
                    impl.function(registry=self)
        except BackendError as exc:
            self._fail(ep, dist, version, "refused", str(exc), exc, loading)
            return
        except (Exception, SystemExit) as exc:  # a plugin that calls sys.exit() while loading fails too
            self._fail(ep, dist, version, "failed", traceback.format_exc(), exc, loading)
            return
        finally:
            self._current = outer
        names = tuple(sorted(loading.registered))
        self.plugins.append(PluginRecord(ep.name, dist, version, "loaded", None, names))

    def _fail(
        self, ep: metadata.EntryPoint, dist: str, version: str, status: str, error: str,
        exc: BaseException, loading: _Loading,
    ) -> None:  # fmt: skip
        self.plugins.append(PluginRecord(ep.name, dist, version, status, error, exception=exc))
        for key in loading.registered:  # what it registered before failing goes too
            self._by_device.pop(key, None)
        if status == "refused":
            self._remember_failure(ep, f"{dist} {version} was refused: {exc}", exc)
        else:
            self._remember_failure(ep, f"{dist} {version} failed to load: {type(exc).__name__}: {exc}", exc)

    def _remember_failure(self, ep: metadata.EntryPoint, why: str, exc: BaseException | None) -> None:
        # Index the failure by the device types the plugin declares and by its entry-point name,
        # so asking for one of them explains what went wrong, whatever the entry point is called.
        for device_type, eps in declared_device_types().items():
            if any(_dist_name(e) == _dist_name(ep) and e.value == ep.value for e in eps):
                self._failed_device[device_type] = (why, exc)
        self._failed_device.setdefault(ep.name, (why, exc))

    # -- queries ------------------------------------------------------------
    def backends(self) -> list[Backend]:
        self.load()
        return list(self._by_device.values())

    def get(self, device_type: str) -> Backend:
        """The usable backend for a device type, or a BackendError saying what to do."""
        backend = self._by_device.get(device_type)
        if backend is None:
            self.load_for(device_type)
            backend = self._by_device.get(device_type)
        if backend is None:
            raise self._not_found(device_type)
        if device_type not in self._unavailable:
            try:
                reason = backend.unavailable_reason()
            except Exception as exc:  # an availability probe that raises is a reason too
                reason = f"its availability check raised {type(exc).__name__}: {exc}"
            self._unavailable[device_type] = reason or ""
        reason = self._unavailable[device_type]
        if reason:
            raise BackendUnavailableError(
                f"device type {device_type!r}: backend {backend.name!r} ({backend.distribution} "
                f"{backend.distribution_version}) is installed but unusable here: {reason}"
            )
        return backend

    def peek(self, device_type: str) -> Backend | None:
        """The registered backend for a device type, usable or not, without raising."""
        self.load_for(device_type)
        return self._by_device.get(device_type)

    def _not_found(self, device_type: str) -> BackendError:
        error: BackendError
        cause: BaseException | None = None
        for key, (why, exc) in self._failed_device.items():
            if key == device_type or _KNOWN_PACKAGES.get(device_type, "").endswith(key):
                error = BackendUnavailableError(f"device type {device_type!r}: its plugin {why}")
                cause = exc
                break
        else:
            # A plugin that declares no device types and failed may have been the one: say so.
            suspects = [r for r in self.plugins if r.status in ("failed", "refused") and r.exception is not None]
            installed = ", ".join(sorted(set(self._by_device) | set(declared_device_types()))) or "none"
            hint = _KNOWN_PACKAGES.get(device_type)
            todo = f"install {hint} (pip install {hint})" if hint else "install a backend package that provides it"
            message = f"no backend provides device type {device_type!r} (installed device types: {installed}); {todo}"
            if suspects:
                failed = "; ".join(f"{r.distribution} {r.version} ({r.status})" for r in suspects)
                message += f". Plugins that failed to load, one of which may provide it: {failed}"
                cause = suspects[0].exception
            error = BackendNotFoundError(message)
        if cause is not None:
            error.__cause__ = cause  # the plugin's own exception and traceback, as `raise ... from`
        return error


def native_meta(backend: Backend, native: Any) -> tuple[tuple[int, ...], np.dtype | None]:
    """A native array's shape and NumPy dtype: its own ``shape`` and ``dtype`` where NumPy reads them
    (NumPy, CuPy, OpenCL arrays), else its host copy's (arrays of other libraries); dtype None when
    neither says."""
    shape, dtype = getattr(native, "shape", None), getattr(native, "dtype", None)
    try:
        if shape is not None and dtype is not None:
            return tuple(shape), np.dtype(dtype)
    except TypeError:  # a dtype NumPy cannot read ('torch.float32', an array-API library's own)
        pass
    try:
        host = np.asarray(backend.to_host(native))
    except Exception:
        return (tuple(shape) if shape is not None else ()), None
    return host.shape, host.dtype


def _dist_name(ep: metadata.EntryPoint) -> str:
    return ep.dist.name if ep.dist is not None else "?"


def declared_device_types() -> dict[str, list[metadata.EntryPoint]]:
    """Device type -> the ``ember.backends`` entry points of the plugins that declare it, from metadata only.

    A plugin declares its device types in the ``ember.device_types`` entry-point group, one entry
    per device type whose value is its plugin module: ``cpu = "ember_numpy.plugin"``. Reading it
    imports nothing, so asking for one device type never imports another's plugin.
    """
    plugins = list(_entry_points())
    out: dict[str, list[metadata.EntryPoint]] = {}
    for decl in metadata.entry_points(group=DEVICE_TYPES_GROUP):
        for ep in plugins:
            if ep.value == decl.value and _dist_name(ep) == _dist_name(decl) and ep not in out.get(decl.name, []):
                out.setdefault(decl.name, []).append(ep)
    return out


def _entry_points() -> Iterable[metadata.EntryPoint]:
    eps = metadata.entry_points(group=ENTRY_POINT_GROUP)
    seen: set[tuple[str, str]] = set()
    for ep in eps:  # the same dist can appear twice on sys.path (editable + regular)
        key = (ep.name, ep.value)
        if key not in seen:
            seen.add(key)
            yield ep


registry = BackendRegistry()


def get_backend(device_type: str) -> Backend:
    """The usable backend for `device_type`; raises BackendError with what to do."""
    return registry.get(device_type)


def synchronize(device: str | Any = "cpu") -> None:
    """Wait until the work queued on `device` has finished (kernels on accelerators run asynchronously).

    Like ``torch.cuda.synchronize``: needed before timing device code, never for correctness
    (reading a tensor's values waits for them).
    """
    from . import capture
    from .device import Device

    dev = Device(device)
    registry.get(dev.type).synchronize(dev.index)
    if capture._pending:
        capture.settle_checks()
