"""`ember-classify`: the command line. `train` (the default) runs the whole workflow; `predict` uses a checkpoint."""

from __future__ import annotations

import argparse
import csv
import importlib
import io
import json
import os
import shlex
import sys
import time
import zlib
from collections.abc import Sequence
from typing import Any

import numpy as np

import ember

from . import metrics, models, report
from .data import DataBundle, UserError, load
from .training import evaluate, fit

DEFAULT_EPOCHS = {"mlp": 25, "cnn": 20}
DEFAULT_LR = {"adamw": 2e-3, "sgd": 0.05}


def _train_parser(sub: Any) -> None:
    p = sub.add_parser("train", help="train, validate, evaluate and save (the default)")
    src = p.add_argument_group("data (default: the 8x8 digits bundled with scikit-learn)")
    src.add_argument("--dataset", choices=["digits", "mnist", "fashion-mnist"], default="digits")
    src.add_argument("--data-dir", help="folder with the IDX files (mnist, fashion-mnist); default data/<dataset>")
    src.add_argument("--csv", help="CSV file of image ids and label names (use with --images)")
    src.add_argument("--images", help="folder of the images the CSV names")
    src.add_argument("--id-column", default="id", help="CSV column of image ids (default: id)")
    src.add_argument("--label-column", default="label", help="CSV column of label names (default: label)")
    src.add_argument("--image-folder", help="one sub-folder per class")
    src.add_argument("--val-fraction", type=float, default=0.15, help="share of training data held out (default 0.15)")
    src.add_argument("--test-fraction", type=float, default=0.2, help="test share when the data has no test split")
    m = p.add_argument_group("model and training")
    m.add_argument("--model", choices=sorted(models.BUILDERS), default="mlp")
    m.add_argument("--epochs", type=int, help="default: 25 (mlp) or 20 (cnn)")
    m.add_argument("--batch-size", type=int, default=64)
    m.add_argument("--optimizer", choices=["adamw", "sgd"], default="adamw")
    m.add_argument("--lr", type=float, help="default: 2e-3 (adamw) or 0.05 (sgd)")
    m.add_argument("--weight-decay", type=float, default=1e-4)
    m.add_argument("--schedule", choices=["cosine", "onecycle", "none"], default="cosine")
    m.add_argument("--device", default="cpu", help="cpu, opencl, cuda, cuda:1, ... (default: cpu)")
    m.add_argument("--num-workers", type=int, default=0)
    m.add_argument("--seed", type=int, default=0)
    m.add_argument("--no-compile", dest="compile", action="store_false",
                   help="run the training and evaluation steps eagerly instead of with ember.compile")  # fmt: skip
    m.add_argument("--nproc", type=int, default=1,
                   help="train on N processes with DistributedDataParallel over MPI (needs ember-core[mpi]); "
                   "--batch-size stays the global batch")  # fmt: skip
    p.add_argument("--out", help="output folder (default: runs/<data>-<model>)")
    p.add_argument("--quiet", action="store_true", help="no progress bars (there are none when output is not a terminal)")
    p.add_argument(
        "--tensorboard", nargs="?", const="", metavar="DIR",
        help="log to TensorBoard (needs ember-core[tensorboard]): into DIR, or the output folder; then tensorboard --logdir runs",
    )  # fmt: skip
    p.add_argument(
        "--resume", metavar="DIR",
        help="continue the stopped run whose output folder is DIR, with its settings; ends as if it never stopped",
    )  # fmt: skip


def _predict_parser(sub: Any) -> None:
    p = sub.add_parser("predict", help="classify images with a saved checkpoint")
    p.add_argument("checkpoint", help="best.safetensors written by train")
    p.add_argument("images", nargs="*", help="image files")
    p.add_argument("--csv", help="CSV of image ids (and optionally labels) instead of file arguments")
    p.add_argument("--images-dir", help="folder of the images the CSV names")
    p.add_argument("--id-column", default="id")
    p.add_argument("--label-column", default="label")
    p.add_argument("--device", default="cpu")


