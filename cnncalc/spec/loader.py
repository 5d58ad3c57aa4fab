"""YAML -> plain Python values that remember where each came from.

The document is read as a stream of libyaml events (SafeLoader rules, C speed where
available) and composed here, iteratively, so that this module decides what is
allowed: no tags beyond YAML's core types (nothing is ever constructed or executed),
no duplicate keys, bounded nesting, and aliases whose expansion is bounded, which
defuses "billion laughs" documents.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import ScalarNode
from yaml.resolver import Resolver

from cnncalc.collecting import collector_paused
from cnncalc.errors import START, Mark, SpecError

MAX_BYTES = 16 * 1024 * 1024
MAX_DEPTH = 64
MAX_VALUES = 2_000_000  # after alias expansion; a 100,000-layer spec holds about 700,000

_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_CORE = "tag:yaml.org,2002:"
_ALLOWED_TAGS = {_CORE + t for t in ("str", "int", "float", "bool", "null", "seq", "map")} | {"!"}
_MERGE = _CORE + "merge"
_STR = _CORE + "str"
_resolver = Resolver()
_constructor = SafeConstructor()
_builders = {
    _CORE + "str": _constructor.construct_yaml_str,
    _CORE + "int": _constructor.construct_yaml_int,
    _CORE + "float": _constructor.construct_yaml_float,
    _CORE + "bool": _constructor.construct_yaml_bool,
    _CORE + "null": _constructor.construct_yaml_null,
}


_QUOTES = ("'", '"')

# YAML 1.2's floats that YAML 1.1 (PyYAML's resolver) reads as text: an exponent without a
# dot or without a sign (`1e-5`, `1E5`, `5e+3`, `1.0e5`), as people and papers write them.
_FLOAT_1_2 = re.compile(r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+")


class QuotedMark(Mark):
    """The mark of a quoted scalar that holds `${...}`: its text starts one column after it.

    Equal to, and ordered with, a plain Mark of the same place."""

    __slots__ = ()

    @property
    def text_col(self) -> int:
        return self.col + 1

    def _key(self) -> tuple[int, int]:
        return (self.line, self.col)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Mark) and self._key() == (other.line, other.col)

    def __lt__(self, other: object) -> bool:
        return isinstance(other, Mark) and self._key() < (other.line, other.col)

    def __le__(self, other: object) -> bool:
        return isinstance(other, Mark) and self._key() <= (other.line, other.col)

    def __gt__(self, other: object) -> bool:
        return isinstance(other, Mark) and self._key() > (other.line, other.col)

    def __ge__(self, other: object) -> bool:
        return isinstance(other, Mark) and self._key() >= (other.line, other.col)

    def __hash__(self) -> int:
        return hash(self._key())


def text_col(mark: Mark) -> int:
    """The column where a scalar's text starts: after the quote of a quoted one."""
    return mark.text_col if isinstance(mark, QuotedMark) else mark.col


class LocatedDict(dict[str, Any]):
    """A mapping with the position of itself, of each key and of each value."""

    __slots__ = ("mark", "marks")  # no per-instance __dict__: big specs hold many
    mark: Mark
    # The marks of each key and its value, in the order of the keys: [key 1, value 1, key 2,
    # ...]. One list rather than two dicts: a third of the memory of a big spec's layers.
    marks: list[Mark]

    @property
    def key_marks(self) -> dict[Any, Mark]:
        return dict(zip(self, self.marks[0::2], strict=False))

    @property
    def value_marks(self) -> dict[Any, Mark]:
        return dict(zip(self, self.marks[1::2], strict=False))

    def set_marks(self, key: Any, key_mark: Mark, value_mark: Mark) -> None:
        """Record the marks of `key`, which must be in the mapping (just set, or replaced)."""
        if len(self.marks) == 2 * (len(self) - 1) and next(reversed(self)) == key:
            self.marks += (key_mark, value_mark)  # a new key, the common case
            return
        at = 2 * list(self).index(key)
        self.marks[at : at + 2] = [key_mark, value_mark]


class LocatedList(list[Any]):
    """A sequence with the position of itself and of each item."""

    __slots__ = ("item_marks", "mark")
    mark: Mark
    item_marks: list[Mark]


