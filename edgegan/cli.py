"""The ``edgegan`` command line. Each handler parses, calls one library function, prints.

Exit codes: 0 ok, 1 error (one line; traceback only with --debug), 2 usage, 3 verification failed.
Handlers import their tier lazily, so ``edgegan generate`` never loads TensorFlow.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from edgegan import __version__
from edgegan.errors import ConfigError, EdgeGanError

DEFAULT_BUNDLE = Path("models/mnist-dcgan")


def _image_size(text: str) -> tuple[int, int]:
    try:
        h, _, w = text.lower().partition("x")
        return int(h), int(w or h)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected HxW like 28x28, got {text!r}") from None


# ---------------------------------------------------------------- train
def _add_train(sub) -> None:
    p = sub.add_parser("train", help="train the article's DCGAN (train tier)")
    p.add_argument("--data", default="mnist", help="mnist, fashion_mnist, or a path: IDX file/folder, .npz, image folder")
    p.add_argument("--epochs", type=int, default=30)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--lr", type=float, default=2e-4, help="Adam learning rate (default: the article's 2e-4)")
    p.add_argument("--beta-1", type=float, default=0.5, help="Adam beta_1 (default: the article's 0.5)")
    p.add_argument("--out", default="runs/dcgan", help="run folder (checkpoints, samples, logs, .keras files)")
    p.add_argument("--resume", action="store_true", help="continue the run in --out from its last good checkpoint")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--limit", type=int, help="use only N images")
    p.add_argument("--steps-per-epoch", type=int, help="cap the steps of each epoch")
    p.add_argument("--checkpoint-every", type=int, default=0, help="also checkpoint every N steps")
    p.add_argument("--latent-dim", type=int, default=100)
    p.add_argument("--image-size", type=_image_size, default=(28, 28), help="HxW, divisible by 4")
    p.add_argument("--channels", type=int, default=1)
    p.add_argument("--output-activation", choices=("tanh", "relu"), default="tanh",
                   help="tanh (default, matches data in [-1, 1]) or the article's literal relu")
    p.set_defaults(func=_cmd_train)


def _cmd_train(a) -> int:
    from edgegan.models import ModelSpec
    from edgegan.train import TrainConfig, train

    spec = ModelSpec(a.latent_dim, a.image_size[0], a.image_size[1], a.channels, a.output_activation)
    for name in ("epochs", "batch_size"):
        if getattr(a, name) < 1:
            raise ConfigError(f"--{name.replace('_', '-')} must be at least 1, got {getattr(a, name)}")
    cfg = TrainConfig(
        data=a.data, out=a.out, epochs=a.epochs, batch_size=a.batch_size, lr=a.lr, beta_1=a.beta_1,
        seed=a.seed, limit=a.limit, steps_per_epoch=a.steps_per_epoch,
        checkpoint_every=a.checkpoint_every, spec=spec,
    )
    bar = _Progress()
    record = train(cfg, resume=a.resume, on_step=bar.step, on_epoch=bar.epoch)
    print(f"trained {record['epochs_done']} epochs ({record['steps']} steps) -> {a.out}")
    return 0


class _Progress:
    """A one-line progress bar per epoch on stderr: step, d_loss, g_loss, D accuracy."""

    def __init__(self) -> None:
        self.epoch_no = 0

    def step(self, k: int, total: int, m: dict) -> None:
        if k % 10 and k != total:
            return
        n = int(30 * k / total)
        sys.stderr.write(
            f"\repoch {self.epoch_no + 1} [{'=' * n}{'.' * (30 - n)}] {k}/{total} "
            f"d_loss {m['d_loss']:.4f} g_loss {m['g_loss']:.4f} D acc {m['d_acc']:.3f}"
        )
        sys.stderr.flush()

    def epoch(self, r) -> None:
        self.epoch_no = r.epoch
        sys.stderr.write(
            f"\repoch {r.epoch} done: step {r.step} d_loss {r.d_loss:.4f} g_loss {r.g_loss:.4f} "
            f"D acc {r.d_acc:.3f} ({r.seconds:.1f}s)\n"
        )


# ---------------------------------------------------------------- main
def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="edgegan",
        description="Take the seed article's DCGAN from Keras to a device: train, export, generate, verify, bench.",
    )
    p.add_argument("--version", action="version", version=f"edgegan {__version__}")
    p.add_argument("--debug", action="store_true", help="show tracebacks and debug logs")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    for add in _SUBCOMMANDS:
        add(sub)
    return p


_SUBCOMMANDS = [_add_train]


def main(argv: list[str] | None = None) -> int:
    import logging

    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.debug else logging.WARNING, format="edgegan: %(levelname)s: %(message)s")
    if not args.command:
        parser.print_help()
        return 2
    try:
        return args.func(args)
    except EdgeGanError as e:
        if args.debug:
            raise
        print(f"edgegan: error: {e}", file=sys.stderr)
        return e.exit_code
    except KeyboardInterrupt:
        print("edgegan: interrupted", file=sys.stderr)
        return 130
    except Exception as e:
        if args.debug:
            raise
        msg = str(e).strip().splitlines()[0] if str(e).strip() else ""
        print(f"edgegan: error: {type(e).__name__}: {msg} (rerun with --debug for the traceback)", file=sys.stderr)
        return 1
