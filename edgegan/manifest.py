"""The bundle manifest: load, validate, hash, write (stdlib + numpy; light tier).

A bundle is a folder with ``manifest.json``, ``reference.npz`` and the exported files. Trust
comes from the manifest's hashes: every file is read once, its sha256 checked, and only those
bytes are handed to an engine (docs/reliability.md items 1-4).
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from edgegan.contract import SCORES, Contract
from edgegan.errors import ManifestError, ModelFileError
from edgegan.roles import ROLES  # generator, discriminator and the optional encoder and features

SCHEMA_VERSION = 1
MANIFEST = "manifest.json"
REFERENCE = "reference.npz"
MAX_MANIFEST_BYTES = 4 << 20
MAX_MODEL_BYTES = 512 << 20  # far above any file of this model; refuses absurd inputs early


@dataclass(frozen=True)
class FileEntry:
    """One exported file as the manifest describes it."""

    path: str
    role: str
    format: str
    precision: str
    sha256: str
    bytes: int
    inputs: list[dict]
    outputs: list[dict]
    batch: int | None = None
    optimized: bool = False
    optimize_form: str | None = None  # phase-decomposition form (edgegan.export.optimize), when optimized
    rewrites: list = field(default_factory=list)  # names of the blocks rewritten as phase convolutions
    carried: list = field(default_factory=list)  # convolutions run on a block's phases (edgegan.export.carry)
    tolerance: dict = field(default_factory=dict)
    parity: dict = field(default_factory=dict)
    checks: dict = field(default_factory=dict)
    gpu: dict = field(default_factory=dict)  # LiteRT files: what LiteRT's GPU accelerator measured (edgegan.export.gpu)

    @property
    def variant(self) -> str:
        return f"{self.role}/{self.format}/{self.precision}"


@dataclass
class Manifest:
    root: Path
    data: dict
    files: list[FileEntry]

    @property
    def latent_size(self) -> int:
        """The generator's latent size; 0 for an image-input generator."""
        return int((self.data.get("latent") or {}).get("size", 0))

    @property
    def image_shape(self) -> tuple:
        """The generator's output (H, W, C); H and W None for a generator that takes any picture size."""
        return tuple(None if v is None else int(v) for v in self.data["image"]["shape"])

    @property
    def classes(self) -> int:
        """A conditional model's class count (its label takes 0 .. classes - 1); 0 for an unconditional one."""
        return int((self.data.get("label") or {}).get("classes", 0))

    @property
    def contract(self) -> Contract:
        """What the model's numbers mean (edgegan.contract): pixel range, D's input range and score kind."""
        return Contract.from_manifest(self.data, bool(self.find("discriminator")))

    def find(self, role: str, format: str | None = None, precision: str | None = None) -> list[FileEntry]:
        return [
            f
            for f in self.files
            if f.role == role
            and (format is None or f.format == format)
            and (precision is None or f.precision == precision)
        ]


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: str | Path) -> str:
    return sha256_bytes(Path(path).read_bytes())


def package_versions(names: tuple[str, ...]) -> dict[str, str]:
    """Installed versions of the named distributions (those not installed are left out)."""
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for name in names:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            pass
    return out


def safe_path(root: Path, rel: Any, what: str = "path") -> Path:
    """Resolve a manifest path inside ``root``; refuse absolute paths, '..' and escaping symlinks."""
    if not isinstance(rel, str) or not rel or "\x00" in rel or "\\" in rel:
        raise ManifestError(f"{root / MANIFEST}: {what} {rel!r} is not a relative file name")
    p = PurePosixPath(rel)
    if p.is_absolute() or ".." in p.parts:
        raise ManifestError(f"{root / MANIFEST}: {what} {rel!r} leaves the bundle (absolute or '..'); refusing it")
    full = root / p
    try:
        real, real_root = full.resolve(), root.resolve()
    except OSError as e:
        raise ManifestError(f"{root / MANIFEST}: {what} {rel!r} cannot be resolved ({e})") from e
    if real_root not in real.parents:
        raise ManifestError(f"{root / MANIFEST}: {what} {rel!r} is a link that leaves the bundle; refusing it")
    return full