def _export_parser(sub: Any) -> None:
    p = sub.add_parser("export", help="write a saved checkpoint as an ONNX model (needs ember-core[onnx])")
    p.add_argument("checkpoint", help="best.safetensors written by train")
    p.add_argument("output", help="the ONNX file to write, e.g. model.onnx")
    p.add_argument("--opset", type=int, help="ONNX opset, 17 to 21 (default: ember.onnx.DEFAULT_OPSET)")


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="ember-classify",
        description="Train and evaluate an image classifier with Ember, or predict with a saved one.",
    )
    p.add_argument("--debug", action="store_true", help="show tracebacks")
    sub = p.add_subparsers(dest="command")
    _train_parser(sub)
    _predict_parser(sub)
    _export_parser(sub)
    return p


def _device(name: str) -> str:
    """The device, checked now: a missing or unusable backend is a one-line error, not a traceback."""
    try:
        ember.zeros(1, device=name)
    except (ember.BackendError, ValueError, RuntimeError) as exc:
        raise UserError(f"--device {name}: {str(exc).splitlines()[0]}") from None
    return name


def _start_ranks(args: Any) -> int | None:
    """With --nproc N > 1: outside MPI, start N ranks of this command (returns their status); inside, join them
    (returns None) and silence every rank but 0, which alone prints and writes files."""
    if args.nproc < 1:
        raise UserError(f"--nproc must be at least 1, got {args.nproc}")
    if args.nproc == 1:
        return None
    import ember.distributed as dist

    if "PMI_RANK" not in os.environ:  # not started by mpiexec: start the ranks
        from ember.distributed import run

        reason = dist._mpi_missing()
        if reason:
            raise UserError(f"--nproc {args.nproc}: {reason}")
        cmd = ["--nproc", str(args.nproc), "-m", "ember_classify", *args.argv]  # the ranks see PMI_RANK
        return run.main(cmd)
    dist.init_process_group("mpi")
    if dist.get_world_size() != args.nproc:
        raise UserError(f"--nproc {args.nproc}, but MPI started {dist.get_world_size()} processes")
    if dist.get_rank() != 0:
        args.quiet = True
        sys.stdout = open(os.devnull, "w")
    return None


#: The settings of a run (`--resume` takes them from the checkpoint; a different value given with it is an error).
RUN_SETTINGS = (
    "dataset", "data_dir", "csv", "images", "id_column", "label_column", "image_folder", "val_fraction",
    "test_fraction", "model", "epochs", "batch_size", "optimizer", "lr", "weight_decay", "schedule", "seed",
)  # fmt: skip


def _resume(args: Any) -> dict[str, Any]:
    """The state in `--resume DIR`'s last.safetensors; the run's settings are copied into `args`."""
    path = os.path.join(args.resume, "last.safetensors")
    if not os.path.isfile(path):
        raise UserError(f"--resume {args.resume}: no last.safetensors there; give the --out folder of an ember-classify run")
    try:
        state = ember.load(path, map_location=args.device)
        settings = state["meta"]["settings"]
        if "epoch" not in state or "model" not in state:
            raise KeyError("no epoch or model in it")
    except (ValueError, KeyError, RuntimeError, TypeError) as exc:
        raise UserError(f"{path}: not a training state of ember-classify ({str(exc).splitlines()[0]})") from None
    if args.out and os.path.normpath(args.out) != os.path.normpath(args.resume):
        raise UserError(f"--resume {args.resume} continues the run in that folder; drop --out {args.out}")
    defaults = vars(parser().parse_args(["train"]))
    for key in RUN_SETTINGS:
        given = getattr(args, key)
        if given != defaults[key] and given != settings[key]:
            flag = "--" + key.replace("_", "-")
            raise UserError(
                f"--resume {args.resume}: the run was trained with {flag} {settings[key]}, not {given}; "
                f"drop {flag} to continue it, or start a new run with another --out"
            )
        setattr(args, key, settings[key])
    if args.tensorboard is None:
        args.tensorboard = state["meta"].get("tensorboard")
    return state


