"""A small LALR(1) runtime for the policy grammar: a contextual lexer over the shipped
terminal definitions and the parse-table driver, reading ``_lalr_tables`` (written by
``python -m policyengine.language.lalr``, the format described there). It parses as
lark's LALR parser with ``propagate_positions=True`` does -- the same trees, tokens,
positions and errors (tests/test_lalr_runtime.py checks that against lark) -- without
importing lark, which costs `policyengine lint` more start-up than the whole parse.

The lexer is contextual: in each parser state it matches only the terminals that state
can take (and the ignored ones), tried in the tables' order, the first that matches
winning. A pattern terminal whose text is one of the state's string terminals (NAME
reading ``purpose``) becomes that terminal. Where nothing matches, the terminals of every
state are tried, to report "unexpected 'x'" rather than an unexpected character.
"""

from __future__ import annotations

import re

FORMAT = 1  # of the tables this runtime reads (lalr.py writes FORMAT into them)


class Token(str):
    """A terminal's text, with its type and where it is (1-based line and column; the end
    is one past the last character)."""

    def __new__(cls, type_: str, value: str, start_pos: int | None = None, line: int | None = None,
                column: int | None = None, end_line: int | None = None, end_column: int | None = None,
                end_pos: int | None = None):
        self = str.__new__(cls, value)
        self.type = type_
        self.value = value
        self.start_pos = start_pos
        self.line = line
        self.column = column
        self.end_line = end_line
        self.end_column = end_column
        self.end_pos = end_pos
        return self

    def __repr__(self) -> str:
        return f"Token({self.type!r}, {self.value!r})"

    def __reduce__(self):
        return (Token, (self.type, self.value, self.start_pos, self.line, self.column,
                        self.end_line, self.end_column, self.end_pos))


class Meta:
    """Where a tree's text is: from its first token (kept or not) to its last; ``empty``
    when it has none. ``container_*`` is the span of the text a single child was
    lifted out of (a ``?rule``), which the parent's span takes."""

    __slots__ = ("empty", "line", "column", "start_pos", "end_line", "end_column", "end_pos",
                 "container_line", "container_column", "container_start_pos",
                 "container_end_line", "container_end_column", "container_end_pos")

    def __init__(self):
        self.empty = True
        self.line = self.column = self.start_pos = None
        self.end_line = self.end_column = self.end_pos = None
        self.container_line = self.container_column = self.container_start_pos = None
        self.container_end_line = self.container_end_column = self.container_end_pos = None


class Tree:
    """A rule's node: ``data`` its name, ``children`` trees and tokens, ``meta`` its span
    (which takes no part in equality)."""

    __slots__ = ("data", "children", "meta")
    __hash__ = None

    def __init__(self, data: str, children: list, meta: Meta | None = None):
        self.data = data
        self.children = children
        self.meta = Meta() if meta is None else meta

    def __eq__(self, other) -> bool:
        if not isinstance(other, Tree):
            return NotImplemented
        return self.data == other.data and self.children == other.children

    def __repr__(self) -> str:
        return f"Tree({self.data!r}, {self.children!r})"


class UnexpectedInput(Exception):
    """A syntax error at ``line``:``column`` (``pos_in_stream``: the offset in the text)."""

    line: int
    column: int
    pos_in_stream: int | None


class UnexpectedCharacters(UnexpectedInput):
    """No terminal matches at the offset; ``allowed``: what the state's lexer could match."""

    def __init__(self, pos: int, line: int, column: int, allowed: frozenset):
        super().__init__(f"no terminal matches at line {line} column {column}")
        self.pos_in_stream, self.line, self.column, self.allowed = pos, line, column, allowed


class UnexpectedToken(UnexpectedInput):
    """``token`` cannot come here (type ``$END``: the end of the text). ``expected``: the
    terminals the failing state has an action for; ``accepts``: those that would be shifted
    after the reductions they cause."""

    def __init__(self, token: Token, expected: frozenset, accepts: frozenset):
        super().__init__(f"unexpected {token.type} {token.value!r} at line {token.line} column {token.column}")
        self.token, self.expected, self.accepts = token, expected, accepts
        self.line, self.column, self.pos_in_stream = token.line, token.column, token.start_pos


class _Lexer:
    """The terminals one parser state can take (``accepts``), less the strings a pattern
    of the state matches whole (``unless``: the pattern's token is renamed instead)."""

    __slots__ = ("accepts", "allowed", "unless")

    def __init__(self, names, tables):
        unless, embedded = {}, set()
        for name, found in tables.UNLESS.items():
            if name in names:
                found = [(s, drop) for s, drop in found if s in names]
                if found:
                    unless[name] = _renaming([(s, tables.LITERALS.get(s)) for s, _ in found], tables.REGEXPS)
                    embedded.update(s for s, drop in found if drop)
        self.accepts = frozenset(names) - embedded
        self.allowed = self.accepts - frozenset(tables.IGNORE)
        self.unless = unless


