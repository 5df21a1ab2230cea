"""`SummaryWriter`: PyTorch's `torch.utils.tensorboard.SummaryWriter` API for Ember tensors.

tensorboardX does the encoding (its summary builders make the protobufs, its `EventsWriter` frames and
checksums the records); this module adds what Ember needs and what users of the others missed:

- every value may be an Ember tensor on any device, a NumPy array or a Python number;
- writes are synchronous into a buffered file (no queue between processes), so 10,000 scalars take well under
  a second, and the file is flushed every `max_queue` events, every `flush_secs` seconds on a timer, on `flush()`,
  on `close()` and at interpreter exit: a short run shows up in TensorBoard without waiting;
- `add_hparams` writes into this run (not a new timestamped run beside it) unless `run_name` asks for one;
- `add_graph` draws the autograd graph of one forward call, grouped by module (Ember has no ONNX export).
"""

from __future__ import annotations

import itertools
import os
import socket
import threading
import time
import weakref
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import numpy as np
from tensorboardX import summary as _summary
from tensorboardX.event_file_writer import EventsWriter
from tensorboardX.proto.event_pb2 import Event, SessionLog
from tensorboardX.proto.summary_pb2 import Summary, SummaryMetadata
from tensorboardX.proto.tensor_pb2 import TensorProto
from tensorboardX.proto.tensor_shape_pb2 import TensorShapeProto

from ...tensor import Tensor

__all__ = ["SummaryWriter"]

_file_ids = itertools.count()

#: NumPy dtype -> (TensorProto dtype, the TensorProto field that holds the values), as PyTorch's add_tensor writes them
_TENSOR_FIELDS = {
    "float16": ("DT_HALF", "half_val"),
    "float32": ("DT_FLOAT", "float_val"),
    "float64": ("DT_DOUBLE", "double_val"),
    "int8": ("DT_INT8", "int_val"),
    "uint8": ("DT_UINT8", "int_val"),
    "int16": ("DT_INT16", "int_val"),
    "int32": ("DT_INT32", "int_val"),
    "int64": ("DT_INT64", "int64_val"),
    "bool": ("DT_BOOL", "bool_val"),
}


def _numpy(x: Any, what: str) -> np.ndarray:
    """A host NumPy array of an Ember tensor (any device), an array, a number or a list of them."""
    if isinstance(x, Tensor):
        arr = x.detach().cpu().numpy()
        return arr.astype(np.float32) if arr.dtype.kind == "V" or str(arr.dtype) == "bfloat16" else arr
    if isinstance(x, np.ndarray):
        return x
    if isinstance(x, (list, tuple)) and any(isinstance(e, Tensor) for e in x):
        return np.stack([_numpy(e, what) for e in x])
    if isinstance(x, (int, float, bool, np.generic, list, tuple)):
        return np.asarray(x)
    raise TypeError(
        f"SummaryWriter.{what}: expected an ember.Tensor, a NumPy array or a number, got {type(x).__name__}"
    )


def _scalar(x: Any, what: str) -> float:
    if isinstance(x, (int, float)):
        return float(x)
    if isinstance(x, Tensor):
        if x.numel() != 1:
            raise ValueError(f"SummaryWriter.{what}: expected one value, got a tensor of shape {tuple(x.shape)}")
        return float(x.item())
    arr = _numpy(x, what)
    if arr.size != 1:
        raise ValueError(f"SummaryWriter.{what}: expected one value, got an array of shape {arr.shape}")
    return float(arr.reshape(()))


def _images(x: Any, what: str) -> np.ndarray:
    """Float images are taken as [0, 1] and clipped (as PyTorch does); uint8 ones as [0, 255]."""
    arr = _numpy(x, what)
    if arr.dtype != np.uint8:
        arr = np.clip(arr.astype(np.float32), 0.0, 1.0)
    return arr


