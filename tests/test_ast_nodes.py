"""The AST's node classes (``ast.node``: frozen dataclasses whose __init__, __eq__,
__hash__ and __repr__ are written once instead of generated per class) behave as
``@dataclass(frozen=True)`` classes with the same fields do: construction, defaults,
equality without spans, hashing, repr, replace, pickling, and refusing assignment."""

from __future__ import annotations

import dataclasses
import inspect
import pickle

import pytest
from hypothesis import given
from hypothesis import strategies as st

from policyengine.language import ast

NODES = [obj for _, obj in inspect.getmembers(ast, inspect.isclass)
         if obj.__module__ == ast.__name__ and dataclasses.is_dataclass(obj)]


def _reference(cls):
    """The same class as @dataclass(frozen=True) would make it."""
    spec = [(f.name, f.type, dataclasses.field(default=f.default, compare=f.compare, repr=f.repr)
             if f.default is not dataclasses.MISSING else dataclasses.field(compare=f.compare, repr=f.repr))
            for f in dataclasses.fields(cls)]
    ref = dataclasses.make_dataclass(cls.__name__, spec, frozen=True)
    ref.__qualname__ = cls.__qualname__
    return ref


def test_every_node_is_a_frozen_dataclass():
    assert len(NODES) >= 40
    for cls in NODES:
        assert cls.__dataclass_params__.frozen, cls
        assert cls.__match_args__ == tuple(f.name for f in dataclasses.fields(cls))


values = st.one_of(st.integers(-3, 3), st.text(max_size=3), st.none(), st.tuples(st.integers(0, 2)))


@given(st.sampled_from(NODES), st.data())
def test_nodes_behave_as_generated_frozen_dataclasses(cls, data):
    ref = _reference(cls)
    own = dataclasses.fields(cls)
    required = [f for f in own if f.default is dataclasses.MISSING]
    count = data.draw(st.integers(len(required), len(own)))
    args = [data.draw(values) for _ in range(count)]
    other = [data.draw(st.one_of(st.just(a), values)) for a in args]
    mine, theirs = cls(*args), ref(*args)
    mine2, theirs2 = cls(*other), ref(*other)
    assert repr(mine) == repr(theirs)
    assert (mine == mine2) == (theirs == theirs2)
    assert (mine != mine2) == (theirs != theirs2)
    assert hash(mine) == hash(theirs)
    assert mine != theirs and mine.__eq__(theirs) is NotImplemented
    assert vars(mine) == vars(theirs)
    by_name = {f.name: a for f, a in zip(own, args)}
    assert vars(cls(**by_name)) == vars(ref(**by_name))
    assert pickle.loads(pickle.dumps(mine)) == mine
    changed = dataclasses.replace(mine, **{own[0].name: "changed"})
    assert vars(changed) == vars(dataclasses.replace(theirs, **{own[0].name: "changed"}))
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(mine, own[0].name, 1)
    with pytest.raises(dataclasses.FrozenInstanceError):
        delattr(mine, own[0].name)
    # a plain subclass may add attributes of its own, not assign the fields (as dataclass's)
    for base in (cls, ref):
        sub = type("Sub", (base,), {})(*args)
        sub.extra = 1
        del sub.extra
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(sub, own[0].name, 1)


@pytest.mark.parametrize("cls", NODES, ids=lambda c: c.__name__)
def test_wrong_arguments_are_refused_as_dataclasses_refuse_them(cls):
    own = dataclasses.fields(cls)
    ref = _reference(cls)
    for make in (cls, ref):
        with pytest.raises(TypeError):
            make(*range(len(own) + 1))
        with pytest.raises(TypeError):
            make(*range(len(own)), no_such_field=1)
        with pytest.raises(TypeError):
            make(*range(len(own)), **{own[0].name: 1})
        if own[0].default is dataclasses.MISSING:
            with pytest.raises(TypeError):
                make()