def _fingerprint(data: DataBundle) -> dict[str, Any]:
    """What identifies the data a run trains on: a resumed run must see the same."""
    digest = zlib.crc32(data.train.labels.tobytes(), zlib.crc32(data.train.images.tobytes()))
    return {
        "classes": data.classes, "image_shape": list(data.image_shape),
        "sizes": [len(data.train), len(data.val), len(data.test)], "crc32": digest,
    }  # fmt: skip


def train(args: Any) -> int:
    status = _start_ranks(args)
    if status is not None:
        return status
    rank = int(os.environ.get("RANK", "0")) if args.nproc > 1 else 0
    args.device = _device(args.device)
    state = _resume(args) if args.resume else None
    if args.tensorboard is not None:
        try:  # before any work: a missing extra is a one-line error at once
            importlib.import_module("ember.utils.tensorboard")
        except ImportError as exc:
            raise UserError(f"--tensorboard: {exc}") from None
    args.epochs = args.epochs or DEFAULT_EPOCHS[args.model]
    args.lr = args.lr or DEFAULT_LR[args.optimizer]
    ember.manual_seed(args.seed)
    started = time.perf_counter()
    data: DataBundle = load(args)
    name = "csv" if args.csv else ("folder" if args.image_folder else args.dataset)
    out = args.resume or args.out or os.path.join("runs", f"{name}-{args.model}")
    args.out = out
    os.makedirs(out, exist_ok=True)
    paths = report.outputs(out)
    model = models.build(args.model, data.image_shape, len(data.classes)).to(args.device)
    n_params = sum(p.numel() for p in model.parameters())
    print(
        f"data: {name}, {len(data.classes)} classes, images {data.image_shape}; "
        f"train {len(data.train)}, validation {len(data.val)}, test {len(data.test)}"
    )
    print(f"model: {args.model} ({n_params:,} parameters), {args.optimizer} lr {args.lr}, {args.epochs} epochs on {args.device}")
    if args.tensorboard == "":
        args.tensorboard = out  # the run's folder: `tensorboard --logdir runs` lists it by its name
    meta = {
        "model": args.model, "image_shape": list(data.image_shape), "classes": data.classes,
        "mean": data.mean, "std": data.std, "seed": args.seed,
        "settings": {k: getattr(args, k) for k in RUN_SETTINGS}, "data": _fingerprint(data),
        "tensorboard": args.tensorboard,
    }  # fmt: skip
    if state is not None:
        _check_resumable(args.resume, state, meta, model)
        done = state["epoch"] >= args.epochs
        print(f"the run had finished its {args.epochs} epochs" if done else f"resuming after epoch {state['epoch']} of {args.epochs}")

    k = report.sample_indices(len(data.train), 32, args.seed)
    if rank == 0:
        report.plot_samples(paths["samples.png"], data.train.images[k], data.train.labels[k], data.classes, data.mean, data.std)
    board = None
    if args.tensorboard and rank == 0:
        from .board import Board

        board = Board(args.tensorboard, data, args, purge_step=state["epoch"] + 1 if state is not None else None)
        board.start(model, shlex.join(["ember-classify", *getattr(args, "argv", [])]))

    def checkpoint(m: Any, epoch: int) -> None:
        if rank == 0:
            ember.save({"model": m.state_dict(), "meta": {**meta, "epoch": epoch}}, paths["best.safetensors"])

    def save_state(s: dict[str, Any]) -> None:
        if rank == 0:
            ember.save({**s, "meta": meta}, paths["last.safetensors"])

    on_epoch = board.epoch if board is not None else None
    history = fit(args, model, data.train, data.val, checkpoint, log=_log(args), save_state=save_state, resume=state, on_epoch=on_epoch)
    if rank != 0:
        return 0  # rank 0 writes the reports
    report.write_history(paths["history.csv"], history)
    report.plot_losses(paths["losses.png"], history)

    best = ember.load(paths["best.safetensors"], map_location=args.device)
    model.load_state_dict(best["model"])
    test_loss, pred, conf = evaluate(model, data.test, args.device, compiled=getattr(args, "compile", True))
    m = metrics.confusion_matrix(data.test.labels, pred, len(data.classes))
    report.plot_confusion(paths["confusion.png"], m, data.classes)
    report.write_predictions(paths["predictions.csv"], data.test.ids, pred, conf, data.classes)
    acc = float((pred == data.test.labels).mean())
    if board is not None:
        best_val = min(r["val_loss"] for r in history.rows)
        board.finish(m, {"test_accuracy": acc, "test_loss": test_loss, "best_val_loss": best_val}, args.epochs)
    print(f"\nbest epoch {best['meta']['epoch']}; test loss {test_loss:.4f}, test accuracy {acc:.2%}\n")
    print(metrics.report(m, data.classes))
    print(f"\nwrote {', '.join(paths[k] for k in paths)}  ({time.perf_counter() - started:.1f}s)")
    if board is not None:
        print(f"TensorBoard: tensorboard --logdir {os.path.dirname(os.path.normpath(args.tensorboard)) or '.'}")
    return 0


