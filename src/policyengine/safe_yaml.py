"""The one YAML loader for everything policyengine reads (bindings, `.policyengine.yaml`,
policy test files, the diff config).

Configuration comes from many hands and is reviewed in CI: it is untrusted. `yaml.safe_load`
builds no objects, but it does expand aliases (a 400-byte "billion laughs" file takes
gigabytes) and composes nesting recursively (a deep file ends in RecursionError). A binding
or a config needs neither, so anchors and aliases are refused outright and nesting is
bounded; every failure is a ``YamlRefused`` with the file and line.
"""

from __future__ import annotations

import yaml

MAX_DEPTH = 32  # a binding nests four levels (sources: NAME: columns: FIELD)


class YamlRefused(ValueError):
    """Not YAML we accept; the message starts with ``file:line:``."""


class _Loader(yaml.SafeLoader):
    depth = 0

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            raise self._refuse("aliases (*name) are not accepted", self.peek_event())
        event = self.peek_event()
        if getattr(event, "anchor", None) is not None:
            raise self._refuse("anchors (&name) are not accepted", event)
        self.depth += 1
        try:
            if self.depth > MAX_DEPTH:
                raise self._refuse(f"nested deeper than {MAX_DEPTH} levels", event)
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1

    @staticmethod
    def _refuse(what: str, event) -> yaml.YAMLError:
        return yaml.MarkedYAMLError(problem=what, problem_mark=event.start_mark)


# Dates in a binding are never YAML timestamps: `2026-13-01` would be a ValueError from
# the constructor. Without the timestamp resolver such scalars stay strings.
_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()}


class LineMap(dict):
    """A mapping that knows the line it starts on (``load(..., lines=True)``), for messages
    such as ``file:7: unknown key``."""

    line = 0


class _LineLoader(_Loader):
    pass


def _construct_line_map(loader, node):
    data = LineMap()
    data.line = node.start_mark.line + 1
    yield data
    data.update(loader.construct_mapping(node))


_LineLoader.add_constructor("tag:yaml.org,2002:map", _construct_line_map)


def load(text: str, origin: str, *, lines: bool = False):
    """The data of one YAML document; ``YamlRefused`` naming ``origin:line`` otherwise.
    ``lines``: every mapping a ``LineMap``."""
    loader = None
    try:
        loader = (_LineLoader if lines else _Loader)(text)  # the reader refuses control characters here already
        return loader.get_single_data()
    except yaml.reader.ReaderError as err:
        line = text[:err.position].count("\n") + 1
        char = chr(err.character) if isinstance(err.character, int) else str(err.character)
        raise YamlRefused(f"{origin}:{line}: not valid YAML: character {char!r} is not "
                          "allowed") from None
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f"{origin}:{mark.line + 1}" if mark is not None else origin
        problem = getattr(err, "problem", None) or str(err)
        raise YamlRefused(f"{where}: not valid YAML: {problem}") from None
    except (ValueError, TypeError, OverflowError) as err:  # a constructor refusing a value
        raise YamlRefused(f"{origin}: not valid YAML: {err}") from None
    except RecursionError:  # pragma: no cover - MAX_DEPTH stops composing long before
        raise YamlRefused(f"{origin}: not valid YAML: nested too deeply") from None
    finally:
        if loader is not None:
            loader.dispose()
