"""`@record` behaves as `@dataclass(frozen=True)` did for the core's value classes.

The content model, the matcher's outcome and their parts moved from dataclasses
to `bot.content.records` so that `facts-bot ask` need not import or compile
dataclasses; what the code relies on (construction, defaults, equality,
hashing, repr, immutability, replace) must not have changed. Each behaviour is
checked beside a dataclass made from the same class body.
"""

from __future__ import annotations

import dataclasses
import re
import sys
from typing import ClassVar

import pytest

from bot.content import Contact, Entry, Problem
from bot.content.records import FrozenInstanceError, field, record, replace


def _body() -> type:
    class Point:
        """Two required fields, two defaults, one made fresh per instance."""

        x: int
        label: str
        tags: tuple[str, ...] = ()
        note: str | None = None
        extra: frozenset[str] = field(default_factory=lambda: frozenset({"made"}))

        def total(self) -> int:
            return self.x + len(self.tags)

    return Point


Point = record(_body())
_dataclass_body = _body()
_dataclass_body.extra = dataclasses.field(  # dataclasses' own field for the same default
    default_factory=lambda: frozenset({"made"}))
DataPoint = dataclasses.dataclass(frozen=True)(_dataclass_body)


@pytest.mark.parametrize("args, kwargs", [
    ((1, "a"), {}),
    ((), {"x": 1, "label": "a"}),
    ((1,), {"label": "a", "note": "n"}),
    ((1, "a", ("t",)), {"note": None}),
    ((), {"note": "n", "label": "a", "x": 2, "tags": ("t", "u")}),
    ((3, "b", ("t",), "n", frozenset({"given"})), {}),  # every field in order (a Result)
])
def test_construction_defaults_equality_hash_and_repr_are_the_dataclass_ones(args, kwargs):
    ours, theirs = Point(*args, **kwargs), DataPoint(*args, **kwargs)
    for name in ("x", "label", "tags", "note", "extra"):
        assert getattr(ours, name) == getattr(theirs, name)
    assert repr(ours) == repr(theirs).replace("DataPoint", "Point")
    assert hash(ours) == hash(theirs) == hash(Point(*args, **kwargs))
    assert ours == Point(*args, **kwargs)
    assert ours.total() == theirs.total()
    assert list(vars(ours)) == [f.name for f in dataclasses.fields(theirs)]  # field order


def test_instances_differ_by_any_field_and_never_equal_another_class():
    base = Point(1, "a")
    for changed in (Point(2, "a"), Point(1, "b"), Point(1, "a", ("t",)), Point(1, "a", note="n")):
        assert base != changed
    assert base != DataPoint(1, "a") and base != (1, "a", (), None, base.extra)
    assert len({Point(1, "a"), Point(1, "a"), Point(2, "a")}) == 2


def test_a_default_made_by_a_factory_is_fresh_for_each_instance_and_not_on_the_class():
    assert Point(1, "a").extra is not Point(1, "a").extra
    assert "extra" not in Point.__dict__ and Point.tags == ()  # plain defaults stay, as before


@pytest.mark.parametrize("args, kwargs, message", [
    ((), {"x": 1}, "missing required argument(s): 'label'"),
    ((), {}, "missing required argument(s): 'x', 'label'"),
    ((1, "a"), {"colour": "red"}, "got an unexpected keyword argument 'colour'"),
    ((1,), {"x": 2, "label": "a"}, "got multiple values for argument 'x'"),
    ((1, "a", (), None, frozenset(), "more"), {}, "takes 5 positional arguments but 6 were given"),
])
def test_a_wrong_call_is_a_type_error_naming_the_problem(args, kwargs, message):
    with pytest.raises(TypeError, match="^" + re.escape(f"Point() {message}")):
        Point(*args, **kwargs)
    with pytest.raises(TypeError):
        DataPoint(*args, **kwargs)


def test_fields_cannot_be_assigned_or_deleted():
    point = Point(1, "a")
    with pytest.raises(FrozenInstanceError, match="cannot assign to field 'x'"):
        point.x = 2
    with pytest.raises(AttributeError):  # FrozenInstanceError is one, as dataclasses' is
        point.new = 1
    with pytest.raises(FrozenInstanceError, match="cannot delete field 'label'"):
        del point.label
    assert point == Point(1, "a")


def test_replace_copies_with_changes_and_checks_them():
    point = Point(1, "a", ("t",))
    moved = replace(point, x=5)
    assert moved == Point(5, "a", ("t",)) and point == Point(1, "a", ("t",))
    with pytest.raises(TypeError, match="unexpected keyword argument 'y'"):
        replace(point, y=5)


def test_post_init_runs_and_may_set_fields():
    """Problem keeps itself one readable line, whatever built it."""
    long = Problem("error", "f.yaml", 3, "x" * 500, "y" * 500)
    assert len(long.field) == 120 and long.field.endswith("…")
    assert len(long.message) == 300 and long.message.endswith("…")
    assert long == Problem("error", "f.yaml", 3, "x" * 500, "y" * 500)


def test_the_core_model_classes_match_their_dataclass_form(snapshot):
    entry = snapshot.by_id["sb-color-blind"]
    assert entry == snapshot.by_id["sb-color-blind"] and hash(entry) == hash(replace(entry))
    assert replace(entry, text="Other words.") != entry
    assert Entry.__match_args__[:3] == ("id", "document", "kind")
    assert Contact("A", "1") == Contact(name="A", phone="1", email=None)
    assert repr(Contact("A", "1")) == "Contact(name='A', phone='1', email=None)"


def test_instances_share_one_key_table_as_dataclass_instances_do():
    """Stored field by field in order: an update() would give each a table of its own
    (a dict as large as a copy of it), half as much memory again per Entry."""
    for instance in (Point(1, "a"), Point(x=1, note="n", label="a"), Point(1, "a", ("t",)),
                     Point(1, "a", (), None, frozenset())):
        attributes = vars(instance)
        assert sys.getsizeof(attributes) < sys.getsizeof(dict(attributes))


def test_what_a_record_cannot_be_is_refused_not_silently_changed():
    class Counted:
        total: ClassVar[int] = 0
        name: str

    class Later:
        seed: dataclasses.InitVar[int]

    for body in (Counted, Later):
        with pytest.raises(TypeError, match="no ClassVar or InitVar"):
            record(body)

    class Child(Point):
        z: int = 0

    with pytest.raises(TypeError, match="cannot extend another record"):
        record(Child)
