"""Style values of the exported documents: font, alignment, border side, border, solid fill.

Issue 18 item 5 (design.md "Start-up of a command: ≤ 0.3 s of imports"): the documents are written
by `documents.xlsx`, which only reads these values, so an export or a consolidation does not load
openpyxl (0.12–0.16 s) for its style classes. The attribute names are openpyxl's (``Font.sz``,
``.b``, ``.i``, ``.u``; ``Alignment.horizontal``, ``.vertical``, ``.wrap_text``; ``Side.style``,
``.color``; ``Border.left`` …; ``PatternFill.fill_type``, ``.start_color``), so the layout code reads
either kind; colours are ARGB strings. The values are immutable and hashable (shared between
cells, compared by value). :func:`openpyxl_style` gives the openpyxl equivalent for a layout
written into an openpyxl worksheet.
"""
from __future__ import annotations

import functools

__all__ = ["Font", "Alignment", "Side", "Border", "PatternFill", "openpyxl_style"]


class _Value:
    __slots__ = ()

    def _key(self) -> tuple:
        return tuple(getattr(self, a) for a in self.__slots__)

    def __eq__(self, other) -> bool:
        return type(other) is type(self) and other._key() == self._key()

    def __hash__(self) -> int:
        return hash((type(self).__name__, self._key()))

    def __setattr__(self, name, value):
        raise AttributeError(f"{type(self).__name__} is immutable")

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(f'{a}={getattr(self, a)!r}' for a in self.__slots__)})"

    def _set(self, **values) -> None:
        for name, value in values.items():
            object.__setattr__(self, name, value)


class Font(_Value):
    __slots__ = ("name", "sz", "b", "i", "u", "family")

    def __init__(self, name: str | None = None, size: float | None = None, bold: bool = False,
                 italic: bool = False, underline: str | None = None, family: int | None = None):
        self._set(name=name, sz=size, b=bool(bold), i=bool(italic), u=underline, family=family)


class Alignment(_Value):
    __slots__ = ("horizontal", "vertical", "wrap_text")

    def __init__(self, horizontal: str | None = None, vertical: str | None = None, wrap_text: bool = False):
        self._set(horizontal=horizontal, vertical=vertical, wrap_text=bool(wrap_text))


class Side(_Value):
    __slots__ = ("style", "color")

    def __init__(self, style: str | None = None, color: str | None = None):
        self._set(style=style, color=color)


class Border(_Value):
    __slots__ = ("left", "right", "top", "bottom")

    def __init__(self, left: Side | None = None, right: Side | None = None, top: Side | None = None,
                 bottom: Side | None = None):
        self._set(left=left, right=right, top=top, bottom=bottom)


class PatternFill(_Value):
    __slots__ = ("fill_type", "start_color", "end_color")

    def __init__(self, fill_type: str | None = None, start_color: str | None = None, end_color: str | None = None):
        self._set(fill_type=fill_type, start_color=start_color, end_color=end_color)


@functools.lru_cache(maxsize=None)
def openpyxl_style(value: _Value):
    """The openpyxl object of a style value (imports openpyxl: only for an openpyxl worksheet)."""
    from openpyxl import styles
    if isinstance(value, Font):
        return styles.Font(name=value.name, size=value.sz, bold=value.b, italic=value.i, underline=value.u,
                           family=value.family)
    if isinstance(value, Alignment):
        return styles.Alignment(horizontal=value.horizontal, vertical=value.vertical, wrap_text=value.wrap_text)
    if isinstance(value, Side):
        return styles.Side(style=value.style, color=value.color)
    if isinstance(value, Border):
        return styles.Border(**{k: openpyxl_style(s) if s is not None else styles.Side()
                                for k, s in zip(value.__slots__, value._key())})
    if isinstance(value, PatternFill):
        return styles.PatternFill(fill_type=value.fill_type, start_color=value.start_color,
                                  end_color=value.end_color)
    raise TypeError(f"not a style value: {value!r}")
