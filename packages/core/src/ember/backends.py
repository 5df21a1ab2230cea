"""Backends: the object a plugin registers, and the registry that loads plugins.

Plugins are found through the ``ember.backends`` entry-point group and loaded
lazily, on the first need for a backend. A plugin that fails to import, raises
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

#: Where the well-known device types come from, for the "install X" hint only.
_KNOWN_PACKAGES = {
    "cpu": "ember-backend-numpy",
    "cuda": "ember-backend-cupy",
    "opencl": "ember-backend-opencl",
}


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
        strides = tuple(s // itemsize for s in native.strides)
        root = native
        while isinstance(getattr(root, "base", None), np.ndarray):
            root = root.base
        return strides, (iface["data"][0] - root.__array_interface__["data"][0]) // itemsize

    def data_ptr(self, native: Any) -> int:
        """The address (or, where memory has none, a handle plus byte offset) of `native`'s first element."""
        iface = getattr(native, "__array_interface__", None)
        if iface is None:
            raise NotImplementedError(f"backend {self.name!r} does not report data pointers (Backend.data_ptr)")
        return int(iface["data"][0])

    # -- elementwise fusion (optional, together: ember.compile's replays; see ember.fusion) ---------------
    def elementwise_fusible(self, op: Any, args: tuple[Any, ...], result: Any) -> bool:
        """Whether this recorded kernel call may be a step of a fused elementwise kernel (default: never)."""
        return False

    def fuse_elementwise(self, group: Any) -> Any:
        """A function of `group`'s inputs returning its outputs, run as one kernel; None leaves the calls as they are."""
        return None

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


class BackendRegistry:
    """The loaded backends by device type; plugins call `register` from their hook."""

    def __init__(self) -> None:
        self.plugin_manager = pluggy.PluginManager("ember")
        self.plugin_manager.add_hookspecs(hookspecs)
        self._by_device: dict[str, Backend] = {}
        self._unavailable: dict[str, str] = {}
        self._failed_device: dict[str, str] = {}
        self.plugins: list[PluginRecord] = []
        self._loaded = False
        self._loading = False  # set while load() runs, so a re-entrant call returns
        self._lock = threading.RLock()
        self._current: tuple[str, str] | None = None

    # -- called by plugins ------------------------------------------------
    def register(self, backend: Backend) -> None:
        """Register a backend; refused if its major API version differs or its device type is taken."""
        dist, version = self._current or ("<direct>", "?")
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
            if backend.device_type and backend.device_type not in self._by_device:
                # Asking for this device type later should say why it is missing.
                self._failed_device.setdefault(backend.device_type, f"was refused:\n{message}")
            raise BackendError(message)
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
            # re-enters here (same thread, RLock): it sees the backends loaded so far,
            # rather than loading every plugin again, itself half-imported included.
            if self._loaded or self._loading:
                return
            self._loading = True
            try:
                self._load_all()
                self._loaded = True
            finally:
                self._loading = False

    def _load_all(self) -> None:
        disabled = {s.strip() for s in os.environ.get("EMBER_DISABLED_BACKENDS", "").split(",") if s.strip()}
        for ep in _entry_points():
            dist = ep.dist.name if ep.dist is not None else "?"
            version = ep.dist.version if ep.dist is not None else "?"
            if ep.name in disabled:
                self.plugins.append(PluginRecord(ep.name, dist, version, "disabled", "in EMBER_DISABLED_BACKENDS"))
                self._failed_device[ep.name] = f"{dist} {version} is disabled by EMBER_DISABLED_BACKENDS"
                continue
            self._load_one(ep, dist, version)

    def _load_one(self, ep: metadata.EntryPoint, dist: str, version: str) -> None:
        before = set(self._by_device)
        self._current = (dist, version)
        try:
            module = ep.load()
            if self.plugin_manager.is_registered(module):
                return
            self.plugin_manager.register(module, name=f"{dist}:{ep.name}")
            for impl in self.plugin_manager.hook.ember_register_backends.get_hookimpls():
                if impl.plugin is module:
                    impl.function(registry=self)
        except BackendError as exc:
            self.plugins.append(PluginRecord(ep.name, dist, version, "refused", str(exc)))
            for key in set(self._by_device) - before:
                del self._by_device[key]
            self._remember_failure(ep.name, dist, str(exc))
            return
        except (Exception, SystemExit):  # a plugin that calls sys.exit() while loading fails too
            tb = traceback.format_exc()
            self.plugins.append(PluginRecord(ep.name, dist, version, "failed", tb))
            for key in set(self._by_device) - before:
                del self._by_device[key]
            self._remember_failure(ep.name, dist, tb)
            return
        finally:
            self._current = None
        names = tuple(sorted(set(self._by_device) - before))
        self.plugins.append(PluginRecord(ep.name, dist, version, "loaded", None, names))

    def _remember_failure(self, ep_name: str, dist: str, error: str) -> None:
        # A broken plugin's device type is unknown; index the failure by entry-point
        # name, so asking for that name as a device type explains what went wrong.
        self._failed_device[ep_name] = f"{dist} failed to load:\n{error}"

    # -- queries ------------------------------------------------------------
    def backends(self) -> list[Backend]:
        self.load()
        return list(self._by_device.values())

    def get(self, device_type: str) -> Backend:
        """The usable backend for a device type, or a BackendError saying what to do."""
        backend = self._by_device.get(device_type)
        if backend is None:
            self.load()
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
        self.load()
        return self._by_device.get(device_type)

    def _not_found(self, device_type: str) -> BackendError:
        for ep_name, why in self._failed_device.items():
            if ep_name == device_type or _KNOWN_PACKAGES.get(device_type, "").endswith(ep_name):
                return BackendUnavailableError(f"device type {device_type!r}: its plugin {why}")
        installed = ", ".join(sorted(self._by_device)) or "none"
        hint = _KNOWN_PACKAGES.get(device_type)
        todo = f"install {hint} (pip install {hint})" if hint else "install a backend package that provides it"
        return BackendNotFoundError(
            f"no backend provides device type {device_type!r} (installed device types: {installed}); {todo}"
        )


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
    from .device import Device

    dev = Device(device)
    registry.get(dev.type).synchronize(dev.index)
