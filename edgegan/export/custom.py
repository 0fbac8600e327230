"""User code, only where the user names it: ``--custom-objects FILE.py`` (or an importable module) is imported
before the Keras models are loaded, at export and ``verify --against-keras`` only (export tier). Its classes
register themselves (``keras.saving.register_keras_serializable``, as keras.io's examples do), and every Keras
Layer subclass and function it defines is also offered to the loader by name (a ``Lambda`` layer around a named
function loads that way; one around a Python lambda, code stored in the model file, is refused). Bundles never carry code: exported files are
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
    """Import each .py file or module name; return {name: object} of what they define themselves: Keras Layer
    subclasses, and functions (a ``Lambda`` layer saves its named function by name only, keras.io's EDSR a pixel
    shuffle that way)."""
    import keras

    found: dict = {}
    for name in names or ():
        if name not in _loaded:
            _loaded[name] = _import(name)
        module = _loaded[name]
        for attr, obj in vars(module).items():
            own = getattr(obj, "__module__", None) == module.__name__
            if own and (inspect.isfunction(obj) or inspect.isclass(obj) and issubclass(obj, keras.layers.Layer)):
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


def _config_objects(path: Path):
    """Every dict in a .keras file's config.json, depth first (none when the file cannot be read as one)."""
    try:
        with zipfile.ZipFile(path) as z:
            config = json.loads(z.read("config.json"))
    except (OSError, KeyError, ValueError, zipfile.BadZipFile):
        return
    todo = [config]
    while todo:
        node = todo.pop()
        if isinstance(node, dict):
            yield node
            todo.extend(reversed(list(node.values())))
        elif isinstance(node, list):
            todo.extend(reversed(node))


def custom_classes(path: Path) -> list[tuple[str, str]]:
    """The user's classes and functions a .keras file's config names: [(what, name as saved)], what = "layer"
    (any class: a layer, a model, a regularizer) or "function". Every form Keras saves counts: a class registered
    with ``register_keras_serializable`` ("Custom>ReflectionPadding2D", or "package>Name"), one defined in a
    notebook or script (its module saved as null) or in a module outside Keras, and a registered function
    (saved as class "function" of module "builtins", its registered name as the config)."""
    out: list[tuple[str, str]] = []
    for node in _config_objects(path):
        found = _user_object(node)
        if found is not None and found not in out:
            out.append(found)
    return out


def _user_object(node: dict) -> tuple[str, str] | None:
    """("layer" | "function", name as saved) when ``node`` is a serialized object of the user's, else None."""
    if "class_name" not in node or "registered_name" not in node:  # not a serialized object (tensors, tuples)
        return None
    module, name = node.get("module"), node.get("registered_name") or node["class_name"]
    if module == "builtins" and node["class_name"] == "function":
        config = node.get("config")
        return ("function", config) if isinstance(config, str) and not config.startswith("keras") else None
    if isinstance(module, str) and (module == "keras" or module.startswith(("keras.", "builtins"))):
        return None
    return ("layer", name) if isinstance(name, str) else None


def python_lambdas(path: Path) -> list[str]:
    """The names of a .keras file's Lambda layers whose function is a Python lambda (saved as bytecode)."""
    out = []
    for node in _config_objects(path):
        config = node.get("config") if node.get("class_name") == "Lambda" else None
        fn = config.get("function") if isinstance(config, dict) else None
        if isinstance(fn, dict) and fn.get("class_name") == "__lambda__":
            out.append(str(config.get("name", "?")))
    return out


def missing_class_error(path: Path, role: str, names, e: Exception) -> ModelFileError | None:
    """The one-line refusal for a model whose custom classes or functions were not given (each named as the
    file names it, with the flag that brings it), or None when that is not the cause."""
    import keras

    given = import_custom_objects(names)
    missing = [
        (what, saved)
        for what, saved in custom_classes(path)
        if keras.saving.get_registered_object(saved) is None and saved.split(">")[-1] not in given
    ]
    if not missing:
        return None
    what = "; ".join(
        f"custom {kind} {saved.split('>')[-1]}" + (f" (registered as {saved})" if ">" in saved else "")
        for kind, saved in missing
    )
    where = (
        f"{', '.join(names)} does not define it; pass the file or module that does"
        if names
        else "pass the Python file or module that defines it"
    )
    return ModelFileError(f"{path}: the {role} uses {what}, which is the user's own code; {where}: "
                          "--custom-objects FILE.py (or a module name)")  # fmt: skip