def _check_resumable(folder: str, state: dict[str, Any], meta: dict[str, Any], model: Any) -> None:
    """The data and the model of a resumed run must be the stopped run's."""
    saved = state["meta"]["data"]
    for key, what in (("classes", "classes"), ("image_shape", "image size"), ("sizes", "split sizes"), ("crc32", "images")):
        if saved[key] != meta["data"][key]:
            raise UserError(
                f"--resume {folder}: the data set differs from the run's ({what}: {saved[key]} then, {meta['data'][key]} now)"
            )
    try:
        model.load_state_dict(state["model"])
    except (KeyError, RuntimeError, ValueError) as exc:
        raise UserError(f"--resume {folder}: its weights are not those of a {meta['model']} for this data ({str(exc).splitlines()[0]})") from None


def _log(args: Any) -> Any:
    from tqdm import tqdm

    return tqdm.write if not args.quiet else print


def _load_image(path: str, meta: dict[str, Any]) -> np.ndarray:
    from PIL import Image, UnidentifiedImageError

    c, h, w = meta["image_shape"]
    try:
        with Image.open(path) as img:
            img = img.convert("L" if c == 1 else "RGB").resize((w, h))
            arr = np.asarray(img, dtype=np.float32) / 255.0
    except FileNotFoundError:
        raise UserError(f"{path}: no such image file") from None
    except (UnidentifiedImageError, OSError) as exc:
        raise UserError(f"{path}: cannot read the image ({exc})") from None
    arr = arr[None] if arr.ndim == 2 else arr.transpose(2, 0, 1)
    return (arr - meta["mean"]) / meta["std"]


def _load_checkpoint(path: str, device: str) -> tuple[Any, dict[str, Any]]:
    """The model of a checkpoint written by train, on `device`, and the checkpoint's metadata."""
    if not os.path.isfile(path):
        raise UserError(f"{path}: no such checkpoint file")
    try:
        ckpt = ember.load(path, map_location=device)
        meta = ckpt["meta"]
        model = models.build(meta["model"], tuple(meta["image_shape"]), len(meta["classes"])).to(device)
        model.load_state_dict(ckpt["model"])
    except (ValueError, KeyError, RuntimeError, TypeError) as exc:
        raise UserError(f"{path}: not a checkpoint of ember-classify ({str(exc).splitlines()[0]})") from None
    return model, meta


