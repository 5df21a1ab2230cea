"""`ember.save` / `ember.load`: checkpoints that never run code when loaded.

A checkpoint is one safetensors file. Its tensors are the tensors found in the
saved object (state dicts of modules and optimizers, or any nesting of dicts,
lists, tuples and sets of tensors, numbers, strings, bytes, None, dtypes and devices), each
named by its path in the object (``"state.0.exp_avg"``) and stored on the host.
The file's ``__metadata__`` holds:

- ``ember.format``: the format version (``"1"``);
- ``ember.structure``: a JSON document of the object, in which a tensor is
  ``{"@": "tensor", "name", "dtype", "shape", "device", "requires_grad", "crc32"}``
  and tuples, dicts (any hashable scalar keys), sets, non-finite floats, complex
  numbers, bytes (hex), dtypes and devices are tagged objects (``{"@": "tuple", ...}``); lists are JSON lists;
- ``ember.structure_crc32``: the CRC-32 of that document (decimal).

bfloat16 tensors are stored as their uint16 bit patterns (``U16``), complex
tensors as float pairs in a trailing dimension of 2 (safetensors has no complex128);
the structure's ``dtype`` tells them apart. A tensor shared by several places in the
object is stored once and loads as one tensor. A view is stored as its base and the
view ops that redo it (``{"@": "view", "base", "chain", "requires_grad"}``, each step
a function of ``ember.ops.movement``/``ember.ops.indexing`` and its arguments), so a
tensor and its views load sharing memory with their saved strides and offsets, as
PyTorch's storages do; a view whose chain does not replay is stored by value. Saving to a path is atomic: the
file is written beside the target, flushed to disk, then renamed over it.
Loading parses only JSON and raw tensor bytes (no pickle), checks each tensor's
CRC-32, and names the file in every error.

Needs safetensors >= 0.4.4: earlier releases write an invalid header for a file
without tensors (e.g. the state dict of a plain SGD optimizer).
"""

from __future__ import annotations

import json
import math
import os
import secrets
import socket
import struct
import zlib
from collections import OrderedDict
from collections.abc import Callable
from typing import IO, Any

import numpy as np

from . import dtypes as _dt
from .device import Device
from .ops.conversion import _redo_view
from .tensor import Tensor, as_tensor

__all__ = ["save", "load", "SerializationError", "FORMAT_VERSION"]

FORMAT_VERSION = 1
_FORMAT_KEY = "ember.format"
_STRUCTURE_KEY = "ember.structure"
_CRC_KEY = "ember.structure_crc32"
_MAX_HEADER = 100_000_000  # safetensors' own limit on the JSON header

PathLike = str | os.PathLike[str]
MapLocation = str | Device | dict[str, str | Device] | Callable[[Tensor, str], Tensor | None] | None


class SerializationError(ValueError):
    """A file that is not a readable Ember checkpoint: truncated, corrupt, a pickle, or another format."""


# -- saving ----------------------------------------------------------------------------------------


class _MapLocationError(TypeError):
    """A callable map_location that failed or returned something else than a tensor (not a corrupt file)."""


