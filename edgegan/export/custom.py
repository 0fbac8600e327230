"""User code, only where the user names it: ``--custom-objects FILE.py`` (or an importable module) is imported
before the Keras models are loaded, at export and ``verify --against-keras`` only (export tier). Its classes
register themselves (``keras.saving.register_keras_serializable``, as keras.io's examples do), and every Keras
Layer subclass it defines is also offered to the loader by name. Bundles never carry code: exported files are
plain operators, and the light runtime never imports user modules."""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import json
import sys
import zipfile
from pathlib import Path

from edgegan.errors import ConfigError, ModelFileError

_loaded: dict[str, object] = {}


def import_custom_objects(names) -> dict:
    """Import each .py file or module name; return {class name: class} of the Keras objects they define."""
    import keras

    found: dict = {}
    for name in names or ():
        if name not in _loaded:
            _loaded[name] = _import(name)
        for attr, obj in vars(_loaded[name]).items():
            if (
                inspect.isclass(obj)
                and issubclass(obj, keras.layers.Layer)
                and obj.__module__ == _loaded[name].__name__
            ):
                found[attr] = obj
    return found


def _import(name: str):
    path = Path(name)
    if path.suffix == ".py":
        if not path.is_file():
            raise ConfigError(f"--custom-objects {name}: no such file")
        mod_name = f"edgegan_custom_{abs(hash(str(path.resolve())))}"
        spec = importlib.util.spec_from_file_location(mod_name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[mod_name] = module
        try:
            spec.loader.exec_module(module)
        except Exception as e:
            del sys.modules[mod_name]
            raise ConfigError(f"--custom-objects {name}: importing it failed ({type(e).__name__}: {e})") from e
        return module
    try:
        return importlib.import_module(name)
    except ImportError as e:
        raise ConfigError(f"--custom-objects {name}: not a .py file or an importable module ({e})") from e


def custom_classes(path: Path) -> list[str]:
    """The classes a .keras file's config names that are not Keras' own (registered or module outside keras)."""
    try:
        with zipfile.ZipFile(path) as z:
            config = json.loads(z.read("config.json"))
    except (OSError, KeyError, ValueError, zipfile.BadZipFile):
        return []
    out: list[str] = []

    def walk(node) -> None:
        if isinstance(node, dict):
            module = node.get("module")
            if "class_name" in node and isinstance(module, str) and not module.startswith("keras"):
                name = node.get("registered_name") or node["class_name"]
                if isinstance(name, str) and name not in out:
                    out.append(name)
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(config)
    return out


def missing_class_error(path: Path, role: str, names, e: Exception) -> ModelFileError | None:
    """The one-line refusal for a model whose custom classes were not given, or None when that is not the cause."""
    import keras

    classes = custom_classes(path)
    given = import_custom_objects(names)
    missing = [c for c in classes if keras.saving.get_registered_object(c) is None and c.split(">")[-1] not in given]
    if not missing:
        return None
    what = ", ".join(c.split(">")[-1] for c in missing)
    return ModelFileError(
        f"{path}: the {role} uses custom layer{'s' if len(missing) > 1 else ''} {what}, which edgegan does not have; "
        "pass the file that defines it: --custom-objects FILE.py (or a module name)"
    )