class Parser:
    """The grammar's parser from its tables; ``callbacks`` maps a terminal type to a
    function of the token, run when a token of that type is lexed (before it is parsed)."""

    def __init__(self, tables, callbacks: dict | None = None):
        if tables.FORMAT != FORMAT:
            raise ValueError(f"tables of format {tables.FORMAT}, this runtime reads {FORMAT}")
        self.tables = _Tables(tables)
        self.callbacks = dict(callbacks or {})
        self._compiled: dict[str, re.Pattern] = {}
        self._by_char: dict[str, tuple] = {}
        self._lexer_of_state: dict[int, _Lexer] = {}
        self._lexer_of_names: dict[frozenset, _Lexer] = {}
        self._root: _Lexer | None = None
        self._ignore = frozenset(tables.IGNORE)

    # -- the tables
    def terminal_strings(self) -> dict[str, str]:
        """Each string terminal's text (``LBRACE`` -> ``{``)."""
        return dict(self.tables.LITERALS)

    def _candidates(self, char: str) -> tuple:
        """The terminals that can match text starting with ``char``, in the tables' order:
        the strings that begin with it, and every pattern (compiled on first need)."""
        got = self._by_char.get(char)
        if got is None:
            got = self._by_char[char] = tuple(
                (name, literal, None if literal is not None else self._pattern(name))
                for name, literal, _ in self.tables.TERMINALS if literal is None or literal[0] == char)
        return got

    def _pattern(self, name: str) -> re.Pattern:
        got = self._compiled.get(name)
        if got is None:
            got = self._compiled[name] = re.compile(self.tables.REGEXPS[name])
        return got

    def _lexer(self, state: int) -> _Lexer:
        lexer = self._lexer_of_state.get(state)
        if lexer is None:
            names = frozenset(self.tables.STATES[state]) & self.tables.NAMES
            lexer = self._lexer_of_names.get(names)
            if lexer is None:
                lexer = self._lexer_of_names[names] = _Lexer(names | self._ignore, self.tables)
            self._lexer_of_state[state] = lexer
        return lexer

    def _root_lexer(self) -> _Lexer:
        if self._root is None:
            self._root = _Lexer(self.tables.NAMES, self.tables)
        return self._root

    # -- lexing
    def _match(self, lexer: _Lexer, text: str, pos: int):
        """(type, end) of the first of ``lexer``'s terminals matching at ``pos``, or None."""
        accepts = lexer.accepts
        for name, literal, pattern in self._candidates(text[pos]):
            if name not in accepts:
                continue
            if literal is not None:
                if text.startswith(literal, pos):
                    return name, pos + len(literal)
            else:
                m = pattern.match(text, pos)
                if m is not None:
                    return name, m.end()
        return None

    def _renamed(self, lexer: _Lexer, tok: Token) -> Token:
        """A pattern's token whose text is one of the state's strings becomes that string's
        terminal; then the callback of the type it was lexed as, if it kept that type."""
        lexed = tok.type
        renaming = lexer.unless.get(lexed)
        if renaming is not None:
            renamed = renaming(tok.value)
            if renamed is not None:
                tok.type = renamed
        callback = self.callbacks.get(lexed)
        if callback is not None and tok.type == lexed:
            tok = callback(tok)
        return tok

    # -- parsing
    def parse(self, text: str) -> Tree:
        """``text`` to its tree; raises UnexpectedCharacters or UnexpectedToken (or what a
        callback raises)."""
        states, rules = self.tables.STATES, self.tables.RULES
        end_state = self.tables.END
        ignore = self._ignore
        callbacks = self.callbacks
        stack = [self.tables.START]
        values: list = []
        pos, line, line_start, size = 0, 1, 0, len(text)
        last = None
        build = _build
        while True:
            tok = None
            if pos < size:
                lexer = self._lexer(stack[-1])
                while pos < size:
                    found = self._match(lexer, text, pos)
                    if found is None:
                        self._unexpected_characters(lexer, text, pos, line, line_start, stack)
                    type_, end = found
                    start_line, start_column = line, pos - line_start + 1
                    newlines = text.count("\n", pos, end)
                    if newlines:
                        line += newlines
                        line_start = text.rindex("\n", pos, end) + 1
                    if type_ in ignore:
                        if type_ in callbacks:
                            callbacks[type_](Token(type_, text[pos:end], pos, start_line, start_column,
                                                   line, end - line_start + 1, end))
                        pos = end
                        continue
                    tok = Token(type_, text[pos:end], pos, start_line, start_column, line, end - line_start + 1, end)
                    pos = end
                    if type_ in lexer.unless or type_ in callbacks:
                        tok = self._renamed(lexer, tok)
                    break
            if tok is None:  # the end of the text
                if last is None:
                    tok = Token("$END", "", 0, 1, 1)
                else:
                    tok = Token("$END", "", last.start_pos, last.line, last.column,
                                last.end_line, last.end_column, last.end_pos)
            last = tok
            type_ = tok.type
            while True:
                actions = states[stack[-1]]
                action = actions.get(type_)
                if action is None:
                    raise UnexpectedToken(tok, _expected(actions), self._accepts(stack))
                if action >= 0:
                    if type_ == "$END":  # no state shifts the end (END has no actions): a bad table
                        raise ValueError(f"the tables shift $END in state {stack[-1]}")
                    stack.append(action)
                    values.append(tok)
                    break
                rule = rules[-1 - action]
                length = rule[1]
                if length:
                    children = values[-length:]
                    del values[-length:]
                    del stack[-length:]
                else:
                    children = []
                values.append(build(rule, children))
                stack.append(states[stack[-1]][rule[0]])
                if type_ == "$END" and stack[-1] == end_state:
                    return values[-1]

    def _unexpected_characters(self, lexer: _Lexer, text: str, pos: int, line: int, line_start: int,
                               stack: list) -> None:
        """Raise for nothing of this state matching at ``pos``: an UnexpectedToken when a
        terminal of another state matches there (the token, with this state's lexer's
        terminals as expected), else UnexpectedCharacters."""
        column = pos - line_start + 1
        allowed = lexer.allowed or frozenset({"<END-OF-FILE>"})
        root = self._root_lexer()
        found = self._match(root, text, pos)
        if found is None:
            raise UnexpectedCharacters(pos, line, column, allowed)
        type_, end = found
        newlines = text.count("\n", pos, end)
        end_line = line + newlines
        end_start = text.rindex("\n", pos, end) + 1 if newlines else line_start
        tok = Token(type_, text[pos:end], pos, line, column, end_line, end - end_start + 1, end)
        if type_ in root.unless or type_ in self.callbacks:
            tok = self._renamed(root, tok)
        raise UnexpectedToken(tok, allowed, self._accepts(stack))

    def _accepts(self, stack: list) -> frozenset:
        """The terminals that the state on top of ``stack`` would shift after the reductions
    they cause (``$END``: that would reduce the text to ``start``)."""
        states, rules = self.tables.STATES, self.tables.RULES
        taken = set()
        for name in _expected(states[stack[-1]]):
            trial = list(stack)
            while True:
                action = states[trial[-1]].get(name)
                if action is None:
                    break
                if action >= 0:
                    taken.add(name)
                    break
                origin, length = rules[-1 - action][:2]
                if length:
                    del trial[-length:]
                trial.append(states[trial[-1]][origin])
                if name == "$END" and trial[-1] == self.tables.END:  # the text would be whole
                    taken.add(name)
                    break
        return frozenset(taken)


