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


_PREDEFINED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"', "apos": "'"}


def unescape(text: str) -> str:
    """XML text with its entity and character references replaced (the five predefined ones and
    `&#…;`/`&#x…;`, all XML has), without `html` and its table of HTML entities (issue 18.5). A
    reference that is not one of these is left as written."""
    if "&" not in text:
        return text
    out, at = [], 0
    while (amp := text.find("&", at)) >= 0:
        end = text.find(";", amp + 1)
        if end < 0:
            break
        name, char = text[amp + 1:end], None
        if name in _PREDEFINED:
            char = _PREDEFINED[name]
        elif name[:1] == "#":
            digits, base = (name[2:], 16) if name[1:2] in ("x", "X") else (name[1:], 10)
            try:
                char = chr(int(digits, base)) if digits.isalnum() else None
            except (ValueError, OverflowError):
                char = None
        out.append(text[at:amp] if char is None else text[at:amp] + char)
        if char is None:
            out.append("&")
            at = amp + 1
        else:
            at = end + 1
    out.append(text[at:])
    return "".join(out)
