"""Frozen value classes, as `@dataclass(frozen=True)` makes them, without `dataclasses`.

Why not dataclasses: `facts-bot ask` should cost little more than starting
Python with the libraries it needs, and the core's two dozen value classes
made it pay twice at every start: importing `dataclasses` imports `inspect`
(and with it ast, dis, tokenize, linecache: about 10 ms), and `@dataclass`
writes each class's methods as source and compiles them (about 1 ms a
class, some 20 ms in all). `@record` builds the same methods from closures
over the field names: nothing is compiled, and the package imports nothing
`ask` did not already load. The core (bot/content, bot/matching) uses it;
the outer packages, which import heavier things anyway, keep dataclasses.

What a record class does, as its dataclass did (the code and tests rely on it):
- fields are the class's annotated names, in order; `name: T = value` gives a
  default, `name: T = field(default_factory=f)` a fresh `f()` per instance;
- `__init__` takes them by position or keyword, fills defaults, refuses a
  missing, unknown or repeated one (TypeError), then calls `__post_init__`
  if the class has one (which may set fields with `object.__setattr__`);
- instances are immutable (`FrozenInstanceError`, an AttributeError);
- `==` compares the field values of two instances of the same class,
  `hash` is the hash of the field values, `repr` is `Name(field=value, ...)`,
  `__match_args__` lists the fields; a method the class defines itself wins;
- `replace(instance, **changes)` is `dataclasses.replace`.
Not supported (the core never used them): inheritance between record
classes, ClassVar/InitVar fields, ordering, slots, keyword-only fields.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from operator import attrgetter
from typing import Any, TypeVar, dataclass_transform

T = TypeVar("T")


class FrozenInstanceError(AttributeError):
    """Assigning to or deleting a field of a record instance."""


class _Factory:
    """A field's default made fresh for each instance (a dict, a mapping proxy...)."""

    __slots__ = ("make",)

    def __init__(self, make: Callable[[], Any]) -> None:
        self.make = make


def field(*, default_factory: Callable[[], Any]) -> Any:
    """`dataclasses.field(default_factory=...)`, the only use the core had for it."""
    return _Factory(default_factory)


@dataclass_transform(eq_default=True, field_specifiers=(field,))
def record(cls: type[T]) -> type[T]:
    """Make `cls` a frozen value class of its annotated fields (see the module's docstring)."""
    annotations = cls.__dict__.get("__annotations__", {})
    _refuse_what_dataclasses_would_do_otherwise(cls, annotations)
    names = tuple(annotations)
    # name -> its default, or _REQUIRED; in field order, so that an instance's
    # attributes are always stored in that order (they then share one key table
    # across instances, as a dataclass's do: less memory per entry).
    template = {name: cls.__dict__.get(name, _REQUIRED) for name in names}
    methods = {
        "__init__": _init(cls.__name__, template, getattr(cls, "__post_init__", None)),
        "__repr__": _repr(names),
        "__eq__": _eq(_values_of(names)),
        "__hash__": _hash(_values_of(names)),
        "__setattr__": _setattr,
        "__delattr__": _delattr,
    }
    for name, method in methods.items():
        if name not in cls.__dict__ or name == "__hash__" and cls.__dict__[name] is None:
            method.__qualname__ = f"{cls.__qualname__}.{name}"
            setattr(cls, name, method)
    for name, default in template.items():
        if isinstance(default, _Factory):
            delattr(cls, name)  # as dataclasses does: no shared default on the class
    cls.__match_args__ = names
    cls.__record_fields__ = names
    return cls


def _refuse_what_dataclasses_would_do_otherwise(cls: type, annotations: dict[str, Any]) -> None:
    """A ClassVar, an InitVar or a record base would silently become (or lose) a field."""
    for name, annotation in annotations.items():
        if str(annotation).split("[")[0].rsplit(".", 1)[-1] in ("ClassVar", "InitVar"):
            raise TypeError(f"{cls.__name__}.{name}: a record has no ClassVar or InitVar "
                            "fields (use a dataclass)")
    if any(hasattr(base, "__record_fields__") for base in cls.__mro__[1:]):
        raise TypeError(f"{cls.__name__}: a record cannot extend another record")