def mark_of(container: Any, key: Any = None, *, of_key: bool = False) -> Mark | None:
    """Position of `container[key]` (or of the key itself), or of the container."""
    if key is not None:
        if isinstance(container, LocatedDict):
            if key in container and len(container.marks) == 2 * len(container):
                return container.marks[2 * list(container).index(key) + (0 if of_key else 1)]
        elif isinstance(container, LocatedList) and isinstance(key, int) and 0 <= key < len(container.item_marks):
            return container.item_marks[key]
    return getattr(container, "mark", None)


def _mark(event: Any) -> Mark:
    return Mark(event.start_mark.line + 1, event.start_mark.column + 1)


# `Mark(line, col)` as the loader makes them, one for every value of a spec: `_new(Mark)`,
# then set through the slots' own setters, a third of the cost of the frozen dataclass's
# __init__ (which sets each field through object.__setattr__).
_new = object.__new__
_set_line: Any = Mark.__dict__["line"].__set__
_set_col: Any = Mark.__dict__["col"].__set__


# Plain scalars repeat a lot in a spec (`type`, `conv`, `3`); resolving each once is
# a large share of the load time of a big file. Values are immutable, so sharing is safe.
_CACHE_LIMIT = 4096


def _scalar(event: Any, cache: dict[str, Any]) -> Any:
    tag = event.tag
    # implicit[0]: a plain scalar, typed by its text (libyaml gives style '' for plain).
    if tag is None and event.implicit[0]:
        text = event.value
        if text in cache:
            return cache[text]
        tag = _resolver.resolve(ScalarNode, text, (True, False))  # type: ignore[no-untyped-call]
        if tag == _STR and _FLOAT_1_2.fullmatch(text):
            tag = _CORE + "float"
        value = text if tag == _MERGE else _build(tag, text)  # `<<` stays a key; attach() merges
        if len(cache) < _CACHE_LIMIT:
            cache[text] = value
        return value
    if tag in (None, "!"):
        return event.value  # quoted, or the non-specific tag: always a string
    return _build(tag, event.value)


def _build(tag: str, text: str) -> Any:
    build = _builders.get(tag)
    if build is None:
        raise _TagError(tag)
    return build(ScalarNode(tag, text))


class _TagError(Exception):
    def __init__(self, tag: str) -> None:
        self.tag = tag