class _EventFile:
    """One event file: records go straight into a buffered file; flushed every `max_queue` events and on a timer."""

    def __init__(self, logdir: str, max_queue: int, flush_secs: float, filename_suffix: str) -> None:
        os.makedirs(logdir, exist_ok=True)
        self.logdir = logdir
        # the process id and a counter keep two writers of one second (a resumed run, add_scalars) apart
        suffix = f".{os.getpid()}.{next(_file_ids)}{filename_suffix}"
        self._writer = EventsWriter(os.path.join(logdir, "events"), suffix)
        self.path: str = self._writer._file_name
        self._file: Any = self._writer._py_recordio_writer._writer  # the open file, for flushes without fsync
        self._max_queue = max(int(max_queue), 1)
        self._pending = 0
        self._stop = threading.Event()
        timer = threading.Thread(
            target=_flush_every, args=(self._writer, self._stop, float(flush_secs)), daemon=True, name="ember-tb-flush"
        )
        timer.start()
        # closes (flushing) when the writer is collected or at interpreter exit, whichever comes first
        self._finalizer = weakref.finalize(self, _close, self._writer, self._stop)
        _open_files.add(self)

    def add_event(self, event: Event, step: int | None = None, walltime: float | None = None) -> None:
        if not self._finalizer.alive:
            raise RuntimeError(f"SummaryWriter: the event file {self.path} is closed")
        event.wall_time = time.time() if walltime is None else float(walltime)
        if step is not None:
            event.step = int(step)
        self._writer.write_event(event)
        self._pending += 1
        if self._pending >= self._max_queue:  # visible to TensorBoard now; made durable (fsync) by flush()
            self._pending = 0
            self._file.flush()

    def add_summary(self, summary: Summary, step: int | None = None, walltime: float | None = None) -> None:
        self.add_event(Event(summary=summary), step, walltime)

    def flush(self) -> None:
        """Writes the buffered events and fsyncs the file."""
        if self._finalizer.alive:
            self._pending = 0
            self._writer.flush()

    def close(self) -> None:
        self._finalizer()


_open_files: weakref.WeakSet[_EventFile] = weakref.WeakSet()


def _forget_in_child() -> None:
    """In a forked child (a DataLoader worker, say), the parent's event files are the parent's: the child neither
    flushes them at exit nor writes its copy of their buffers into them (its descriptors now lead to /dev/null)."""
    for f in list(_open_files):
        f._finalizer.detach()
        f._stop.set()
        devnull = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(devnull, f._file.fileno())
        except (OSError, ValueError):
            pass
        finally:
            os.close(devnull)
    _open_files.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_in_child)


def _flush_every(writer: EventsWriter, stop: threading.Event, seconds: float) -> None:
    while not stop.wait(seconds):
        writer.flush()


def _close(writer: EventsWriter, stop: threading.Event) -> None:
    stop.set()
    writer.close()


