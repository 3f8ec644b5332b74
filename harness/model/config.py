"""Loading YAML files into validated models, with errors that name the file, line and field."""

from __future__ import annotations

import errno
import os
import stat
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


MAX_BYTES = 1024 * 1024  # a scenario or component.yaml is a few hundred bytes
MAX_DEPTH = 32  # a scenario nests four levels; deeper input only exhausts the parser's stack
_KINDS = {stat.S_IFIFO: "a FIFO", stat.S_IFCHR: "a character device", stat.S_IFBLK: "a block device",
          stat.S_IFSOCK: "a socket", stat.S_IFLNK: "a symlink"}


def read_text_file(path: Path) -> str:
    """The text of a regular file of at most MAX_BYTES; InputError naming the file otherwise.
    Never blocks: a FIFO or a device is refused before it is read (and opened non-blocking)."""
    try:
        info = path.stat()
        if stat.S_ISDIR(info.st_mode):
            raise InputError(f"{path}: is a directory, not a YAML file")
        if not stat.S_ISREG(info.st_mode):
            raise InputError(f"{path}: not a regular file ({_KINDS.get(stat.S_IFMT(info.st_mode), 'a special file')}): "
                             "give a YAML file")
        if info.st_size > MAX_BYTES:
            raise InputError(f"{path}: too large: {info.st_size} bytes (a YAML file here has at most "
                             f"{MAX_BYTES // 1024 // 1024} MiB)")
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY)
        with os.fdopen(fd, "rb") as file:
            if not stat.S_ISREG(os.fstat(file.fileno()).st_mode):  # replaced since the stat
                raise InputError(f"{path}: not a regular file: give a YAML file")
            data = file.read(MAX_BYTES + 1)
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except OSError as error:
        if error.errno == errno.ELOOP:
            raise InputError(f"{path}: a symlink loop (too many levels of symbolic links)") from None
        raise InputError(f"{path}: cannot be read: {error.strerror}") from None
    if len(data) > MAX_BYTES:
        raise InputError(f"{path}: too large (a YAML file here has at most {MAX_BYTES // 1024 // 1024} MiB)")
    try:
        return data.decode()
    except UnicodeDecodeError as error:
        raise InputError(f"{path}: not a text file (byte {error.start} is not UTF-8)") from None


class _Loader(yaml.SafeLoader):
    """PyYAML's safe loader, with a number too long for int() as a YAML error at its line."""

    def construct_yaml_int(self, node: yaml.ScalarNode) -> int:
        try:
            return super().construct_yaml_int(node)
        except ValueError:  # Python refuses int() of more than 4300 digits
            raise yaml.constructor.ConstructorError(
                None, None, f"a number of {len(node.value)} characters is too long "
                "(write a version in quotes)", node.start_mark) from None


_Loader.add_constructor("tag:yaml.org,2002:int", _Loader.construct_yaml_int)


def _check_depth(path: Path, text: str) -> None:
    """Refuse nesting deeper than MAX_DEPTH before the (recursive) composer sees it: the
    scanner is iterative, so thousands of '[' cost nothing here."""
    depth = 0
    for token in yaml.scan(text, Loader=_Loader):
        if isinstance(token, (yaml.BlockMappingStartToken, yaml.BlockSequenceStartToken,
                              yaml.FlowMappingStartToken, yaml.FlowSequenceStartToken)):
            depth += 1
            if depth > MAX_DEPTH:
                raise InputError(f"{path}:{token.start_mark.line + 1}: YAML nested more than "
                                 f"{MAX_DEPTH} levels deep")
        elif isinstance(token, (yaml.BlockEndToken, yaml.FlowMappingEndToken,
                                yaml.FlowSequenceEndToken)):
            depth -= 1


def _check_duplicate_keys(path: Path, node: yaml.Node | None, seen: set[int] | None = None) -> None:
    """PyYAML keeps the last of two equal keys silently: name the second one and its line.
    Each node is visited once (an alias repeats a node; it may even contain itself)."""
    seen = set() if seen is None else seen
    if id(node) in seen:
        return
    seen.add(id(node))
    if isinstance(node, yaml.MappingNode):
        first: dict[str, int] = {}
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode) and key.tag != "tag:yaml.org,2002:merge":
                line = key.start_mark.line + 1
                if key.value in first:
                    raise InputError(f"{path}:{line}: duplicate key '{key.value}' "
                                     f"(first on line {first[key.value]})")
                first[key.value] = line
            _check_duplicate_keys(path, value, seen)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            _check_duplicate_keys(path, item, seen)


def load_yaml(path: Path) -> tuple[object, yaml.Node | None]:
    """Parse a YAML file; raise InputError with file and line when it is not valid YAML."""
    text = read_text_file(path)
    try:
        _check_depth(path, text)
        node = yaml.compose(text, Loader=_Loader)
        _check_duplicate_keys(path, node)
        loader = _Loader(text)
        try:
            data = loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
        return data, node
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