class _Encoder:
    """Turns an object into a JSON-able structure, collecting its tensors as host arrays."""

    def __init__(self) -> None:
        self.arrays: dict[str, np.ndarray] = {}
        self._refs: dict[int, dict[str, Any]] = {}  # id(tensor) -> its structure node
        self._keep: list[Tensor] = []  # keep ids valid while encoding
        self._stack: set[int] = set()

    def encode(self, obj: Any, path: str) -> Any:
        if obj is None or isinstance(obj, bool | str):
            return obj
        if isinstance(obj, int | np.integer):
            return int(obj)
        if isinstance(obj, float | np.floating):
            x = float(obj)
            return x if math.isfinite(x) else {"@": "float", "value": repr(x)}
        if isinstance(obj, np.bool_):
            return bool(obj)
        if isinstance(obj, complex | np.complexfloating):
            z = complex(obj)
            return {"@": "complex", "real": repr(z.real), "imag": repr(z.imag)}
        if isinstance(obj, bytes):
            return {"@": "bytes", "hex": obj.hex()}
        if isinstance(obj, Tensor):
            return self._tensor(obj, path)
        if isinstance(obj, _dt.DType):
            return {"@": "dtype", "name": obj.name}
        if isinstance(obj, Device):
            return {"@": "device", "name": str(obj)}
        if isinstance(obj, set | frozenset):
            items = [self._key(k, path) for k in obj]
            return {"@": "frozenset" if isinstance(obj, frozenset) else "set", "items": items}
        if isinstance(obj, list | tuple | dict):
            if id(obj) in self._stack:
                raise ValueError(f"ember.save: the object refers to itself at {_where(path)}")
            self._stack.add(id(obj))
            try:
                if isinstance(obj, dict):
                    keys = [self._key(k, path) for k in obj]
                    values = [self.encode(v, _join(path, k)) for k, v in obj.items()]
                    node: dict[str, Any] = {"@": "dict", "keys": keys, "values": values}
                    if isinstance(obj, OrderedDict):
                        node["ordered"] = True
                    return node
                items = [self.encode(v, _join(path, i)) for i, v in enumerate(obj)]
                return items if isinstance(obj, list) else {"@": "tuple", "items": items}
            finally:
                self._stack.discard(id(obj))
        hint = " (save model.state_dict() rather than the model)" if hasattr(obj, "state_dict") else ""
        raise TypeError(
            f"ember.save: cannot store an object of type {type(obj).__name__} at {_where(path)}{hint}; a checkpoint "
            f"holds tensors, numbers, strings, bytes, None, dtypes, devices, and lists, tuples, sets and dicts of these"
        )

    def _key(self, key: Any, path: str) -> Any:
        if key is None or isinstance(key, bool | int | float | str | np.integer | np.floating):
            return self.encode(key, path)
        if isinstance(key, tuple):
            return {"@": "tuple", "items": [self._key(k, path) for k in key]}
        raise TypeError(
            f"ember.save: cannot store a dict key of type {type(key).__name__} at {_where(path)}; "
            f"keys must be strings, numbers, None or tuples of these"
        )

    def _tensor(self, t: Tensor, path: str) -> dict[str, Any]:
        known = self._refs.get(id(t))
        if known is not None:
            return known
        view = self._view(t, path)
        if view is not None:
            self._refs[id(t)] = view
            self._keep.append(t)
            return view
        name = path or "tensor"
        if name in self.arrays or name == "__metadata__":
            n = 2
            while f"{name}#{n}" in self.arrays:
                n += 1
            name = f"{name}#{n}"
        arr = np.ascontiguousarray(t.detach().numpy()).reshape(t.shape)  # ascontiguousarray makes 0-d 1-d
        if t.dtype is _dt.bfloat16:
            arr = arr.view(np.uint16)
        elif t.dtype.is_complex:  # (real, imaginary) pairs in a trailing dim of 2: any safetensors reads them
            arr = np.stack((arr.real, arr.imag), -1)
        elif arr.dtype != t.dtype.numpy:  # pragma: no cover - a backend returned another host dtype
            arr = arr.astype(t.dtype.numpy)
        self.arrays[name] = arr
        node = {
            "@": "tensor",
            "name": name,
            "dtype": t.dtype.name,
            "shape": list(t.shape),
            "device": str(t.device),
            "requires_grad": bool(t.requires_grad),
            "crc32": _crc32(arr),
        }
        self._refs[id(t)] = node
        self._keep.append(t)
        return node


    def _view(self, t: Tensor, path: str) -> dict[str, Any] | None:
        """A view saved as its base and the ops that redo it (so views load sharing memory, as PyTorch's
        storages do), or None to save its values alone: when the chain uses other functions or arguments
        than the view ops of `_VIEW_MODULES` take, or does not redo exactly this view's layout."""
        base, chain = t._base, getattr(t, "_view_fn", ())
        if base is None or not chain:
            return None
        steps = []
        for fn, args in chain:
            module, fname = getattr(fn, "__module__", ""), getattr(fn, "__name__", "")
            if module not in _VIEW_MODULES or getattr(_VIEW_MODULES[module](), fname, None) is not fn:
                return None
            encoded = _view_arg(args)
            if encoded is _NOT_SAVABLE:
                return None
            steps.append([module, fname, encoded])
        try:
            from .autograd import no_grad

            with no_grad():
                redone = _redo_view(base.detach(), chain)
            same = (redone.shape, redone.stride(), redone.storage_offset(), redone.dtype) == (
                t.shape, t.stride(), t.storage_offset(), t.dtype
            )
        except Exception:  # a chain that does not replay: save the values
            return None
        if not same:
            return None
        return {
            "@": "view",
            "base": self._tensor(base, (path or "tensor") + ".<base>"),
            "chain": steps,
            "requires_grad": bool(t.requires_grad),
        }