class SummaryWriter:
    """Writes TensorBoard event files into `log_dir` (PyTorch's constructor and methods).

    `log_dir` defaults to ``runs/<date>_<host><comment>``. `purge_step`: after a crash at step T + X and a restart
    at step T, events of steps >= T written before the restart are hidden by TensorBoard (use the same `log_dir`).
    `max_queue`: events written before the file is flushed; `flush_secs`: the most seconds between flushes.
    Every value may be an Ember tensor (any device), a NumPy array or a Python number. A context manager.
    """

    def __init__(
        self,
        log_dir: str | os.PathLike[str] | None = None,
        comment: str = "",
        purge_step: int | None = None,
        max_queue: int = 10,
        flush_secs: int = 120,
        filename_suffix: str = "",
    ) -> None:
        if not log_dir:
            stamp = datetime.now().strftime("%b%d_%H-%M-%S")
            log_dir = os.path.join("runs", f"{stamp}_{socket.gethostname()}{comment}")
        self.log_dir = os.fspath(log_dir)
        self.purge_step = purge_step
        self.max_queue = max_queue
        self.flush_secs = flush_secs
        self.filename_suffix = filename_suffix
        self.file_writer: _EventFile | None = None
        self.all_writers: dict[str, _EventFile] | None = None
        v, buckets = 1e-12, []
        while v < 1e20:  # TensorFlow's default histogram buckets: +-1e-12 * 1.1^k, and 0
            buckets.append(v)
            v *= 1.1
        self.default_bins = [-b for b in reversed(buckets)] + [0.0] + buckets
        self._get_file_writer()

    # -- files -----------------------------------------------------------------
    def _get_file_writer(self) -> _EventFile:
        """This run's event file; a new one after `close()` (PyTorch's behaviour: the writer can be reused)."""
        if self.file_writer is None or self.all_writers is None:
            fw = _EventFile(self.log_dir, self.max_queue, self.flush_secs, self.filename_suffix)
            if self.purge_step is not None:
                fw.add_event(Event(step=self.purge_step, file_version="brain.Event:2"))
                fw.add_event(Event(step=self.purge_step, session_log=SessionLog(status=SessionLog.START)))
                fw.flush()
            self.file_writer, self.all_writers = fw, {self.log_dir: fw}
        return self.file_writer

    def _writer_at(self, logdir: str) -> _EventFile:
        self._get_file_writer()
        assert self.all_writers is not None
        fw = self.all_writers.get(logdir)
        if fw is None:
            fw = self.all_writers[logdir] = _EventFile(logdir, self.max_queue, self.flush_secs, self.filename_suffix)
        return fw

    def get_logdir(self) -> str:
        """The directory the event files are written to."""
        return self.log_dir

    def flush(self) -> None:
        """Writes everything added so far to disk."""
        for fw in (self.all_writers or {}).values():
            fw.flush()

    def close(self) -> None:
        """Flushes and closes the files; a later `add_*` opens a new file in the same directory."""
        for fw in (self.all_writers or {}).values():
            fw.close()
        self.file_writer = self.all_writers = None

    def __enter__(self) -> SummaryWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _add(self, summary: Summary, global_step: int | None, walltime: float | None) -> None:
        self._get_file_writer().add_summary(summary, global_step, walltime)

    # -- scalars ---------------------------------------------------------------
    def add_scalar(
        self,
        tag: str,
        scalar_value: Any,
        global_step: int | None = None,
        walltime: float | None = None,
        new_style: bool = False,
        double_precision: bool = False,
    ) -> None:
        """One value of the series `tag` at `global_step`. `new_style` writes a tensor summary (the scalars plugin's
        format, loads faster in TensorBoard), `double_precision` keeps it as float64 there."""
        value = _scalar(scalar_value, "add_scalar")
        if new_style:
            proto = (
                TensorProto(dtype="DT_DOUBLE", double_val=[value], tensor_shape=TensorShapeProto())
                if double_precision
                else TensorProto(dtype="DT_FLOAT", float_val=[value], tensor_shape=TensorShapeProto())
            )
            meta = SummaryMetadata(plugin_data=SummaryMetadata.PluginData(plugin_name="scalars"))
            summary = Summary(value=[Summary.Value(tag=tag, tensor=proto, metadata=meta)])
        else:
            summary = Summary(value=[Summary.Value(tag=tag, simple_value=value)])
        self._get_file_writer().add_summary(summary, global_step, walltime)

    def add_scalars(
        self,
        main_tag: str,
        tag_scalar_dict: dict[str, Any],
        global_step: int | None = None,
        walltime: float | None = None,
    ) -> None:
        """Several series in one chart: each goes to the run ``<log_dir>/<main_tag>_<tag>`` under the tag `main_tag`."""
        walltime = time.time() if walltime is None else walltime
        for tag, value in tag_scalar_dict.items():
            logdir = os.path.join(self.log_dir, main_tag.replace("/", "_") + "_" + tag)
            summary = Summary(value=[Summary.Value(tag=main_tag, simple_value=_scalar(value, "add_scalars"))])
            self._writer_at(logdir).add_summary(summary, global_step, walltime)

    def add_tensor(self, tag: str, tensor: Any, global_step: int | None = None, walltime: float | None = None) -> None:
        """A whole tensor (read back as a tensor event, e.g. by TensorBoard's data API); bfloat16 is written as
        float32."""
        arr = _numpy(tensor, "add_tensor")
        if arr.nbytes >= 1 << 31:
            raise ValueError(f"add_tensor({tag!r}): {arr.nbytes} bytes is over protocol buffers' limit of 2 GB")
        kind = _TENSOR_FIELDS.get(arr.dtype.name)
        if kind is None:
            raise ValueError(f"add_tensor({tag!r}): unsupported dtype {arr.dtype.name}")
        dtype, field = kind
        values = arr.reshape(-1).view(np.uint16) if field == "half_val" else arr.reshape(-1)
        shape = TensorShapeProto(dim=[TensorShapeProto.Dim(size=int(d)) for d in arr.shape])
        proto = TensorProto(dtype=dtype, tensor_shape=shape, **{field: values.tolist()})
        meta = SummaryMetadata(plugin_data=SummaryMetadata.PluginData(plugin_name="tensor"))
        self._add(Summary(value=[Summary.Value(tag=tag, metadata=meta, tensor=proto)]), global_step, walltime)

    # -- distributions ---------------------------------------------------------
    def add_histogram(
        self,
        tag: str,
        values: Any,
        global_step: int | None = None,
        bins: str | int | Sequence[float] = "tensorflow",
        walltime: float | None = None,
        max_bins: int | None = None,
    ) -> None:
        """A histogram of `values` (any shape). `bins`: "tensorflow" (TensorBoard's exponential buckets) or anything
        `numpy.histogram` takes ("auto", "fd", a count, edges)."""
        arr = _numpy(values, "add_histogram").astype(np.float64).reshape(-1)
        if not np.isfinite(arr).all():
            raise ValueError(f"SummaryWriter.add_histogram({tag!r}): the values contain NaN or infinity")
        b = self.default_bins if isinstance(bins, str) and bins == "tensorflow" else bins
        self._add(_summary.histogram(tag, arr, b, max_bins=max_bins), global_step, walltime)

    def add_histogram_raw(
        self,
        tag: str,
        min: float,  # noqa: A002 - PyTorch's parameter names
        max: float,  # noqa: A002
        num: int,
        sum: float,  # noqa: A002
        sum_squares: float,
        bucket_limits: Any,
        bucket_counts: Any,
        global_step: int | None = None,
        walltime: float | None = None,
    ) -> None:
        """A histogram from precomputed statistics and buckets."""
        limits = _numpy(bucket_limits, "add_histogram_raw").tolist()
        counts = _numpy(bucket_counts, "add_histogram_raw").tolist()
        if len(limits) != len(counts):
            raise ValueError(f"SummaryWriter.add_histogram_raw: {len(limits)} bucket limits but {len(counts)} counts")
        summary = _summary.histogram_raw(tag, min, max, num, sum, sum_squares, limits, counts)
        self._add(summary, global_step, walltime)

    # -- images ----------------------------------------------------------------
    def add_image(
        self,
        tag: str,
        img_tensor: Any,
        global_step: int | None = None,
        walltime: float | None = None,
        dataformats: str = "CHW",
    ) -> None:
        """One image: float values in [0, 1] or uint8 in [0, 255]; `dataformats` CHW, HWC, HW."""
        arr = _images(img_tensor, "add_image")
        if arr.ndim != len(dataformats):
            raise ValueError(
                f"SummaryWriter.add_image: dataformats {dataformats!r} needs {len(dataformats)} dims, got {arr.shape}"
            )
        self._add(_summary.image(tag, arr, dataformats=dataformats), global_step, walltime)

    def add_images(
        self,
        tag: str,
        img_tensor: Any,
        global_step: int | None = None,
        walltime: float | None = None,
        dataformats: str = "NCHW",
    ) -> None:
        """A batch of images, shown as one grid (`dataformats` NCHW or NHWC)."""
        arr = _images(img_tensor, "add_images")
        if arr.ndim != len(dataformats):
            raise ValueError(
                f"SummaryWriter.add_images: dataformats {dataformats!r} needs {len(dataformats)} dims, got {arr.shape}"
            )
        self._add(_summary.image(tag, arr, dataformats=dataformats), global_step, walltime)

    def add_image_with_boxes(
        self,
        tag: str,
        img_tensor: Any,
        box_tensor: Any,
        global_step: int | None = None,
        walltime: float | None = None,
        rescale: int = 1,
        dataformats: str = "CHW",
        labels: list[str] | None = None,
    ) -> None:
        """An image with boxes (N, 4: xmin, ymin, xmax, ymax in pixels) and their optional labels drawn on it."""
        arr, boxes = _images(img_tensor, "add_image_with_boxes"), _numpy(box_tensor, "add_image_with_boxes")
        summary = _summary.image_boxes(tag, arr, boxes, rescale=rescale, dataformats=dataformats, labels=labels)
        self._add(summary, global_step, walltime)

    def add_figure(
        self, tag: str, figure: Any, global_step: int | None = None, close: bool = True, walltime: float | None = None
    ) -> None:
        """A matplotlib figure (or a list of them) rendered to an image; `close` closes the figure."""
        from tensorboardX.utils import figure_to_image

        img = figure_to_image(figure, close)
        if isinstance(figure, list):
            self.add_images(tag, img, global_step, walltime, dataformats="NCHW")
        else:
            self.add_image(tag, img, global_step, walltime, dataformats="CHW")

    def add_video(
        self, tag: str, vid_tensor: Any, global_step: int | None = None, fps: int = 4, walltime: float | None = None
    ) -> None:
        """Videos (N, T, C, H, W), float in [0, 1] or uint8, as an animated GIF (needs moviepy)."""
        self._add(_summary.video(tag, _images(vid_tensor, "add_video"), fps), global_step, walltime)

    def add_audio(
        self,
        tag: str,
        snd_tensor: Any,
        global_step: int | None = None,
        sample_rate: int = 44100,
        walltime: float | None = None,
    ) -> None:
        """A sound (1, L), values in [-1, 1]."""
        self._add(_summary.audio(tag, _numpy(snd_tensor, "add_audio"), sample_rate=sample_rate), global_step, walltime)

    def add_text(
        self, tag: str, text_string: str, global_step: int | None = None, walltime: float | None = None
    ) -> None:
        """Text (Markdown), shown in the Text tab."""
        self._add(_summary.text(tag, text_string), global_step, walltime)

    # -- curves, layouts, meshes ------------------------------------------------
    def add_pr_curve(
        self,
        tag: str,
        labels: Any,
        predictions: Any,
        global_step: int | None = None,
        num_thresholds: int = 127,
        weights: Any = None,
        walltime: float | None = None,
    ) -> None:
        """A precision-recall curve from 0/1 `labels` and `predictions` in [0, 1]."""
        y, p = _numpy(labels, "add_pr_curve"), _numpy(predictions, "add_pr_curve")
        w = None if weights is None else _numpy(weights, "add_pr_curve")
        self._add(_summary.pr_curve(tag, y, p, num_thresholds, w), global_step, walltime)

    def add_pr_curve_raw(
        self,
        tag: str,
        true_positive_counts: Any,
        false_positive_counts: Any,
        true_negative_counts: Any,
        false_negative_counts: Any,
        precision: Any,
        recall: Any,
        global_step: int | None = None,
        num_thresholds: int = 127,
        weights: Any = None,
        walltime: float | None = None,
    ) -> None:
        """A precision-recall curve from counts and rates computed elsewhere (one value per threshold each)."""
        parts = [
            _numpy(v, "add_pr_curve_raw").astype(np.float64).reshape(-1)
            for v in (
                true_positive_counts,
                false_positive_counts,
                true_negative_counts,
                false_negative_counts,
                precision,
                recall,
            )
        ]
        if len({p.size for p in parts}) != 1:
            raise ValueError(f"add_pr_curve_raw({tag!r}): the six series differ in length: {[p.size for p in parts]}")
        self._add(_summary.pr_curve_raw(tag, *parts, num_thresholds, weights), global_step, walltime)

    def add_onnx_graph(self, prototxt: str) -> None:
        """The graph of an ONNX model file (needs the onnx package; Ember itself exports no ONNX yet)."""
        import contextlib
        import io

        from tensorboardX.onnx_graph import load_onnx_graph

        with contextlib.redirect_stdout(io.StringIO()):  # tensorboardX prints every node name
            graph = load_onnx_graph(prototxt)
        self._get_file_writer().add_event(Event(graph_def=graph.SerializeToString()))

    def add_custom_scalars(self, layout: dict[str, dict[str, list[Any]]]) -> None:
        """A Custom Scalars layout: {category: {chart: ["Multiline" or "Margin", [tags]]}}."""
        self._add(_summary.custom_scalars(layout), None, None)

    def add_custom_scalars_multilinechart(
        self, tags: list[str], category: str = "default", title: str = "untitled"
    ) -> None:
        """One Custom Scalars chart with several series."""
        self.add_custom_scalars({category: {title: ["Multiline", tags]}})

    def add_custom_scalars_marginchart(
        self, tags: list[str], category: str = "default", title: str = "untitled"
    ) -> None:
        """One Custom Scalars chart of a value and its lower and upper bounds (three tags)."""
        if len(tags) != 3:
            raise ValueError(f"add_custom_scalars_marginchart: needs 3 tags (value, lower, upper), got {len(tags)}")
        self.add_custom_scalars({category: {title: ["Margin", tags]}})

    def add_mesh(
        self,
        tag: str,
        vertices: Any,
        colors: Any = None,
        faces: Any = None,
        config_dict: dict[str, Any] | None = None,
        global_step: int | None = None,
        walltime: float | None = None,
    ) -> None:
        """A 3-D mesh or point cloud: vertices (B, N, 3), colors (B, N, 3) uint8, faces (B, F, 3) int."""
        v = _numpy(vertices, "add_mesh")
        c = None if colors is None else _numpy(colors, "add_mesh")
        f = None if faces is None else _numpy(faces, "add_mesh")
        for s in _summary.mesh(tag, v, c, f, config_dict):
            self._add(s, global_step, walltime)

    # -- hyperparameters -------------------------------------------------------
    def add_hparams(
        self,
        hparam_dict: dict[str, Any],
        metric_dict: dict[str, Any],
        hparam_domain_discrete: dict[str, list[Any]] | None = None,
        run_name: str | None = None,
        global_step: int | None = None,
    ) -> None:
        """Hyperparameters and the metrics they gave, for TensorBoard's HParams tab.

        Unlike PyTorch, they go into this run (the HParams tab then links the run's own scalars) unless `run_name`
        names a sub-run. The metrics are also written as scalars (tags of `metric_dict`); use tags that `add_scalar`
        does not use for something else.
        """
        if type(hparam_dict) is not dict or type(metric_dict) is not dict:
            raise TypeError("add_hparams: hparam_dict and metric_dict should be dictionaries")
        from ._hparams import hparams_summaries

        hp = {
            k: (_scalar(v, "add_hparams") if isinstance(v, (Tensor, np.ndarray, np.generic)) else v)
            for k, v in hparam_dict.items()
        }
        summaries = hparams_summaries(hp, metric_dict, hparam_domain_discrete)
        fw = self._get_file_writer() if not run_name else self._writer_at(os.path.join(self.log_dir, run_name))
        for s in summaries:
            fw.add_summary(s, global_step)
        for k, v in metric_dict.items():
            fw.add_summary(Summary(value=[Summary.Value(tag=k, simple_value=_scalar(v, "add_hparams"))]), global_step)
        fw.flush()

    # -- graphs and embeddings ---------------------------------------------------
    def add_graph(
        self, model: Any, input_to_model: Any = None, verbose: bool = False, use_strict_trace: bool = True
    ) -> None:
        """The graph of one forward call of `model` on `input_to_model` (a tensor or a tuple of them), for the
        Graphs tab: the ops autograd recorded, grouped by the module that ran them, with parameters and shapes.

        Ember has no ONNX export or tracer, so the graph is autograd's: only ops on the path from parameters or
        floating-point inputs to the outputs appear. The forward call runs as usual (in the model's current mode).
        `use_strict_trace` is accepted for PyTorch compatibility and has no effect.
        """
        from ._graph import model_graph

        graph = model_graph(model, input_to_model)
        if verbose:
            for node in graph.node:
                print(f"{node.name} = {node.op}({', '.join(node.input)})")
        self._get_file_writer().add_event(Event(graph_def=graph.SerializeToString()))
        self._get_file_writer().flush()

    def add_embedding(
        self,
        mat: Any,
        metadata: list[Any] | None = None,
        label_img: Any = None,
        global_step: int | None = None,
        tag: str = "default",
        metadata_header: list[str] | None = None,
    ) -> None:
        """Points (N, D) for the Projector tab, with optional labels (`metadata`, one per row, or rows of columns
        named by `metadata_header`) and thumbnails (`label_img`, N x C x H x W, square)."""
        from tensorboardX.embedding import append_pbtxt, make_mat, make_sprite, make_tsv

        m = _numpy(mat, "add_embedding")
        if m.ndim != 2:
            raise ValueError(f"add_embedding: mat should be 2-D (points x features), got shape {m.shape}")
        if metadata is not None and len(metadata) != m.shape[0]:
            raise ValueError(f"add_embedding: {len(metadata)} metadata rows for {m.shape[0]} points")
        img = None if label_img is None else _images(label_img, "add_embedding")
        if img is not None and (img.ndim != 4 or img.shape[0] != m.shape[0] or img.shape[2] != img.shape[3]):
            raise ValueError(
                f"add_embedding: label_img should be N x C x H x W with H == W and N = {m.shape[0]}, got {img.shape}"
            )
        step = 0 if global_step is None else global_step
        encoded = tag.replace("%", "%25").replace("/", "%2f").replace("\\", "%5c")
        subdir = f"{str(step).zfill(5)}/{encoded}"
        path = os.path.join(self.log_dir, subdir)
        os.makedirs(path, exist_ok=True)
        if metadata is not None:
            make_tsv(metadata, path, metadata_header=metadata_header)
        if img is not None:
            make_sprite(img, path)
        make_mat(m, path)
        append_pbtxt(metadata, img, self.log_dir, subdir, step, tag)