def loads(text: str | bytes, path: str = "<string>") -> Any:
    """Parse one YAML document into located values; raise SpecError with a position."""
    if isinstance(text, bytes):
        text = _decode(text, path)
    if len(text) > MAX_BYTES:
        raise SpecError.at(
            path, START, f"file is {len(text) / 2**20:.1f} MiB; specs are limited to {MAX_BYTES // 2**20} MiB"
        )
    # The composed data holds no reference cycles, yet building a million small objects
    # triggers the cyclic collector over and over: a third of the time of a big spec.
    try:
        with collector_paused():
            try:
                return _compose(text, path)
            except yaml.MarkedYAMLError as exc:
                if _Loader is yaml.SafeLoader or "nesting depth" not in str(exc.problem):
                    raise
                # libyaml (PyYAML 6.0.4 on) refuses flow nesting past 1000 levels while it
                # scans ahead, before cnncalc's own limit has seen the events. The pure-Python
                # parser has no such limit and stops at ours, with our message and position.
                return _compose(text, path, yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = Mark(mark.line + 1, mark.column + 1) if mark else START
        problem = exc.problem or exc.context or "invalid YAML"
        at = text[mark.index] if mark and 0 <= mark.index < len(text) else ""
        if at == "\t" or "tab" in problem:
            problem += " (a tab; YAML indents with spaces, never tabs)"
        elif problem.startswith(("did not find expected key", "did not find expected '-'", "mapping values")):
            problem += " (check the indentation)"
        elif exc.context and exc.context_mark and exc.context_mark is not mark:
            # e.g. an unclosed quote: say where the thing that never ended began
            begun = exc.context_mark
            problem += f" ({exc.context} that starts at line {begun.line + 1}, column {begun.column + 1})"
        raise SpecError.at(path, where, f"YAML syntax error: {problem}") from None
    except yaml.reader.ReaderError as exc:
        # A control character (binary junk, a NUL) in otherwise valid UTF-8.
        where = _position(text, exc.position)
        char = exc.character if isinstance(exc.character, str) else chr(exc.character)
        raise SpecError.at(
            path, where, f"character U+{ord(char):04X} is not allowed in YAML text (binary data?)"
        ) from None
    except yaml.YAMLError as exc:
        raise SpecError.at(path, START, f"YAML error: {' '.join(str(exc).split())}") from None


def _position(text: str, index: int) -> Mark:
    """The 1-based line and column of character `index` of `text`."""
    line = text.count("\n", 0, index) + 1
    return Mark(line, index - (text.rfind("\n", 0, index) + 1) + 1)


def load(path: str | Path) -> Any:
    """Read and parse a spec file; every failure is a positioned SpecError."""
    name = str(path)
    try:
        size = Path(path).stat().st_size
        if size > MAX_BYTES:
            raise SpecError.at(
                name, START, f"file is {size / 2**20:.1f} MiB; specs are limited to {MAX_BYTES // 2**20} MiB"
            )
        data = Path(path).read_bytes()
    except IsADirectoryError:
        raise SpecError.about(name, "is a directory, not a spec file") from None
    except OSError as exc:
        from cnncalc.files import dangling  # a link loop or a broken link, said as such

        plain = "no such file" if isinstance(exc, FileNotFoundError) else f"cannot read: {exc.strerror}"
        raise SpecError.about(name, dangling(name) or plain) from None
    return loads(data, name)


def _decode(data: bytes, path: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        before = data[: exc.start]
        line = before.count(b"\n") + 1
        col = len(before) - (before.rfind(b"\n") + 1) + 1
        raise SpecError.at(
            path, Mark(line, col), f"not UTF-8 text: byte 0x{data[exc.start]:02x} cannot be decoded"
        ) from None


def _compose(text: str, path: str, loader: Any = _Loader) -> Any:
    # Each open container: [container, pending key or _NO_KEY, key mark, keys merged in
    # by `<<` (None until one is), expanded size so far]. The sizes make an alias cost
    # what it would copy.
    stack: list[list[Any]] = []
    anchors: dict[str, tuple[Any, int]] = {}
    anchor_stack: list[str | None] = []
    cache: dict[str, Any] = {}
    values = 0
    last_line, line = -1, 0
    root: Any = None
    documents = 0
    scalar_event, alias_event = yaml.ScalarEvent, yaml.AliasEvent
    mapping_start = yaml.MappingStartEvent
    starts = (mapping_start, yaml.SequenceStartEvent)
    ends = (yaml.MappingEndEvent, yaml.SequenceEndEvent)

    def fail(event: Any, message: str) -> SpecError:
        return SpecError.at(path, _mark(event), message)

    def attach(value: Any, mark: Mark, event: Any) -> None:
        nonlocal root
        if not stack:
            root = value
            return
        frame = stack[-1]
        container = frame[0]
        if type(container) is LocatedList:
            container.append(value)
            container.item_marks.append(mark)
            return
        if frame[1] is _NO_KEY:
            if isinstance(value, (dict, list)):
                raise fail(event, "mapping keys must be plain values, not mappings or lists")
            if frame[3] and value in frame[3]:  # a key merged in by `<<`: the mapping's own value overrides it
                del frame[3][value]
            elif value in container:
                first = mark_of(container, value, of_key=True)
                where = f" (first at line {first.line})" if first else ""
                raise fail(event, f"duplicate key '{value}'{where}")
            frame[1], frame[2] = value, mark
            return
        key, key_mark = frame[1], frame[2]
        frame[1] = _NO_KEY
        merged = [value] if isinstance(value, dict) else value if isinstance(value, list) else None
        if key == "<<" and merged is not None and all(isinstance(m, dict) for m in merged):
            if frame[3] is None:
                frame[3] = {}
            # YAML merge key: the mapping's own keys win, then the merged mappings in order.
            for source in merged:
                value_marks = source.value_marks if isinstance(source, LocatedDict) else {}
                for k, v in source.items():
                    if k not in container:
                        frame[3][k] = key_mark
                        container[k] = v
                        container.set_marks(k, key_mark, value_marks.get(k, key_mark))
            return
        container[key] = value  # overrides a value merged in earlier by `<<`
        container.set_marks(key, key_mark, mark)

    # The parser's events one by one, without yaml.parse's generator around them: a big
    # spec is some four events a layer. get_event() gives None once the stream has ended.
    parser = loader(text)
    event: Any
    try:
        for event in iter(parser.get_event, None):
            kind = type(event)
            if kind is scalar_event:
                values += 1
                text_value = event.value
                # A plain scalar seen before (`type`, `relu`, `3`): its value, resolved once.
                if event.tag is None and text_value in cache and event.implicit[0]:
                    value = cache[text_value]
                else:
                    try:
                        value = _scalar(event, cache)
                    except _TagError as exc:
                        tag = _short_tag(exc.tag)
                        raise fail(event, f"tag '{tag}' is not allowed; specs hold plain data only") from None
                    except (ValueError, yaml.YAMLError):
                        raise fail(event, f"cannot read '{event.value}' as {_short_tag(event.tag)}") from None
                if event.anchor:
                    anchors[event.anchor] = (value, 1)
                start = event.start_mark
                if start.line != last_line:  # one int per line, shared by its marks (32 B each)
                    last_line, line = start.line, start.line + 1
                mark: Mark
                if type(value) is str and "${" in value and event.style in _QUOTES:
                    mark = QuotedMark(line, start.column + 1)  # an expression's columns start after the quote
                else:
                    mark = _new(Mark)
                    _set_line(mark, line)
                    _set_col(mark, start.column + 1)
                if not stack:
                    root = value
                    continue
                frame = stack[-1]
                frame[4] += 1
                key = frame[1]
                # The common cases inline (a big spec is mostly scalars); the rest in attach().
                target = frame[0]
                if key is _NO_KEY:
                    if type(target) is LocatedList:
                        target.append(value)
                        target.item_marks.append(mark)
                    elif frame[3] is None and value not in target:  # a new key, no `<<` merged
                        frame[1], frame[2] = value, mark
                    else:
                        attach(value, mark, event)
                elif key != "<<":
                    frame[1] = _NO_KEY
                    keys = len(target)
                    target[key] = value
                    if len(target) > keys:  # a new key, the common case: its marks go last
                        target.marks += (frame[2], mark)
                    else:  # a key merged in by `<<`, overridden
                        target.set_marks(key, frame[2], mark)
                else:
                    attach(value, mark, event)
            elif kind in starts:
                values += 1
                if event.tag is not None and event.tag not in _ALLOWED_TAGS:
                    raise fail(event, f"tag '{_short_tag(event.tag)}' is not allowed; specs hold plain data only")
                if len(stack) >= MAX_DEPTH:
                    raise fail(event, f"nested deeper than {MAX_DEPTH} levels")
                start = event.start_mark
                if start.line != last_line:
                    last_line, line = start.line, start.line + 1
                mark = _new(Mark)
                _set_line(mark, line)
                _set_col(mark, start.column + 1)
                container: Any
                if kind is mapping_start:
                    container = LocatedDict()
                    container.marks = []
                else:
                    container = LocatedList()
                    container.item_marks = []
                container.mark = mark
                if stack and type(stack[-1][0]) is LocatedList:  # an item of a list (a layer): inline
                    stack[-1][0].append(container)
                    stack[-1][0].item_marks.append(mark)
                else:
                    attach(container, mark, event)
                stack.append([container, _NO_KEY, None, None, 1])
                anchor_stack.append(event.anchor)
            elif kind in ends:
                done, _, _, _, weight = stack.pop()
                if stack:
                    stack[-1][4] += weight
                anchor = anchor_stack.pop()
                if anchor:
                    anchors[anchor] = (done, weight)
            elif kind is alias_event:
                if event.anchor not in anchors:
                    raise fail(event, f"alias '*{event.anchor}' refers to no anchor defined before it")
                value, weight = anchors[event.anchor]
                values += weight
                if values > MAX_VALUES:
                    raise fail(event, f"aliases expand to more than {MAX_VALUES:,} values (an alias bomb?)")
                if stack:
                    stack[-1][4] += weight
                attach(value, _mark(event), event)
            elif kind is yaml.DocumentStartEvent:
                documents += 1
                if documents > 1:
                    raise fail(event, "a spec file holds one YAML document, this is a second one")
            if values > MAX_VALUES:
                raise fail(event, f"more than {MAX_VALUES:,} values; too large for a spec")
    finally:
        parser.dispose()
    return root


class _NoKey:
    pass


_NO_KEY = _NoKey()


def _short_tag(tag: str | None) -> str:
    if tag is None:
        return "a plain value"
    return "!!" + tag[len(_CORE) :] if tag.startswith(_CORE) else tag