_NOT_SAVABLE = object()


def _view_modules() -> dict[str, Any]:
    from .ops import indexing, movement

    return {"ember.ops.movement": lambda: movement, "ember.ops.indexing": lambda: indexing}


#: the modules whose functions a saved view may name (ember's own view ops; loading calls nothing else)
_VIEW_MODULES: dict[str, Any] = _view_modules()


def _view_arg(x: Any) -> Any:
    """A view op's argument in JSON (ints, None, bools, slices, Ellipsis, tuples/lists of these)."""
    if x is None or isinstance(x, bool | int):
        return x
    if isinstance(x, slice):
        parts = [_view_arg(v) for v in (x.start, x.stop, x.step)]
        return _NOT_SAVABLE if _NOT_SAVABLE in parts else {"@": "slice", "parts": parts}
    if x is Ellipsis:
        return {"@": "ellipsis"}
    if isinstance(x, tuple | list):
        items = [_view_arg(v) for v in x]
        if any(v is _NOT_SAVABLE for v in items):
            return _NOT_SAVABLE
        return items if isinstance(x, list) else {"@": "tuple", "items": items}
    return _NOT_SAVABLE


def _view_arg_decode(x: Any) -> Any:
    if x is None or isinstance(x, bool | int):
        return x
    if isinstance(x, list):
        return [_view_arg_decode(v) for v in x]
    if isinstance(x, dict):
        tag = x.get("@")
        if tag == "slice":
            return slice(*(_view_arg_decode(v) for v in x["parts"]))
        if tag == "ellipsis":
            return Ellipsis
        if tag == "tuple":
            return tuple(_view_arg_decode(v) for v in x["items"])
    raise ValueError(f"bad view argument {x!r}")


def _crc32(arr: np.ndarray) -> int:
    """The CRC-32 of a C-contiguous array's bytes (0 when it is empty)."""
    return zlib.crc32(arr.data.cast("B")) if arr.size else 0


def _join(path: str, key: Any) -> str:
    return f"{path}.{key}" if path else str(key)


def _where(path: str) -> str:
    return f"{path!r}" if path else "the top level"


def save(obj: Any, f: PathLike | IO[bytes]) -> None:
    """Save `obj` (state dicts, or nested dicts/lists/tuples of tensors and plain values) to `f`.

    `f` is a path (written atomically: a crash never leaves a half-written file
    there) or a binary file object. Tensors are copied to the host; their dtype,
    device and requires_grad are kept, their gradients are not.
    """
    from safetensors import numpy as st_numpy

    enc = _Encoder()
    structure = enc.encode(obj, "")
    text = json.dumps(structure, allow_nan=False, separators=(",", ":"))
    metadata = {
        _FORMAT_KEY: str(FORMAT_VERSION),
        _STRUCTURE_KEY: text,
        _CRC_KEY: str(zlib.crc32(text.encode())),
    }
    if isinstance(f, str | os.PathLike):
        _atomic_save(enc.arrays, metadata, os.fspath(f))
    elif hasattr(f, "write"):
        f.write(st_numpy.save(enc.arrays, metadata=metadata))
    else:
        raise TypeError(f"ember.save: expected a path or a binary file object, got {type(f).__name__}")


