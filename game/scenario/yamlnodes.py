"""YAML text -> a tree of located nodes, so every value knows its line and field path.

We compose with ``yaml.SafeLoader`` (safe tags only) instead of ``safe_load`` because error
messages must say ``FILE:LINE FIELD.PATH``.  Composition is guarded: too many nodes or too deep
nesting stops the parser early, and the walk that turns the composed graph into ``YNode``s counts
every visit, so alias bombs ("billion laughs") and recursive aliases are refused fast instead of
being expanded.
"""
from __future__ import annotations

import datetime as _dt
from typing import Any, Iterator

import yaml
from yaml.constructor import SafeConstructor
from yaml.events import MappingStartEvent, SequenceStartEvent
from yaml.composer import Composer
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.resolver import Resolver

try:
    from yaml._yaml import CParser as _CParser
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    _CParser = None

MAX_BYTES = 2 * 1024 * 1024
MAX_DEPTH = 20                 # nested collections
MAX_NODES = 200_000            # composed nodes, and nodes visited by the walk
MAX_ALIAS_NODES = 10_000       # nodes visited through aliases

STR_TAG = "tag:yaml.org,2002:str"
NULL_TAG = "tag:yaml.org,2002:null"
MERGE_TAG = "tag:yaml.org,2002:merge"
NUMBER_TAGS = ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float")
MAX_NUMBER_CHARS = 100
MAP_TAGS = ("tag:yaml.org,2002:map",)
SEQ_TAGS = ("tag:yaml.org,2002:seq",)


class Refused(Exception):
    """The document is structurally unacceptable (too big, too deep, alias bomb): stop at once."""

    def __init__(self, line: int, message: str, field: str = "(file)"):
        super().__init__(message)
        self.line = line
        self.message = message
        self.field = field


class _Invalid:
    """Marks a scalar whose construction failed (already reported), so checks stay quiet."""

    def __repr__(self) -> str:
        return "<invalid>"


INVALID: Any = _Invalid()


class Problems:
    """Collects ``FILE:LINE FIELD: message`` strings, deduplicated, capped.

    ``errors`` counts every report (duplicates too) so callers can tell "did this step fail?"
    by comparing the count before and after.
    """

    def __init__(self, path: str, limit: int = 200):
        self.path = path
        self.limit = limit
        self.errors = 0
        self._items: list[tuple[int, str]] = []
        self._seen: set[str] = set()
        self._dropped = 0

    def add(self, line: int, field: str, message: str) -> None:
        self.errors += 1
        text = f"{self.path}:{line} {field or '(file)'}: {message}"
        if text in self._seen:
            return
        if len(self._items) >= self.limit:
            self._dropped += 1
            return
        self._seen.add(text)
        self._items.append((line, text))

    def silent(self) -> None:
        """Count a failure whose message was already given (e.g. an unreadable value)."""
        self.errors += 1

    def __len__(self) -> int:
        return len(self._items)

    def __bool__(self) -> bool:
        return bool(self._items)

    def messages(self) -> list[str]:
        """Problems sorted by line (stable), plus a note if some were dropped."""
        out = [t for _, t in sorted(self._items, key=lambda it: it[0])]
        if self._dropped:
            out.append(f"{self.path}:1 (file): ... and {self._dropped} more problems")
        return out


