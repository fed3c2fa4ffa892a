"""Reading YAML that anyone may have written: bounded, no duplicate keys, no alias bombs.

PyYAML's ``safe_load`` builds a shared object for every alias, so a chain of
aliases ("billion laughs") loads in milliseconds and then explodes in whatever
walks the result (validation, a filter, a table). It also keeps the last of two
equal keys without a word. :func:`load_yaml` refuses both before anything is
built: the file size is checked before reading, the parsed node graph is measured
as it would be once every alias is expanded, and equal keys of one mapping are
refused naming the key and both lines.

Messages are in Bahasa Indonesia and English (see :func:`bilingual`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from geozones.core.errors import InputError

_BaseLoader: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_MERGE_TAG = "tag:yaml.org,2002:merge"


def bilingual(id_text: str, en_text: str) -> str:
    """One message in both languages, Bahasa Indonesia first: ``"<id> / <en>"``.

    The single place that joins the two languages of a validation message, so it can
    switch to a :class:`~geozones.core.errors.Problem` that carries both once that exists.
    """
    return f"{id_text} / {en_text}"


@dataclass(frozen=True)
class YamlLimits:
    """Bounds on one YAML document.

    Attributes
    ----------
    max_bytes : int
        Size of the file in bytes.
    max_nodes : int
        Nodes (scalars, lists, mappings) once every alias is expanded.
    max_depth : int
        Nesting depth of lists and mappings.
    """

    max_bytes: int = 10_000_000
    max_nodes: int = 1_000_000
    max_depth: int = 64


class _DuplicateKey(yaml.YAMLError):
    def __init__(self, key: Any, line: int, first: int) -> None:
        super().__init__(f"duplicate key {key!r}")
        self.key, self.line, self.first = key, line, first


class _Loader(_BaseLoader):  # type: ignore[misc, valid-type]
    """Safe loader that refuses two equal keys in one mapping (merge keys ``<<`` excepted)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            if key_node.tag == _MERGE_TAG:
                continue
            key = self.construct_object(key_node, deep=True)
            try:
                hash(key)
            except TypeError:  # unhashable key: the base class reports it
                continue
            line = key_node.start_mark.line + 1
            if key in seen:
                raise _DuplicateKey(key, line, seen[key])
            seen[key] = line
        return super().construct_mapping(node, deep=deep)


def _measure(root: yaml.Node, limits: YamlLimits, source: str) -> None:
    """Refuse a node graph whose alias-expanded size or depth exceeds ``limits``.

    Sizes are memoised per node, so a chain of aliases is measured in time linear
    in the number of distinct nodes, however large it would grow.
    """
    size: dict[int, int] = {}
    depth: dict[int, int] = {}
    active: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        if done:
            active.discard(key)
            kids = _children(node)
            size[key] = 1 + sum(size[id(k)] for k in kids)
            depth[key] = 1 + max((depth[id(k)] for k in kids), default=0)
            continue
        if key in size:
            continue
        if key in active:
            raise InputError(bilingual(f"alias YAML berulang ke dirinya sendiri (baris {node.start_mark.line + 1})",
                                       f"recursive YAML alias (line {node.start_mark.line + 1})"), source=source)
        active.add(key)
        stack.append((node, True))
        stack.extend((k, False) for k in _children(node) if id(k) not in size)
    total, deepest = size[id(root)], depth[id(root)]
    if total > limits.max_nodes:
        found = f"{total:,}"
        raise InputError(bilingual(
            f"YAML terlalu besar setelah alias (&/*) dijabarkan: {found} simpul, batas max_nodes={limits.max_nodes:,}",
            f"YAML too large once its aliases (&/*) are expanded: {found} nodes, "
            f"limit max_nodes={limits.max_nodes:,}"), source=source)
    if deepest > limits.max_depth:
        raise InputError(bilingual(
            f"YAML bersarang terlalu dalam: {deepest} tingkat, batas max_depth={limits.max_depth}",
            f"YAML nested too deeply: {deepest} levels, limit max_depth={limits.max_depth}"), source=source)


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    return []


def parse_yaml(text: str, *, source: str, limits: YamlLimits | None = None) -> Any:
    """Parse one YAML document within ``limits``.

    Raises
    ------
    InputError
        Text too long, not YAML (naming the line), a duplicate key (naming it and
        both lines), recursive aliases, or too many nodes or levels once expanded.
    """
    limits = limits or YamlLimits()
    if len(text) > limits.max_bytes:
        raise InputError(bilingual(f"teks terlalu besar: {len(text):,} karakter, batas max_bytes={limits.max_bytes:,}",
                                   f"text too large: {len(text):,} characters, limit max_bytes={limits.max_bytes:,}"),
                         source=source)
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _measure(node, limits, source)
        return loader.construct_document(node)
    except _DuplicateKey as exc:
        raise InputError(bilingual(
            f"kunci '{exc.key}' muncul dua kali (baris {exc.first} dan {exc.line}); hapus salah satunya",
            f"key '{exc.key}' appears twice (lines {exc.first} and {exc.line}); remove one"),
            source=source, row=f"line {exc.line}", field=str(exc.key)) from None
    except RecursionError:
        raise InputError(bilingual("YAML bersarang terlalu dalam", "YAML nested too deeply"),
                         source=source) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else None
        problem = getattr(exc, "problem", None) or str(exc)
        raise InputError(bilingual(f"bukan YAML yang sah: {problem}", f"not valid YAML: {problem}"),
                         source=source, row=where) from None
    finally:
        loader.dispose()


def load_yaml(path: str | os.PathLike, *, limits: YamlLimits | None = None, source: str | None = None) -> Any:
    """Read and parse a YAML file within ``limits`` (size checked before reading).

    Raises
    ------
    InputError
        File missing or too large, not UTF-8, or as :func:`parse_yaml`.
    """
    limits = limits or YamlLimits()
    path = Path(path)
    source = source or str(path)
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise InputError(bilingual("berkas tidak ditemukan", "file not found"), source=source) from None
    if size > limits.max_bytes:
        raise InputError(bilingual(f"berkas terlalu besar: {size:,} bita, batas max_bytes={limits.max_bytes:,}",
                                   f"file too large: {size:,} bytes, limit max_bytes={limits.max_bytes:,}"),
                         source=source)
    with path.open("rb") as fh:
        raw = fh.read(limits.max_bytes + 1)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError(bilingual("bukan teks UTF-8", "not UTF-8 text"), source=source) from None
    return parse_yaml(text, source=source, limits=limits)
