"""Loading YAML files into validated models, with errors that name the file, line and field."""

from __future__ import annotations

from pathlib import Path
from typing import TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from harness.errors import InputError

M = TypeVar("M", bound=BaseModel)


class FieldError(ValueError):
    """A validator's error about a field below the one it validates (`loc` is appended to
    pydantic's location), so the message names that field and its line."""

    def __init__(self, loc: tuple[str | int, ...], message: str) -> None:
        super().__init__(message)
        self.loc = loc


def _line_of(node: yaml.Node | None, path: tuple) -> int | None:
    """The 1-based line of the YAML node at `path` (or of its nearest existing parent); for a
    mapping entry, the line of its key (a block-style value starts on the line after it)."""
    line = node.start_mark.line + 1 if node is not None else None
    for key in path:
        if isinstance(node, yaml.MappingNode):
            pair = next(((k, v) for k, v in node.value if k.value == str(key)), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
            pair = (node.value[key], node.value[key])
        else:
            pair = None
        if pair is None:
            break
        node, line = pair[1], pair[0].start_mark.line + 1
    return line


def load_yaml(path: Path) -> tuple[object, yaml.Node | None]:
    """Parse a YAML file; raise InputError with file and line when it is not valid YAML."""
    if path.is_dir():
        raise InputError(f"{path}: is a directory, not a YAML file")
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    try:
        text = path.read_text()
    except OSError as error:
        raise InputError(f"{path}: cannot be read: {error.strerror}") from None
    except UnicodeDecodeError as error:
        raise InputError(f"{path}: not a text file (byte {error.start} is not UTF-8)") from None
    try:
        return yaml.safe_load(text), yaml.compose(text)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        raise InputError(f"{where}: malformed YAML: {error.problem}") from None
    except yaml.YAMLError as error:
        raise InputError(f"{path}: malformed YAML: {error}") from None


def _message(error: dict) -> str:
    """Pydantic's message for one error, in the words of a YAML file's reader."""
    if error["type"] == "extra_forbidden":
        return "unknown field"
    message = error["msg"].removeprefix("Value error, ")
    if error["type"] not in ("value_error", "missing") and isinstance(error["input"], (str, int, float, bool)):
        message += f" (got {error['input']!r})"
    return message


def load_model(path: Path, model: type[M]) -> M:
    """Load and validate a YAML file as `model`; errors name file:line and the field path.
    Validators find the file in their context (`info.context["file"]`) to resolve relative paths."""
    data, node = load_yaml(path)
    if data is None:
        data = {}
    try:
        return model.model_validate(data, context={"file": path})
    except ValidationError as error:
        first = error.errors()[0]
        cause = (first.get("ctx") or {}).get("error")
        loc = tuple(first["loc"]) + (cause.loc if isinstance(cause, FieldError) else ())
        field = ".".join(str(part) for part in loc) or "(top level)"
        line = _line_of(node, loc)
        where = f"{path}:{line}" if line else str(path)
        message = _message(first)
        more = len(error.errors()) - 1
        suffix = f" (and {more} more problem{'s' if more > 1 else ''})" if more else ""
        raise InputError(f"{where}: {field}: {message}{suffix}") from None