def join_path(parent: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{parent}[{key}]"
    return f"{parent}.{key}" if parent else key


class YNode:
    """One YAML value with its line (1-based) and dotted field path.

    kind is "map" (``entries``: key -> YNode, ``key_lines``), "seq" (``items``) or "scalar"
    (``value``: the safe-constructed Python value, ``text``: the scalar's source text).
    """

    __slots__ = ("kind", "line", "path", "value", "text", "items", "entries", "key_lines", "tag")

    def __init__(self, kind: str, line: int, path: str, tag: str = ""):
        self.kind = kind
        self.line = line
        self.path = path
        self.tag = tag
        self.value: Any = None
        self.text: str = ""
        self.items: list[YNode] = []
        self.entries: dict[str, YNode] = {}
        self.key_lines: dict[str, int] = {}

    @property
    def is_map(self) -> bool:
        return self.kind == "map"

    @property
    def is_seq(self) -> bool:
        return self.kind == "seq"

    @property
    def is_scalar(self) -> bool:
        return self.kind == "scalar"

    @property
    def is_null(self) -> bool:
        return self.kind == "scalar" and self.value is None

    def get(self, key: str) -> YNode | None:
        return self.entries.get(key) if self.kind == "map" else None

    def __iter__(self) -> Iterator[YNode]:
        return iter(self.items)

    def describe(self) -> str:
        """A short human name for the value's type, for 'expected X, got Y' messages."""
        if self.kind == "map":
            return "a mapping"
        if self.kind == "seq":
            return "a list"
        v = self.value
        if v is None:
            return "nothing"
        if isinstance(v, bool):
            return f"{'true' if v else 'false'}"
        if isinstance(v, (int, float)):
            return f"the number {_short(self.text)}"
        if isinstance(v, (_dt.date, _dt.datetime)):
            return f"the date {_short(self.text)}"
        if isinstance(v, bytes):
            return "binary data"
        return f"'{_short(self.text)}'"

    def __repr__(self) -> str:
        if self.kind == "scalar":
            return f"YNode({self.path}@{self.line}={self.value!r})"
        return f"YNode({self.kind} {self.path}@{self.line})"


def _short(text: str, n: int = 40) -> str:
    text = text.replace("\n", " ")
    return text if len(text) <= n else text[: n - 3] + "..."


class _Guard:
    """Composer mixin that refuses too many nodes or too deep nesting as it goes."""

    _count = 0
    _depth = 0

    def compose_node(self, parent: Node | None, index: Any) -> Node:
        event = self.peek_event()  # type: ignore[attr-defined]
        self._count += 1
        if self._count > MAX_NODES:
            raise Refused(event.start_mark.line + 1, f"more than {MAX_NODES} YAML values; refusing")
        if isinstance(event, (MappingStartEvent, SequenceStartEvent)):
            if self._depth >= MAX_DEPTH:
                raise Refused(event.start_mark.line + 1,
                              f"nested deeper than {MAX_DEPTH} levels; refusing")
            self._depth += 1
            try:
                return Composer.compose_node(self, parent, index)  # type: ignore[arg-type]
            finally:
                self._depth -= 1
        return Composer.compose_node(self, parent, index)  # type: ignore[arg-type]


class _GuardedLoader(_Guard, yaml.SafeLoader):
    """Pure-Python SafeLoader with the guard."""


if _CParser is not None:
    class _FastGuardedLoader(_Guard, _CParser, Composer, SafeConstructor, Resolver):  # type: ignore
        """libyaml's scanner/parser (fast) under the guarded pure-Python composer; the composer
        pulls events one at a time, so refusals still happen before the rest is parsed."""

        def __init__(self, stream: str):
            _CParser.__init__(self, stream)
            Composer.__init__(self)
            SafeConstructor.__init__(self)
            Resolver.__init__(self)

        get_single_node = Composer.get_single_node
        compose_document = Composer.compose_document


def compose(text: str, fast: bool = True) -> Node | None:
    """Compose one YAML document with a guarded SafeLoader (raises yaml errors or Refused).

    Uses libyaml's parser when PyYAML has it (several times faster), else pure Python."""
    cls = _FastGuardedLoader if fast and _CParser is not None else _GuardedLoader
    loader = cls(text)
    try:
        return loader.get_single_node()
    finally:
        loader.dispose()


class _Walker:
    """Turns the composed node graph into a YNode tree, counting visits to stop alias bombs."""

    def __init__(self, problems: Problems):
        self.problems = problems
        self.visits = 0
        self.alias_visits = 0
        self.seen: set[int] = set()
        self.ancestors: set[int] = set()
        self.ctor = SafeConstructor()

    def walk(self, node: Node, path: str, depth: int, via_alias: bool) -> YNode:
        line = node.start_mark.line + 1
        self.visits += 1
        if id(node) in self.seen:
            via_alias = True
        self.seen.add(id(node))
        if via_alias:
            self.alias_visits += 1
            if self.alias_visits > MAX_ALIAS_NODES:
                raise Refused(line, f"aliases expand to more than {MAX_ALIAS_NODES} values; refusing")
        if self.visits > MAX_NODES:
            raise Refused(line, f"more than {MAX_NODES} YAML values; refusing")
        if isinstance(node, ScalarNode):
            return self._scalar(node, path, line)
        if depth >= MAX_DEPTH:
            raise Refused(line, f"nested deeper than {MAX_DEPTH} levels (through aliases); refusing")
        if id(node) in self.ancestors:
            raise Refused(line, "recursive alias (a value that contains itself); refusing")
        self.ancestors.add(id(node))
        try:
            if isinstance(node, SequenceNode):
                return self._seq(node, path, line, depth, via_alias)
            if isinstance(node, MappingNode):
                return self._map(node, path, line, depth, via_alias)
        finally:
            self.ancestors.discard(id(node))
        raise Refused(line, "unknown YAML node")  # pragma: no cover - composer makes only 3 kinds

    def _scalar(self, node: ScalarNode, path: str, line: int) -> YNode:
        y = YNode("scalar", line, path, node.tag)
        y.text = node.value
        if node.tag == STR_TAG:
            y.value = node.value
            return y
        if node.tag == NULL_TAG:
            y.value = None
            return y
        if node.tag in NUMBER_TAGS and len(node.value) > MAX_NUMBER_CHARS:
            # (sexagesimal ints like 1:2:3:... cost quadratic time to build; nobody needs them)
            self.problems.add(line, path, f"bad value '{_short(node.value)}': number too large")
            y.value = INVALID
            return y
        try:
            y.value = self.ctor.construct_object(node, deep=True)
        except (yaml.YAMLError, ValueError, OverflowError, TypeError, ArithmeticError) as e:
            msg = getattr(e, "problem", None) or str(e)
            if "digits" in str(e) or isinstance(e, OverflowError):
                msg = "number too large"
            self.problems.add(line, path, f"bad value '{_short(node.value)}': {_short(str(msg), 120)}")
            y.value = INVALID
        return y

    def _seq(self, node: SequenceNode, path: str, line: int, depth: int, via: bool) -> YNode:
        y = YNode("seq", line, path, node.tag)
        if node.tag not in SEQ_TAGS:
            self.problems.add(line, path, f"unsupported YAML tag '{node.tag}'")
        y.items = [self.walk(child, join_path(path, i), depth + 1, via)
                   for i, child in enumerate(node.value)]
        return y

    def _map(self, node: MappingNode, path: str, line: int, depth: int, via: bool) -> YNode:
        y = YNode("map", line, path, node.tag)
        if node.tag not in MAP_TAGS:
            self.problems.add(line, path, f"unsupported YAML tag '{node.tag}'")
        merges: list[Node] = []
        for knode, vnode in node.value:
            kline = knode.start_mark.line + 1
            if knode.tag == MERGE_TAG:
                merges.append(vnode)
                continue
            if not isinstance(knode, ScalarNode):
                self.problems.add(kline, path, "keys must be plain text, not lists or mappings")
                continue
            key = knode.value
            kpath = join_path(path, key)
            if key in y.entries:
                self.problems.add(kline, kpath, f"duplicate key (first given at line {y.key_lines[key]})")
                continue
            y.key_lines[key] = kline
            child = self.walk(vnode, kpath, depth + 1, via)
            if child.kind != "scalar":
                child.line = kline      # a block value starts below its key: point at the key
            y.entries[key] = child
        for m in merges:
            self._merge(y, m, path, depth, via)
        return y

    def _merge(self, y: YNode, src: Node, path: str, depth: int, via: bool) -> None:
        """YAML merge keys (``<<: *base``): explicit keys win, earlier merges win over later."""
        sources = src.value if isinstance(src, SequenceNode) else [src]
        for s in sources:
            if not isinstance(s, MappingNode):
                self.problems.add(s.start_mark.line + 1, path, "'<<' merges only mappings")
                continue
            merged = self.walk(s, path, depth, via)
            for k, v in merged.entries.items():
                if k not in y.entries:
                    y.entries[k] = v
                    y.key_lines[k] = merged.key_lines[k]


def to_ynodes(node: Node, problems: Problems) -> YNode:
    """Walk a composed document into YNodes (raises Refused on bombs; scalar faults go to problems)."""
    return _Walker(problems).walk(node, "", 0, False)