def _atomic_save(arrays: dict[str, np.ndarray], metadata: dict[str, str], path: str) -> None:
    """Write to a temporary file in the target's directory, fsync it, then rename it over `path`.

    The temporary file is removed on every failure path (an exception, Ctrl-C); one left by a save that was
    killed outright (SIGKILL, power loss) is removed by the next save to the same path, once its writer's
    process is gone. Errors name `path`, never the temporary file.
    """
    from safetensors import numpy as st_numpy

    directory = os.path.dirname(os.path.abspath(path))
    base = os.path.basename(path)
    _remove_stale_temporaries(directory, base)
    tmp = os.path.join(directory, f".{base}.{_HOST}-{os.getpid()}.{secrets.token_hex(6)}.tmp")
    # O_EXCL: never follow or clobber someone else's file; mode 0o666 lets the umask decide, as open() does
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    except OSError as exc:
        raise _save_error(exc, path, "cannot create a file in its directory") from None
    os.close(fd)
    try:
        mode = os.stat(tmp).st_mode & 0o777
        st_numpy.save_file(arrays, tmp, metadata=metadata)
        os.chmod(tmp, mode)  # safetensors writes a new file of mode 0o600
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException as exc:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if isinstance(exc, Exception):  # not Ctrl-C or SystemExit: those go on unchanged
            raise _save_error(exc, path, "writing it failed") from exc
        raise
    _fsync_dir(directory)


#: Which machine wrote a temporary file (a stale one is removed only by a save on the same machine).
_HOST = f"{zlib.crc32(socket.gethostname().encode()):08x}"


def _save_error(exc: BaseException, path: str, what: str) -> OSError:
    """An OSError (of the original errno's subclass, e.g. PermissionError) naming the user's path."""
    errno = getattr(exc, "errno", None)
    reason = getattr(exc, "strerror", None) or str(exc)
    msg = f"ember.save: cannot save to {path!r}: {what}: {reason}"
    return OSError(errno, msg, path) if errno is not None else OSError(msg)


def _remove_stale_temporaries(directory: str, base: str) -> None:
    """Delete `.{base}.{host}-{pid}.*.tmp` files that a killed save on this machine left behind."""
    prefix = f".{base}.{_HOST}-"
    try:
        names = [n for n in os.listdir(directory) if n.startswith(prefix) and n.endswith(".tmp")]
    except OSError:
        return
    for name in names:
        pid = name[len(prefix) :].split(".", 1)[0]
        if pid.isdigit() and int(pid) != os.getpid() and not _pid_alive(int(pid)):
            try:
                os.unlink(os.path.join(directory, name))
            except OSError:
                pass


def _pid_alive(pid: int) -> bool:
    if os.name != "posix":  # pragma: no cover - no cheap check: never delete
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # EPERM: alive, another user's
        return True
    return True


def _fsync_dir(directory: str) -> None:
    """Make the rename durable (POSIX); a no-op where directories cannot be opened."""
    if os.name != "posix":  # pragma: no cover
        return
    try:
        dfd = os.open(directory, os.O_RDONLY)
    except OSError:  # pragma: no cover
        return
    try:
        os.fsync(dfd)
    except OSError:  # pragma: no cover - some filesystems refuse fsync on directories
        pass
    finally:
        os.close(dfd)


# -- loading ---------------------------------------------------------------------------------------


def _looks_like_pickle(head: bytes) -> str | None:
    if head[:4] == b"PK\x03\x04":
        return "a zip archive (as torch.save writes)"
    if len(head) >= 2 and head[0] == 0x80 and 2 <= head[1] <= 5:
        return "a pickle"
    return None


def _read_header(data: bytes, size: int, source: str) -> tuple[dict[str, Any], int]:
    """The safetensors header of a file of `size` bytes whose first bytes (the header at least) are `data`."""
    head = bytes(data[:16])
    n = struct.unpack("<Q", head[:8])[0] if len(head) >= 8 else -1
    plausible = 2 <= n <= _MAX_HEADER
    if not (plausible and head[8:9] == b"{"):  # a safetensors header is JSON after its 8-byte length
        kind = _looks_like_pickle(head)
        if kind is not None:
            raise SerializationError(
                f"ember.load: {source} is {kind}, not an Ember checkpoint; Ember never unpickles files, because "
                f"loading a pickle can run arbitrary code. Convert it once, where you trust the file: in PyTorch, "
                f"safetensors.torch.save_file(torch.load(path, weights_only=True), 'model.safetensors'), then "
                f"read that with safetensors.numpy.load_file and pass the arrays to ember.from_numpy (or "
                f"ember.save them as a checkpoint)"
            )
        if size < 8:
            raise SerializationError(
                f"ember.load: {source} is not an Ember checkpoint or is truncated: it holds only {size} bytes"
            )
        if not (plausible and size == 8):
            raise SerializationError(
                f"ember.load: {source} is not an Ember checkpoint (not a safetensors file: it starts with "
                f"{head[:12]!r})"
            )
    if n > size - 8:
        raise SerializationError(
            f"ember.load: {source} is truncated: its header needs {n} bytes after the length, the file has {size - 8}"
        )
    try:
        header = json.loads(bytes(data[8 : 8 + n]))
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
        raise SerializationError(f"ember.load: {source} is corrupt: its header is not valid JSON ({exc})") from None
    if not isinstance(header, dict):
        raise SerializationError(f"ember.load: {source} is corrupt: its header is not a JSON object")
    return header, n


