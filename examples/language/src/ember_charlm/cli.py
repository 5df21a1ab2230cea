"""`ember-charlm`: `train` (the default) trains on the stdlib's sources and writes a run folder; `sample` continues
a prompt from a saved checkpoint."""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import ember

from . import corpus
from .corpus import UserError
from .model import CharTransformer, Config
from .training import Record, fit, sample

CHECKPOINT = "model.safetensors"


def _parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="ember-charlm", description=__doc__)
    sub = ap.add_subparsers(dest="command")
    t = sub.add_parser("train", help="train, validate, plot, sample and save (the default)")
    t.add_argument("--text-dir", help="folder of .py files (default: this Python's standard library)")
    t.add_argument("--max-mb", type=float, default=8.0, help="training text to read, in MB (default 8)")
    t.add_argument("--context", type=int, default=128)
    t.add_argument("--d-model", type=int, default=128)
    t.add_argument("--nhead", type=int, default=4)
    t.add_argument("--layers", type=int, default=3)
    t.add_argument("--dropout", type=float, default=0.0)
    t.add_argument("--batch-size", type=int, default=32)
    t.add_argument("--lr", type=float, default=3e-3)
    t.add_argument("--steps", type=int, default=3000, help="schedule length (default 3000)")
    t.add_argument("--minutes", type=float, default=10.0, help="stop after this much wall time (default 10)")
    t.add_argument("--eval-every", type=int, default=100)
    t.add_argument("--eval-windows", type=int, default=256)
    t.add_argument("--device", default="cpu", help="cpu, opencl, cuda, ... (default: cpu)")
    t.add_argument("--threads", type=int, help="CPU compute threads (default: the compute libraries' own)")
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--prompt", default="def ", help="prompt for the samples written at the end")
    t.add_argument("--out", default="runs/charlm", help="output folder (default runs/charlm)")
    s = sub.add_parser("sample", help="continue a prompt with a trained model")
    s.add_argument("checkpoint", help=f"{CHECKPOINT} written by train")
    s.add_argument("--prompt", default="def ")
    s.add_argument("--length", type=int, default=400)
    s.add_argument("--temperature", type=float, default=0.8)
    s.add_argument("--top-k", type=int, default=40)
    s.add_argument("--device", default="cpu")
    s.add_argument("--seed", type=int, default=0)
    return ap


def _plot(records: list[Record], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot([r.step for r in records], [r.train_bpc for r in records], label="train")
    ax.plot([r.step for r in records], [r.val_bpc for r in records], label="validation")
    ax.axhline(2.0, color="grey", linestyle=":", linewidth=1)
    ax.set(xlabel="step", ylabel="bits per character", title="ember-charlm on the standard library")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def _load(checkpoint: str, device: str) -> CharTransformer:
    path = Path(checkpoint)
    if not path.is_file():
        raise UserError(f"checkpoint not found: {path}")
    state = ember.load(path, map_location=device)
    model = CharTransformer(Config(**state["config"])).to(device)
    model.load_state_dict(state["model"])
    return model


def train(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    ember.manual_seed(args.seed)
    if args.threads is not None:
        ember.set_num_threads(args.threads)
    text = corpus.load(Path(args.text_dir) if args.text_dir else None, int(args.max_mb * 1e6))
    cfg = Config(args.context, args.d_model, args.nhead, args.layers, args.dropout)
    if len(text.val) <= cfg.context + 1 or len(text.train) <= cfg.context + 1:
        raise UserError(f"too little text for a context of {cfg.context} bytes in {text.root}")
    model = CharTransformer(cfg).to(args.device)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    n_params = sum(p.numel() for p in model.parameters())
    print(f"text: {text.root}: train {len(text.train):,} bytes from {text.train_files} files, "
          f"validation {len(text.val):,} bytes from {text.val_files} files")  # fmt: skip
    print(f"model: {cfg.layers} layers, d_model {cfg.d_model}, {cfg.nhead} heads, context {cfg.context} "
          f"({n_params:,} parameters) on {args.device}; up to {args.steps} steps or {args.minutes:g} min")  # fmt: skip
    sys.stdout.flush()

    def on_eval(r: Record) -> None:
        print(f"step {r.step:5d}  train {r.train_bpc:.3f} bpc  val {r.val_bpc:.3f} bpc  {r.seconds:7.1f}s", flush=True)

    def on_best(r: Record) -> None:
        ember.save({"model": model.state_dict(), "config": cfg.asdict(), "step": r.step, "val_bpc": r.val_bpc},
                   out / CHECKPOINT)  # fmt: skip

    history = fit(
        model, text.train, text.val, steps=args.steps, minutes=args.minutes, batch_size=args.batch_size,
        lr=args.lr, eval_every=args.eval_every, eval_windows=args.eval_windows, device=args.device, seed=args.seed,
        on_eval=on_eval, on_best=on_best,
    )  # fmt: skip
    with open(out / "history.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["step", "seconds", "train_bpc", "val_bpc"])
        for r in history.records:
            w.writerow([r.step, f"{r.seconds:.2f}", f"{r.train_bpc:.4f}", f"{r.val_bpc:.4f}"])
    _plot(history.records, out / "curve.png")
    best = history.best
    model = _load(str(out / CHECKPOINT), args.device)
    text_out = sample(model, args.prompt.encode(), 300, temperature=0.8, top_k=40, device=args.device, seed=args.seed)
    (out / "samples.txt").write_bytes(text_out)
    (out / "summary.json").write_text(json.dumps({"best_step": best.step, "best_val_bpc": best.val_bpc,
                                                  "seconds": time.perf_counter() - started}, indent=2))  # fmt: skip
    print(f"\nbest validation: {best.val_bpc:.3f} bits/char at step {best.step}")
    print(f"sample (temperature 0.8, top-k 40):\n{text_out.decode('utf-8', 'replace')}\n")
    print(f"wrote {out / CHECKPOINT}, {out / 'history.csv'}, {out / 'curve.png'}, {out / 'samples.txt'}  "
          f"({time.perf_counter() - started:.1f}s)")  # fmt: skip
    return 0


def sample_cmd(args: argparse.Namespace) -> int:
    model = _load(args.checkpoint, args.device)
    text = sample(model, args.prompt.encode(), args.length, temperature=args.temperature, top_k=args.top_k,
                  device=args.device, seed=args.seed)  # fmt: skip
    sys.stdout.write(text.decode("utf-8", "replace") + "\n")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] not in ("train", "sample", "-h", "--help"):
        argv.insert(0, "train")
    args: Any = _parser().parse_args(argv)
    try:
        return train(args) if args.command == "train" else sample_cmd(args)
    except (UserError, ValueError, ember.BackendError) as e:
        print(f"ember-charlm: error: {e}", file=sys.stderr)
        return 2