class _Tables:
    """The tables module's values, and what the runtime derives from them once."""

    def __init__(self, module):
        for name in ("TERMINALS", "IGNORE", "UNLESS", "RULES", "STATES", "START", "END"):
            setattr(self, name, getattr(module, name))
        self.NAMES = frozenset(name for name, _, _ in self.TERMINALS)
        self.LITERALS = {name: literal for name, literal, _ in self.TERMINALS if literal is not None}
        self.REGEXPS = {name: regexp for name, _, regexp in self.TERMINALS}


def _renaming(strings: list, regexps: dict):
    """The function of a token's text giving the first of ``strings`` ((type, literal or
    None)) that is the whole text (as lark's ``$``, which also matches before a final
    newline), or None."""
    if all(literal is not None for _, literal in strings):
        whole = {}
        for name, literal in reversed(strings):
            whole[literal] = whole[literal + "\n"] = name
        return whole.get
    compiled = [(name, literal, None if literal is not None else re.compile(regexps[name] + "$"))
                for name, literal in strings]

    def renamed(value: str):
        for name, literal, pattern in compiled:
            if (value in (literal, f"{literal}\n")) if literal is not None else pattern.match(value):
                return name
        return None

    return renamed


def _expected(actions: dict) -> frozenset:
    return frozenset(name for name in actions if name.isupper())


def _build(rule: tuple, children: list):
    """The node a reduction by ``rule`` makes of its children: tokens lark drops left out,
    ``_rule`` children spliced in, a lone child of a ``?rule`` lifted; its span from the
    first and last of all its children (dropped tokens included)."""
    _origin, _length, name, expand1, kept = rule
    if kept is None:
        filtered = children
    else:
        filtered = []
        for index, inline in kept:
            if inline:
                filtered.extend(children[index].children)
            else:
                filtered.append(children[index])
    if expand1 and len(filtered) == 1:
        node = filtered[0]
        if type(node) is not Tree:
            return node
    else:
        node = Tree(name, filtered)
    meta = node.meta
    for child in children:
        if type(child) is Tree:
            m = child.meta
            if m.empty:
                continue
            line, column, start = m.container_line, m.container_column, m.container_start_pos
        else:
            line, column, start = child.line, child.column, child.start_pos
        if meta.line is None:
            meta.line, meta.column, meta.start_pos, meta.empty = line, column, start, False
        meta.container_line, meta.container_column, meta.container_start_pos = line, column, start
        break
    for child in reversed(children):
        if type(child) is Tree:
            m = child.meta
            if m.empty:
                continue
            line, column, end = m.container_end_line, m.container_end_column, m.container_end_pos
        else:
            line, column, end = child.end_line, child.end_column, child.end_pos
        if meta.end_line is None:
            meta.end_line, meta.end_column, meta.end_pos, meta.empty = line, column, end, False
        meta.container_end_line, meta.container_end_column, meta.container_end_pos = line, column, end
        break
    return node