def _check_header(header: dict[str, Any], n: int, size: int, source: str) -> Any:
    """The decoded Ember structure of a parsed header; checks the format and that no data is missing."""
    meta = header.get("__metadata__")
    if not isinstance(meta, dict) or _FORMAT_KEY not in meta or _STRUCTURE_KEY not in meta:
        raise SerializationError(
            f"ember.load: {source} is a safetensors file but not an Ember checkpoint (its metadata has no "
            f"{_FORMAT_KEY!r}); read its tensors with safetensors.numpy.load_file"
        )
    version, text = meta[_FORMAT_KEY], meta[_STRUCTURE_KEY]
    if not isinstance(version, str) or not isinstance(text, str):
        raise SerializationError(f"ember.load: {source} is corrupt: its Ember metadata are not strings")
    if version != str(FORMAT_VERSION):
        if version.isdigit() and int(version) > FORMAT_VERSION:
            raise SerializationError(
                f"ember.load: {source} was written in Ember checkpoint format {version}; this Ember reads format "
                f"{FORMAT_VERSION}: upgrade ember-core"
            )
        raise SerializationError(f"ember.load: {source} is corrupt: unknown checkpoint format {version!r}")
    end = 0
    for name, info in header.items():
        if name == "__metadata__":
            continue
        try:
            end = max(end, int(info["data_offsets"][1]))
        except (TypeError, KeyError, IndexError, ValueError):
            raise SerializationError(f"ember.load: {source} is corrupt: bad header entry for tensor {name!r}") from None
    if 8 + n + end > size:
        raise SerializationError(
            f"ember.load: {source} is truncated: its tensors need {8 + n + end} bytes, the file has {size}"
        )
    if meta.get(_CRC_KEY) != str(zlib.crc32(text.encode())):
        raise SerializationError(f"ember.load: {source} is corrupt: its structure fails its checksum")
    try:
        structure = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise SerializationError(f"ember.load: {source} is corrupt: its structure is not valid JSON ({exc})") from None
    return structure


