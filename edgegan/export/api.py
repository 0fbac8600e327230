"""``edgegan.export``: the export stage as one function, for a notebook and for the CLI (export tier).

    import edgegan
    b = edgegan.export(G, D, out="exports/my-gan", score="critic", precisions="fp32,int8")
    b.verify()                    # every file against the references, as `edgegan verify`
    g = b.load()                  # the light runtime's Generator

G and D are in-memory Keras models or paths to .keras files. Options are the CLI flags' names with dashes as
underscores (``output_range="0,1"`` or ``(0, 1)``, ``skip="discriminator"``, ``no_optimize=True``); the checks
are the same: the contract is read from the models, every file meets its parity bound or is not written, and
the bundle replaces ``out`` atomically; native log lines and the libraries' noise warnings are kept off stderr as
the CLI keeps them (EDGEGAN_DEBUG=1 shows them). In-memory models are saved as .keras into a temporary folder first
(edgegan exports files; Keras' save and load are exact), under the custom-object classes they use.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from edgegan.errors import ConfigError, UsageError
from edgegan.export import flags


@dataclass(frozen=True)
class Bundle:
    """An exported bundle: its folder and manifest dict."""

    path: Path
    manifest: dict

    def verify(self, threads: int | None = None) -> bool:
        """True when every file passes its parity bound against the bundle's references (prints the table)."""
        from edgegan.verify import format_table, verify

        rows, summary = verify(self.path, threads=threads)
        print(format_table(rows))
        return summary["failed"] == 0

    def load(self, **kwargs):
        """The bundle through the light runtime (edgegan.load's arguments)."""
        from edgegan.runtime import load

        return load(self.path, **kwargs)


def export(
    generator,
    discriminator=None,
    out: str | Path | None = None,
    formats: str = "all",
    precisions: str = "all",
    log=print,
    **options,
) -> Bundle:
    """Export G (and D) to ONNX/LiteRT/ORT files in a verified bundle at ``out`` (default exports/NAME); formats
    "web" writes the browser page instead. ``options``: the CLI's export flags (edgegan.export.flags.FLAGS)."""
    from edgegan.export.bundle import find_sources
    from edgegan.export.formats import select
    from edgegan.quiet import quiet_export

    formats, precisions = _comma_list(formats, "formats"), _comma_list(precisions, "precisions")
    web = formats == "web"
    variants = select("onnx", "fp32") if web else select(formats, precisions)  # validated before TensorFlow loads
    opts = flags.options(options, precision_requested=precisions != "all")
    with quiet_export(), tempfile.TemporaryDirectory(prefix="edgegan-models-") as tmp, _scope(generator, discriminator):
        g = _as_file(generator, Path(tmp) / "generator.keras", "generator")
        d = _as_file(discriminator, Path(tmp) / "discriminator.keras", "discriminator")
        sources = find_sources(g) if d is None else find_sources(None, g, d)
        name = getattr(generator, "name", None) if not isinstance(generator, (str, Path)) else None
        name = name or (sources.folder.resolve().name if sources.folder else sources.generator.stem)
        out = Path(out) if out else Path("exports") / (name + ("-web" if web else ""))
        return _write(sources, out, variants, opts, web, log)


def _comma_list(value, what: str) -> str:
    """``formats``/``precisions`` as the CLI spells them: "onnx,tflite" as it is, ["onnx", "tflite"] joined."""
    if isinstance(value, str):
        return value
    if isinstance(value, (list, tuple, set, frozenset)) and value and all(isinstance(v, str) for v in value):
        return ",".join(value)
    raise UsageError(f"{what} must be a comma string or a list of names like ['onnx', 'tflite'], got {value!r}")


def _write(sources, out: Path, variants, opts, web: bool, log) -> Bundle:
    from edgegan.export.bundle import export_bundle

    if web:
        from edgegan.export.web import write_web

        with tempfile.TemporaryDirectory() as tmp:
            m = export_bundle(sources, Path(tmp) / "bundle", variants, opts, log=log)
            write_web(Path(tmp) / "bundle", out)
        log(f"wrote {out}: serve it with `python -m http.server -d {out}` and open http://127.0.0.1:8000")
        return Bundle(out, m)
    alone = sources.discriminator is None or "discriminator" in (opts.skip or ())
    roles = "generator" if alone else "generator and discriminator"
    log(f"exporting {sources.folder or sources.generator} -> {out} ({len(variants)} variants of the {roles})")
    m = export_bundle(sources, out, variants, opts, log=log)
    log(summary_table(m))
    missed = [k for k, why in m.get("skipped_reasons", {}).items() if why.startswith("parity")]
    left = f"; left out for missing their bound: {', '.join(missed)}" if missed else ""
    log(f"wrote {len(m['files'])} files + manifest.json to {out}; every file written passed its parity bound{left}")
    return Bundle(out, m)


def summary_table(m: dict) -> str:
    """Markdown table of a manifest's files: size and parity against Keras."""
    from edgegan import parity

    rows = [
        "| file | format | precision | size MB | parity vs Keras | bound |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for f in m["files"]:
        figure, bound = parity.headline(f["role"], f["tolerance"], f["parity"])
        rows.append(f"| {f['path']} | {f['format']} | {f['precision']} | {f['bytes'] / 1e6:.2f} | {figure} | {bound} |")
    return "\n".join(rows)


def _as_file(model, path: Path, role: str) -> str | None:
    """A path as given, or an in-memory Keras model saved to ``path``."""
    if model is None or isinstance(model, (str, Path)):
        return None if model is None else str(model)
    if not hasattr(model, "save") or not hasattr(model, "inputs"):
        raise ConfigError(f"{role}: expected a Keras model or a path to a .keras file, got {type(model).__name__}")
    try:
        model.save(path)
    except Exception as e:  # noqa: BLE001 (Keras raises many kinds)
        raise ConfigError(f"{role}: Keras cannot save it as .keras ({type(e).__name__}: {str(e)[:200]})") from None
    return str(path)


def _scope(*models):
    """A Keras custom-object scope holding the classes the in-memory models use beyond Keras' own, so that their
    saved copies load (a notebook's layer classes live in __main__, which no file names)."""
    import contextlib

    found = {}
    for m in models:
        if m is None or isinstance(m, (str, Path)):
            continue
        stack = [m]
        while stack:
            layer = stack.pop()
            cls = type(layer)
            if not cls.__module__.startswith("keras"):
                import keras

                found[keras.saving.get_registered_name(cls)] = cls
                found[cls.__name__] = cls
            stack.extend(getattr(layer, "layers", []))
    if not found:
        return contextlib.nullcontext()
    import keras

    return keras.saving.custom_object_scope(found)
