"""`--tensorboard`: what a run shows in TensorBoard (`tensorboard --logdir runs`), one step per epoch.

Scalars: loss/train, loss/validation, accuracy/train, accuracy/validation, learning_rate. Histograms: every
parameter (weights/<name>) and its last gradient (gradients/<name>). Images: the validation samples titled with
label / prediction, each epoch; the confusion matrix on the test split at the end. Graphs: the model. Text: the
command line. HParams: the run's settings with its final metrics, in the same run.
"""

from __future__ import annotations

from typing import Any

import numpy as np

import ember

from . import report
from .data import DataBundle, UserError

#: validation images shown with their predictions each epoch
SAMPLES = 16


class Board:
    """The run's SummaryWriter and what it logs; `purge_step` hides what a stopped run wrote for epochs redone."""

    def __init__(self, logdir: str, data: DataBundle, args: Any, purge_step: int | None = None) -> None:
        try:
            from ember.utils.tensorboard import SummaryWriter
        except ImportError as exc:
            raise UserError(f"--tensorboard: {exc}") from None
        self.writer = SummaryWriter(logdir, purge_step=purge_step)
        self.data, self.args = data, args
        self.index = report.sample_indices(len(data.val), SAMPLES, args.seed)

    def start(self, model: Any, command: str) -> None:
        """The command line, the model's graph and the training images, before the first epoch."""
        w = self.writer
        w.add_text("command", f"`{command}`", 0)
        x = ember.from_numpy(self.data.train.images[:2]).to(self.args.device)
        model.eval()  # no dropout draws: the run's random stream stays as without --tensorboard
        w.add_graph(model, x)
        k = report.sample_indices(len(self.data.train), 32, self.args.seed)
        fig = report.samples_figure(self.data.train.images[k], self.data.train.labels[k], self.data.classes, self.data.mean, self.data.std)
        w.add_figure("samples/train", fig, 0)
        w.flush()

    def epoch(self, epoch: int, row: dict[str, float], model: Any, optimizer: Any) -> None:
        w = self.writer
        w.add_scalar("loss/train", row["train_loss"], epoch)
        w.add_scalar("loss/validation", row["val_loss"], epoch)
        w.add_scalar("accuracy/train", row["train_acc"], epoch)
        w.add_scalar("accuracy/validation", row["val_acc"], epoch)
        w.add_scalar("learning_rate", optimizer.param_groups[0]["lr"], epoch)
        for name, p in model.named_parameters():
            for tag, values in ((f"weights/{name}", p), (f"gradients/{name}", p.grad)):
                if values is not None and bool(values.isfinite().all()):  # a diverged run still logs its scalars
                    w.add_histogram(tag, values, epoch)
        images, labels = self.data.val.images[self.index], self.data.val.labels[self.index]
        model.eval()
        with ember.no_grad():
            pred = model(ember.from_numpy(images).to(self.args.device)).argmax(1).cpu().numpy()
        fig = report.samples_figure(images, labels, self.data.classes, self.data.mean, self.data.std, predictions=pred)
        w.add_figure("samples/validation", fig, epoch)
        w.flush()

    def finish(self, confusion: np.ndarray, metrics: dict[str, float], epoch: int) -> None:
        """The test confusion matrix, and the hyperparameters with the final metrics (HParams tab)."""
        w = self.writer
        w.add_figure("confusion_matrix/test", report.confusion_figure(confusion, self.data.classes), epoch)
        a = self.args
        hparams = {
            "model": a.model, "optimizer": a.optimizer, "lr": a.lr, "batch_size": a.batch_size, "epochs": a.epochs,
            "weight_decay": a.weight_decay, "schedule": a.schedule, "seed": a.seed, "device": a.device,
        }  # fmt: skip
        w.add_hparams(hparams, {f"hparam/{k}": v for k, v in metrics.items()}, global_step=epoch)
        w.close()