class _Decoder:
    """Rebuilds the saved object from its structure, reading each tensor once."""

    def __init__(self, header: dict[str, Any], get_array: Any, map_location: MapLocation, source: str) -> None:
        self.header = header
        self.get_array = get_array
        self.source = source
        self.tensors: dict[str, Tensor] = {}
        self.map_callable = map_location if callable(map_location) else None
        self.map_location = _map_fn(None if callable(map_location) else map_location)

    def run(self, structure: Any) -> Any:
        """The object `structure` describes."""
        try:
            return self.decode(structure)
        except RecursionError:
            raise self.corrupt("its structure is nested too deeply") from None

    def corrupt(self, what: str) -> SerializationError:
        return SerializationError(f"ember.load: {self.source} is corrupt: {what}")

    def decode(self, node: Any) -> Any:
        if node is None or isinstance(node, bool | int | float | str):
            return node
        if isinstance(node, list):
            return [self.decode(v) for v in node]
        if not isinstance(node, dict):
            raise self.corrupt(f"unexpected structure node {node!r}")
        tag = node.get("@")
        try:
            if tag == "tensor":
                return self._tensor(node)
            if tag == "view":
                return self._view(node)
            if tag == "tuple":
                return tuple(self.decode(v) for v in node["items"])
            if tag == "dict":
                keys, values = node["keys"], node["values"]
                if len(keys) != len(values):
                    raise self.corrupt("a dict with different numbers of keys and values")
                pairs = ((self.decode(k), self.decode(v)) for k, v in zip(keys, values))
                return OrderedDict(pairs) if node.get("ordered") else dict(pairs)
            if tag == "float":
                return float(node["value"])
            if tag == "complex":
                return complex(float(node["real"]), float(node["imag"]))
            if tag == "bytes":
                return bytes.fromhex(node["hex"])
            if tag in ("set", "frozenset"):
                items = (self.decode(v) for v in node["items"])
                return set(items) if tag == "set" else frozenset(items)
            if tag == "dtype":
                return _dt.as_dtype(node["name"])
            if tag == "device":
                return Device(node["name"])
        except (KeyError, TypeError, ValueError) as exc:
            if isinstance(exc, SerializationError | _MapLocationError):
                raise
            raise self.corrupt(f"bad {tag!r} entry in the structure ({type(exc).__name__}: {exc})") from None
        raise self.corrupt(f"unknown structure tag {tag!r}")

    def _tensor(self, node: dict[str, Any]) -> Tensor:
        name = node["name"]
        if name in self.tensors:
            return self.tensors[name]
        if name not in self.header or name == "__metadata__":
            raise self.corrupt(f"the structure names a tensor {name!r} that the file does not hold")
        dtype = _dt.as_dtype(node["dtype"])
        shape = tuple(int(s) for s in node["shape"])
        try:
            arr = self.get_array(name)
        except Exception as exc:
            raise self.corrupt(f"cannot read tensor {name!r} ({exc})") from None
        stored = np.dtype(np.uint16) if dtype is _dt.bfloat16 else dtype.to_real().numpy
        stored_shape = (*shape, 2) if dtype.is_complex else shape
        if arr.dtype != stored or tuple(arr.shape) != stored_shape:
            raise self.corrupt(
                f"tensor {name!r} is stored as {arr.dtype}{list(arr.shape)}, its entry says {dtype.name}{list(shape)}"
            )
        if not arr.flags.writeable or not arr.flags.c_contiguous:
            arr = np.array(arr, copy=True)
        if _crc32(arr) != node.get("crc32"):
            raise self.corrupt(f"the data of tensor {name!r} fails its checksum")
        if dtype is _dt.bfloat16:
            arr = arr.view(dtype.numpy)
        elif dtype.is_complex:
            arr = arr.view(dtype.numpy).reshape(shape)
        if self.map_callable is not None:
            t = self._mapped(as_tensor(arr, dtype=dtype), node["device"], name)
        else:
            t = self._placed(arr, dtype, self.map_location(node["device"]), name)
        if node.get("requires_grad"):
            t.requires_grad_(True)
        self.tensors[name] = t
        return t

    def _view(self, node: dict[str, Any]) -> Tensor:
        """A saved view, redone on its loaded base: the two share memory, as they did when saved."""
        base = self.decode(node["base"])
        if not isinstance(base, Tensor):
            raise self.corrupt("a view whose base is not a tensor")
        chain = []
        for module, name, args in node["chain"]:
            if module not in _VIEW_MODULES or not isinstance(name, str) or name.startswith("__"):
                raise self.corrupt(f"a view made by {module}.{name}, which is not one of Ember's view ops")
            fn = getattr(_VIEW_MODULES[module](), name, None)
            if not callable(fn):
                raise self.corrupt(f"a view made by {module}.{name}, which is not one of Ember's view ops")
            chain.append((fn, _view_arg_decode(args)))
        from .autograd import no_grad

        with no_grad():
            out = _redo_view(base.detach(), chain)
        if node.get("requires_grad"):
            out.requires_grad_(True)
        return out

    def _mapped(self, host: Tensor, saved: str, name: str) -> Tensor:
        """PyTorch's callable map_location: called with the tensor on the host and the saved device's name;
        its result is the tensor to load (None: the saved device)."""
        assert self.map_callable is not None
        try:
            out = self.map_callable(host, saved)
        except Exception as exc:
            raise _MapLocationError(
                f"ember.load: map_location raised {type(exc).__name__} for tensor {name!r}: {exc}"
            ) from exc
        if out is None:
            return host.to(saved)
        if not isinstance(out, Tensor):
            raise _MapLocationError(
                f"ember.load: map_location returned a {type(out).__name__} for tensor {name!r}; "
                f"it must return the tensor it was given (moved where it should load) or None"
            )
        return out

    def _placed(self, arr: np.ndarray, dtype: _dt.DType, device: str, name: str) -> Tensor:
        try:
            return as_tensor(arr, dtype=dtype, device=device)
        except RuntimeError as exc:
            raise RuntimeError(
                f"ember.load: cannot put tensor {name!r} of {self.source} on {device}: {exc} "
                f"(pass map_location='cpu', or another device, to ember.load)"
            ) from exc