def replace(instance: T, **changes: Any) -> T:
    """A copy of a record instance with some fields changed (`dataclasses.replace`).

    `dataclasses.replace` itself refuses a record ("should be called on
    dataclass instances"): call this one for the core's classes.
    """
    values = {name: getattr(instance, name) for name in type(instance).__record_fields__}
    return type(instance)(**{**values, **changes})


class _Required:
    def __repr__(self) -> str:
        return "<required>"


_REQUIRED: Any = _Required()


def _init(class_name: str, template: dict[str, Any],
          post_init: Callable[[Any], None] | None) -> Callable[..., None]:
    """`__init__`: the call's values merged over the defaults, checked, then stored.

    Merging and checking are dict operations done in C, so a record is quicker
    to make than a dataclass (a load makes one Entry per approved passage).
    The values are stored one by one, in field order, so that every instance's
    attributes share one key table, as a dataclass's do: `__dict__.update`
    would give each instance a key table of its own (half as much again per Entry).
    """
    names = tuple(template)
    count = len(names)
    required = frozenset(n for n, default in template.items() if default is _REQUIRED)
    factories = tuple((n, d) for n, d in template.items() if isinstance(d, _Factory))

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        if len(args) == count and not kwargs:  # every field, in order: a search's Results
            values: Iterable[tuple[str, Any]] = zip(names, args)  # noqa: B905 (counted)
        else:
            if args:
                kwargs = _by_name(class_name, names, args, kwargs)
            merged = {**template, **kwargs}  # keys in field order; an unknown one comes last
            if len(merged) != count or not kwargs.keys() >= required:
                raise _call_error(class_name, names, kwargs)
            for name, factory in factories:
                if merged[name] is factory:
                    merged[name] = factory.make()
            values = merged.items()
        attributes = self.__dict__
        for name, value in values:  # not update(): that would copy the key table
            attributes[name] = value
        if post_init is not None:
            post_init(self)

    return __init__


def _by_name(class_name: str, names: tuple[str, ...], args: tuple[Any, ...],
             kwargs: dict[str, Any]) -> dict[str, Any]:
    """Every value of a call by its field's name; TypeError for too many or a repeated one."""
    if len(args) > len(names):
        raise TypeError(f"{class_name}() takes {len(names)} positional arguments but "
                        f"{len(args)} were given")
    given = dict(zip(names, args))  # noqa: B905 (fewer args than names: checked above)
    repeated = [name for name in kwargs if name in given]
    if repeated:
        raise TypeError(f"{class_name}() got multiple values for argument {repeated[0]!r}")
    given.update(kwargs)
    return given


def _call_error(class_name: str, names: tuple[str, ...], given: dict[str, Any]) -> TypeError:
    """What was unknown or missing in a call, in the words Python uses for its own calls."""
    unknown = [name for name in given if name not in names]
    if unknown:
        return TypeError(f"{class_name}() got an unexpected keyword argument {unknown[0]!r}")
    return TypeError(f"{class_name}() missing required argument(s): "
                     + ", ".join(repr(n) for n in names if n not in given))


def _values_of(names: tuple[str, ...]) -> Callable[[Any], tuple[Any, ...]]:
    """The instance's field values as a tuple, in field order (attrgetter: done in C)."""
    if len(names) == 1:
        get = attrgetter(names[0])
        return lambda instance: (get(instance),)
    return attrgetter(*names)


def _repr(names: tuple[str, ...]) -> Callable[[Any], str]:
    def __repr__(self: Any) -> str:
        shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in names)
        return f"{type(self).__qualname__}({shown})"

    return __repr__


def _eq(values: Callable[[Any], tuple[Any, ...]]) -> Callable[[Any, Any], Any]:
    def __eq__(self: Any, other: Any) -> Any:
        if other.__class__ is self.__class__:
            return values(self) == values(other)
        return NotImplemented

    return __eq__


def _hash(values: Callable[[Any], tuple[Any, ...]]) -> Callable[[Any], int]:
    def __hash__(self: Any) -> int:
        return hash(values(self))

    return __hash__


def _setattr(self: Any, name: str, value: Any) -> None:
    raise FrozenInstanceError(f"cannot assign to field {name!r}")


def _delattr(self: Any, name: str) -> None:
    raise FrozenInstanceError(f"cannot delete field {name!r}")