def read_checked(root: Path, entry: FileEntry) -> bytes:
    """Read a file once and check its size and sha256 against the manifest (docs/reliability.md item 1)."""
    path = safe_path(root, entry.path)
    if not path.is_file():
        raise ModelFileError(f"{path}: listed in the manifest but missing; re-export the bundle or restore the file")
    size = path.stat().st_size
    if size != entry.bytes:
        raise ModelFileError(
            f"{path}: size {size} bytes differs from the manifest's {entry.bytes}; the file is truncated or replaced"
        )
    data = path.read_bytes()
    if sha256_bytes(data) != entry.sha256:
        raise ModelFileError(
            f"{path}: sha256 differs from the manifest; the file is corrupt or was swapped, refusing to load it"
        )
    return data


def _req(d: Any, key: str, kind: type | tuple, where: str, path: Path) -> Any:
    if not isinstance(d, dict) or key not in d:
        raise ManifestError(f"{path}: missing field {where}{key}")
    v = d[key]
    if not isinstance(v, kind) or (isinstance(v, bool) and kind in (int, (int, float))):
        raise ManifestError(f"{path}: field {where}{key} has the wrong type ({type(v).__name__})")
    return v


def parse(data: Any, root: Path) -> Manifest:
    """Validate a decoded manifest; raise ManifestError on the first problem."""
    path = root / MANIFEST
    if not isinstance(data, dict):
        raise ManifestError(f"{path}: the manifest must be a JSON object")
    version = _req(data, "schema_version", int, "", path)
    if version != SCHEMA_VERSION:
        raise ManifestError(
            f"{path}: unknown schema_version {version}; this edgegan reads {SCHEMA_VERSION} (upgrade edgegan or re-export)"
        )
    source = _input_section(data, path)
    if source is None:
        latent = _req(data, "latent", dict, "", path)
        size = _req(latent, "size", int, "latent.", path)
        if not 1 <= size <= 100_000:
            raise ManifestError(f"{path}: latent size {size} is out of range")
    image = _req(data, "image", dict, "", path)
    shape = _req(image, "shape", list, "image.", path)
    any_size = source is not None and any(v is None for v in source["shape"][:2])
    if len(shape) != 3 or not all(_side(v, any_size and i < 2) for i, v in enumerate(shape)):
        raise ManifestError(f"{path}: image shape {shape} is out of range")
    _check_range(image.get("range", [-1, 1]), "image.range", path)
    d = data.get("discriminator")
    if d is not None:
        if not isinstance(d, dict) or d.get("score") not in SCORES:
            raise ManifestError(f"{path}: discriminator.score must be one of {', '.join(SCORES)}")
        _check_range(d.get("input_range"), "discriminator.input_range", path)
        if d.get("inputs", ["image"]) not in (["image"], ["source", "image"]):
            raise ManifestError(f'{path}: discriminator.inputs must be ["image"] or ["source", "image"]')
        score_shape = d.get("score_shape", [1])
        if score_shape != [1] and not (
            isinstance(score_shape, list) and len(score_shape) == 3 and all(_side(v, False) for v in score_shape)
        ):
            raise ManifestError(f"{path}: discriminator.score_shape must be [1] or [h, w, 1], got {score_shape!r}")
    _check_signature(data, path)
    label = data.get("label")
    if label is not None:
        k = label.get("classes") if isinstance(label, dict) else None
        if not isinstance(k, int) or isinstance(k, bool) or not 2 <= k <= 100_000:
            raise ManifestError(f"{path}: label.classes must be an integer from 2 to 100000, got {k!r}")
    entries = []
    seen = set()
    for i, f in enumerate(_req(data, "files", list, "", path)):
        w = f"files[{i}]."
        role = _req(f, "role", str, w, path)
        if role not in ROLES:
            raise ManifestError(f"{path}: {w}role {role!r} is not one of {ROLES}")
        rel = _req(f, "path", str, w, path)
        safe_path(root, rel)
        if rel in seen:
            raise ManifestError(f"{path}: {w}path {rel!r} is listed twice")
        seen.add(rel)
        sha = _req(f, "sha256", str, w, path)
        if len(sha) != 64 or any(c not in "0123456789abcdef" for c in sha):
            raise ManifestError(f"{path}: {w}sha256 is not a hex sha256")
        nbytes = _req(f, "bytes", int, w, path)
        if not 0 < nbytes <= MAX_MODEL_BYTES:
            raise ManifestError(f"{path}: {w}bytes {nbytes} is out of range")
        batch = f.get("batch")
        if batch is not None and (not isinstance(batch, int) or isinstance(batch, bool) or not 1 <= batch <= 65536):
            raise ManifestError(f"{path}: {w}batch {batch!r} is not a positive integer or null")
        for key in ("tolerance", "parity", "checks", "gpu"):
            if not isinstance(f.get(key, {}), dict):
                raise ManifestError(f"{path}: {w}{key} must be an object")
        entries.append(
            FileEntry(
                path=rel,
                role=role,
                format=_req(f, "format", str, w, path),
                precision=_req(f, "precision", str, w, path),
                sha256=sha,
                bytes=nbytes,
                inputs=_req(f, "inputs", list, w, path),
                outputs=_req(f, "outputs", list, w, path),
                batch=batch,
                optimized=bool(f.get("optimized", False)),
                optimize_form=f.get("optimize_form") if isinstance(f.get("optimize_form"), str) else None,
                rewrites=[r for r in f.get("rewrites") or [] if isinstance(r, str)],
                carried=[r for r in f.get("carried") or [] if isinstance(r, str)],
                tolerance=f.get("tolerance", {}),
                parity=f.get("parity", {}),
                checks=f.get("checks", {}),
                gpu=f.get("gpu", {}),
            )
        )
    if any(e.role == "encoder" for e in entries) and "encoder" not in (data.get("signature") or {}):
        raise ManifestError(f"{path}: an encoder file needs signature.encoder (its inputs); re-export the bundle")
    if any(e.role == "features" for e in entries) and not feature_maps(
        (data.get("discriminator") or {}).get("features")
    ):
        raise ManifestError(
            f"{path}: a features file needs discriminator.features (the maps it joins: each a name and a shape); "
            "re-export the bundle"
        )
    return Manifest(root=root, data=data, files=entries)