def _map_fn(map_location: MapLocation) -> Any:
    if map_location is None:
        return lambda saved: saved
    if isinstance(map_location, str | Device):
        target = str(Device(map_location))
        return lambda saved: target
    if callable(map_location):
        return map_location
    if isinstance(map_location, dict):
        table = {str(Device(k)): str(Device(v)) for k, v in map_location.items()}
        return lambda saved: table.get(str(Device(saved)), saved)
    raise TypeError(
        f"ember.load: map_location must be None, a device (string or ember.device), a dict from saved to new "
        f"devices or a function (tensor, saved device) -> tensor, got {type(map_location).__name__}"
    )


def load(
    f: PathLike | IO[bytes],
    map_location: MapLocation = None,
    *,
    weights_only: bool | None = True,
    mmap: bool | None = None,
) -> Any:
    """Load an object saved by `ember.save` from a path or a binary file object.

    `map_location` puts the tensors on another device: a device (``"cpu"``) for
    all, a dict from saved device to new one (``{"cuda:0": "cpu"}``), or a
    function called with each tensor (on the host) and its saved device's name
    that returns the tensor to load, as PyTorch's ``lambda storage, loc: storage``.
    Nothing in the file is executed; `weights_only` is accepted for PyTorch
    compatibility and must not be False (Ember has no pickle-based loading).
    `mmap` is accepted for PyTorch compatibility: a path is read lazily already.
    """
    if weights_only is False:
        raise ValueError("ember.load: weights_only=False is not supported; Ember checkpoints never hold pickles")
    _map_fn(map_location)  # fail early on a bad map_location
    if isinstance(f, str | os.PathLike):
        path = os.fspath(f)
        source = f"file {path!r}"
        with open(path, "rb") as fh:
            size = os.fstat(fh.fileno()).st_size
            data = fh.read(8)
            if len(data) == 8:
                n = struct.unpack("<Q", data)[0]
                data += fh.read(min(n, _MAX_HEADER, max(size - 8, 0)))
        header, n = _read_header(data, size, source)
        structure = _check_header(header, n, size, source)
        with _open_safetensors(path, source) as handle:
            return _Decoder(header, handle.get_tensor, map_location, source).run(structure)
    if not hasattr(f, "read"):
        raise TypeError(f"ember.load: expected a path or a binary file object, got {type(f).__name__}")
    source = f"file {getattr(f, 'name', '<stream>')!r}"
    data = f.read()
    header, n = _read_header(data, len(data), source)
    structure = _check_header(header, n, len(data), source)
    return _Decoder(header, _bytes_arrays(data, source).__getitem__, map_location, source).run(structure)


def _open_safetensors(path: str, source: str) -> Any:
    """The file opened by safetensors (memory-mapped; it validates the layout), a context manager."""
    from safetensors import safe_open

    try:
        return safe_open(path, framework="numpy")
    except Exception as exc:  # safetensors' own validation: offsets, sizes, dtypes
        raise SerializationError(f"ember.load: {source} is corrupt: {exc}") from None


def _bytes_arrays(data: bytes, source: str) -> dict[str, np.ndarray]:
    from safetensors import numpy as st_numpy

    try:
        return st_numpy.load(data)
    except Exception as exc:  # safetensors' own validation: offsets, sizes, dtypes
        raise SerializationError(f"ember.load: {source} is corrupt: {exc}") from None