def predict(args: Any) -> int:
    args.device = _device(args.device)
    model, meta = _load_checkpoint(args.checkpoint, args.device)
    classes = list(meta["classes"])
    paths, truth = list(args.images), []
    if args.csv:
        if not args.images_dir:
            raise UserError("--csv needs --images-dir, the folder of the images it names")
        with open(args.csv, newline="") as f:
            rows = list(csv.DictReader(f))
        if rows and args.id_column not in rows[0]:
            raise UserError(f"{args.csv}: no column {args.id_column!r}; set --id-column")
        for row in rows:
            name = row[args.id_column]
            paths.append(os.path.join(args.images_dir, name if os.path.splitext(name)[1] else name + ".png"))
            label = row.get(args.label_column)
            if label is not None and label not in classes:
                raise UserError(
                    f"{args.csv}: label {label!r} (image {name}) is not one the model knows: {', '.join(classes)}"
                )
            truth.append(label)
    if not paths:
        raise UserError("predict: give image files, or --csv with --images-dir")
    x = ember.from_numpy(np.stack([_load_image(p, meta) for p in paths]).astype(np.float32)).to(args.device)
    model.eval()
    with ember.no_grad():
        probs = model(x).softmax(1)
    conf, pred = probs.max(1)
    for path, p, c in zip(paths, pred.tolist(), conf.tolist()):
        print(f"{path}\t{classes[p]}\t{c:.4f}")
    if truth and all(t is not None for t in truth):
        acc = np.mean([classes[p] == t for p, t in zip(pred.tolist(), truth)])
        print(f"accuracy against the CSV's labels: {acc:.2%}")
    return 0


def export_onnx(args: Any) -> int:
    """Write the checkpoint's model as ONNX: input "image" (batch, C, H, W), normalized as in training (the
    mean and std are in the file's metadata), output "logits" (batch, classes); the batch size is free."""
    try:
        import onnx

        from ember.onnx import DEFAULT_OPSET, ExportError, export
    except ImportError:
        raise UserError("export needs the onnx package: pip install 'ember-core[onnx]'") from None
    model, meta = _load_checkpoint(args.checkpoint, "cpu")
    c, h, w = meta["image_shape"]
    started = time.perf_counter()
    try:
        proto = export(
            model, ember.zeros(1, c, h, w), io.BytesIO(), input_names=["image"], output_names=["logits"],
            dynamic_axes={"image": {0: "batch"}, "logits": {0: "batch"}}, opset_version=args.opset,
        )  # fmt: skip
    except (ValueError, ExportError) as exc:
        raise UserError(f"export: {exc}") from None
    elapsed = time.perf_counter() - started
    info = {"classes": json.dumps(list(meta["classes"])), "mean": repr(float(meta["mean"])),
            "std": repr(float(meta["std"])), "model": meta["model"]}  # fmt: skip
    onnx.helper.set_model_props(proto, info)
    try:
        onnx.save(proto, args.output)
    except OSError as exc:
        raise UserError(f"{args.output}: cannot write ({exc.strerror or exc})") from None
    print(
        f"wrote {args.output} (opset {args.opset or DEFAULT_OPSET}, exported in {elapsed:.2f}s): input \"image\" "
        f"float32 (batch, {c}, {h}, {w}), pixels in [0, 1] then (x - mean) / std with mean {float(meta['mean']):.4f}, "
        f"std {float(meta['std']):.4f}; output \"logits\" (batch, {len(meta['classes'])}); the classes, mean and "
        f"std are in the model's metadata"
    )
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not any(a in ("train", "predict", "export") for a in argv) and not any(a in ("-h", "--help") for a in argv):
        argv = [a for a in argv if a == "--debug"] + ["train"] + [a for a in argv if a != "--debug"]
    args = parser().parse_args(argv)
    args.argv = [a for a in argv if a != "train"]
    if args.command is None:
        parser().print_help()
        return 0
    try:
        return {"train": train, "predict": predict, "export": export_onnx}[args.command](args)
    except UserError as exc:
        if args.debug:
            raise
        print(f"ember-classify: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        out = getattr(args, "out", None)
        hint = f"; continue with: ember-classify --resume {shlex.quote(out)}" if out and args.command == "train" else ""
        print(f"ember-classify: interrupted{hint}", file=sys.stderr)
        return 130
