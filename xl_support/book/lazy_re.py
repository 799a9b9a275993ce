"""Regular expressions compiled on first use (issue 18.5): compiling costs ~0.1–0.5 ms a
pattern at every start, for patterns most commands never use."""
from __future__ import annotations

import re

_METHODS = ("search", "match", "fullmatch", "findall", "finditer", "sub", "subn", "split")


class Pattern:
    """`re.compile(pattern, flags)`, compiled when first used; the compiled pattern's methods
    are then kept on the object, so later calls cost what they cost on a compiled pattern."""

    def __init__(self, pattern: str | bytes, flags: int = 0):
        self._source = (pattern, flags)

    def __getattr__(self, name: str):
        compiled = self.__dict__.get("_compiled")
        if compiled is None:
            compiled = self._compiled = re.compile(*self._source)
            for method in _METHODS:
                setattr(self, method, getattr(compiled, method))
        return getattr(compiled, name)