def feature_maps(section) -> list[tuple[str, tuple[int, ...]]] | None:
    """[(name, shape)] of the maps a features file joins (a manifest's discriminator.features, or the file's own
    metadata "maps"), or None when ``section`` is not such a list."""
    try:
        maps = [(str(m["name"]), tuple(int(d) for d in m["shape"])) for m in section]
    except (TypeError, KeyError, ValueError):
        return None
    return maps if maps and all(shape and min(shape) > 0 for _, shape in maps) else None


def _side(v: Any, may_be_none: bool) -> bool:
    return (v is None and may_be_none) or (isinstance(v, int) and not isinstance(v, bool) and 1 <= v <= 65536)


def _input_section(data: dict, path: Path) -> dict | None:
    """The validated "input" section of an image-input generator, or None for a latent one."""
    source = data.get("input")
    if source is None or (isinstance(source, dict) and source.get("kind") == "latent"):
        return None
    if not isinstance(source, dict) or source.get("kind") != "image":
        raise ManifestError(f"{path}: input.kind must be 'latent' or 'image'")
    shape = source.get("shape")
    if not isinstance(shape, list) or len(shape) != 3 or not all(_side(v, i < 2) for i, v in enumerate(shape)):
        raise ManifestError(f"{path}: input.shape must be [H, W, C] (H, W may be null), got {shape!r}")
    if (shape[0] is None) != (shape[1] is None):
        raise ManifestError(f"{path}: input.shape {shape}: H and W are both fixed or both null")
    _check_range(source.get("range"), "input.range", path)
    for key in ("scale", "multiple"):
        v = source.get(key, 1)
        if not isinstance(v, int) or isinstance(v, bool) or not 1 <= v <= 4096:
            raise ManifestError(f"{path}: input.{key} must be an integer from 1 to 4096, got {v!r}")
    field = source.get("receptive_field")
    if field is not None and (not isinstance(field, int) or isinstance(field, bool) or not 0 <= field <= 65536):
        raise ManifestError(f"{path}: input.receptive_field must be null or an integer from 0 to 65536, got {field!r}")
    return source


