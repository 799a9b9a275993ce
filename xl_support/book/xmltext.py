"""Text into XML, as `xml.sax.saxutils` does it, without importing that package (it pulls in
urllib, http and ssl: ~30 ms of every command's start-up, issue 18.5)."""
from __future__ import annotations


def escape(text: str, entities: dict[str, str] | None = None) -> str:
    """`&`, `<`, `>` as entities, then each key of `entities` as its value."""
    text = text.replace("&", "&amp;").replace(">", "&gt;").replace("<", "&lt;")
    for char, entity in (entities or {}).items():
        text = text.replace(char, entity)
    return text


def quoteattr(text: str) -> str:
    """An attribute value with its quotes (`"…"`, or `'…'` when the text holds `"` only)."""
    text = escape(text, {"\n": "&#10;", "\r": "&#13;", "\t": "&#9;"})
    if '"' not in text:
        return f'"{text}"'
    if "'" not in text:
        return f"'{text}'"
    return '"' + text.replace('"', "&quot;") + '"'