def _check_signature(data: dict, path: Path) -> None:
    """The "signature" section (bundles exported since signatures were recorded; older ones have none): each role's inputs through the
    one codec (edgegan.signature), agreeing with the older sections that are kept beside it."""
    from edgegan.signature import Signature

    sig = data.get("signature")
    if sig is None:
        return
    if not isinstance(sig, dict) or not set(sig) <= set(ROLES):
        raise ManifestError(f"{path}: signature must be an object with generator (and encoder) entries")
    try:
        g = Signature.from_section(sig.get("generator"), "signature.generator")
    except ValueError as e:
        raise ManifestError(f"{path}: {e}") from None
    main = "image" if (data.get("input") or {}).get("kind") == "image" else "latent"
    if g[0].kind != main or len(g.of_kind("label")) != bool(data.get("label")):
        raise ManifestError(f"{path}: signature.generator disagrees with the input and label sections; re-export")
    if "encoder" in sig:  # a style picture and eps (edgegan.export.encoder)
        try:
            e = Signature.from_section(sig["encoder"], "signature.encoder")
        except ValueError as err:
            raise ManifestError(f"{path}: {err}") from None
        if [x.kind for x in e] != ["image", "latent"]:
            raise ManifestError(f"{path}: signature.encoder must be a picture and a latent (eps), got {e.names}")


def _check_range(r: Any, where: str, path: Path) -> None:
    ok = (
        isinstance(r, list)
        and len(r) == 2
        and all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in r)
        and r[0] < r[1]
    )
    if not ok:
        raise ManifestError(f"{path}: {where} must be [low, high] with low < high, got {r!r}")


def load(bundle: str | Path) -> Manifest:
    """Read and validate ``bundle/manifest.json``."""
    root = Path(bundle)
    path = root / MANIFEST
    if not root.is_dir():
        raise ManifestError(f"{root}: not a bundle folder (no such directory)")
    if not path.is_file():
        raise ManifestError(f"{path}: missing; a bundle needs its manifest (run 'edgegan export')")
    raw = path.read_bytes()[: MAX_MANIFEST_BYTES + 1]
    if len(raw) > MAX_MANIFEST_BYTES:
        raise ManifestError(f"{path}: larger than {MAX_MANIFEST_BYTES} bytes; not an edgegan manifest")
    try:
        data = json.loads(raw.decode("utf-8"), parse_constant=_no_constants)
    except (UnicodeDecodeError, json.JSONDecodeError, ValueError, RecursionError) as e:
        raise ManifestError(f"{path}: not valid JSON ({e}); restore it or re-export the bundle") from None
    return parse(data, root)


def _no_constants(name: str) -> float:
    raise ValueError(f"{name} is not allowed in a manifest")


def dumps(data: dict) -> str:
    """Serialize a manifest; floats that are not finite become null (JSON has no NaN)."""

    def clean(v):
        if isinstance(v, float) and not math.isfinite(v):
            return None
        if isinstance(v, dict):
            return {k: clean(x) for k, x in v.items()}
        if isinstance(v, (list, tuple)):
            return [clean(x) for x in v]
        return v

    return json.dumps(clean(data), indent=2, sort_keys=False) + "\n"
