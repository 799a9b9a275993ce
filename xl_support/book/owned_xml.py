"""An owned sheet (book/sheets.SheetSpec) written as worksheet XML into an existing package: the
patch writer's counterpart of `sheets.render_openpyxl` (same spec, same look), with its bar chart
as a drawing + chart part. The replaced sheet keeps its part name, relationship id and `codeName`
(issue 13.1: no ghost VBA document module)."""
from __future__ import annotations

import datetime as dt
import re
from xl_support.book.xmltext import escape, quoteattr

from xl_support.book.xlsx import (CHART_CT, CHART_REL, DRAWING_CT, DRAWING_REL, FORMULA_TRIGGERS, KEEP, col_letters,
                                  _text, rels_name, resolve, split_ref, value_xml)

DATE_FORMAT = "dd/mm/yyyy"
EMU_PER_CM = 360000
_OWNED_REL_TYPES = ("/drawing", "/chart", "/comments", "/vmlDrawing", "/chartUserShapes", "/printerSettings", "/table")


def add_owned_sheet(wb, styles, spec) -> str:
    """Put `spec` into the package edited by `wb` (patch._WorkbookEdit), replacing the sheet of that
    name if there is one (same part, same code name), else as a new last sheet. Returns the part."""
    pkg, parts = wb.pkg, wb.parts
    entry = pkg.sheet(spec.name)
    code_name = None
    if entry and entry.part:
        part = entry.part
        old = pkg.text(part)
        m = re.search(r'<sheetPr\b[^>]*\bcodeName="([^"]*)"', old)
        code_name = m[1] if m else None
        _drop_owned_parts(wb, part)
    else:
        part = wb.new_part_name("xl/worksheets", "sheet")
        wb.add_sheet(spec.name, part)
    drawing_rid = None
    if spec.chart and spec.chart.last_row >= spec.chart.first_row:
        drawing_rid = "rId1"
        drawing = wb.new_part_name("xl/drawings", "drawing")
        chart = wb.new_part_name("xl/charts", "chart")
        parts[drawing] = drawing_xml(spec.chart).encode("utf-8")
        parts[rels_name(drawing)] = _rels([("rId1", CHART_REL, "../charts/" + chart.rsplit("/", 1)[1])])
        parts[chart] = chart_xml(spec.name, spec.chart).encode("utf-8")
        parts[rels_name(part)] = _rels([("rId1", DRAWING_REL, "../drawings/" + drawing.rsplit("/", 1)[1])])
        wb.add_override(drawing, DRAWING_CT)
        wb.add_override(chart, CHART_CT)
    parts[part] = sheet_xml(spec, styles, code_name, drawing_rid).encode("utf-8")
    wb.set_print_titles(spec.name, spec.print_title_rows)
    set_sheet_state(wb, spec.name, spec.hidden)
    return part


def set_sheet_state(wb, name: str, hidden: bool) -> None:
    """`SheetSpec.hidden` in workbook.xml: `state="hidden"` on the sheet's entry (not 'very hidden':
    Unhide shows it), else visible (as `render_openpyxl` rebuilds it). A hidden sheet is never the
    active tab nor the first tab shown: those move to the first visible sheet."""
    entry = wb.pkg.sheet(name)
    at = wb.xml.find(entry.tag) if entry is not None and entry.tag else -1
    if at < 0 or entry.state == ("hidden" if hidden else "visible"):
        return
    tag = re.sub(r'\s+state="[^"]*"', "", entry.tag)
    if hidden:
        tag = tag[:-2].rstrip() + ' state="hidden"/>'
    wb.xml = wb.xml[:at] + tag + wb.xml[at + len(entry.tag):]
    entry.state, entry.tag = ("hidden" if hidden else "visible"), tag
    if not hidden:
        return
    index = wb.sheet_index(name)
    visible = [i for i, s in enumerate(wb.pkg.sheets) if s.state in ("visible", None, "")]
    view = re.search(r"<(?:\w+:)?workbookView\b[^>]*?(?=/?>)", wb.xml)
    if not visible or not view:
        return
    tag = view[0]
    for key in ("activeTab", "firstSheet"):
        a = re.search(rf'\s{key}="(\d+)"', tag)
        if a and int(a[1]) == index:
            tag = tag.replace(a[0], f' {key}="{visible[0]}"')
    wb.xml = wb.xml[:view.start()] + tag + wb.xml[view.end():]


def _drop_owned_parts(wb, part: str) -> None:
    """Remove what the old owned sheet pointed at (its chart, drawing, comments): rebuilt each run."""
    parts = wb.parts
    for rel in wb.pkg.rels(part):
        if rel.external or not rel.type.endswith(_OWNED_REL_TYPES):
            continue
        target = resolve(part, rel.target)
        for inner in wb.pkg.rels(target) if target in parts else []:
            if not inner.external and inner.type.endswith(_OWNED_REL_TYPES + ("/chartStyle", "/chartColorStyle")):
                inner_target = resolve(target, inner.target)
                parts.pop(inner_target, None)
                parts.pop(rels_name(inner_target), None)
                wb.remove_override(inner_target)
        parts.pop(target, None)
        parts.pop(rels_name(target), None)
        wb.remove_override(target)
    parts.pop(rels_name(part), None)


def _rels(items: list[tuple[str, str, str]]) -> bytes:
    body = "".join(f'<Relationship Id="{i}" Type="{t}" Target="{x}"/>' for i, t, x in items)
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships '
            f'xmlns="http://schemas.openxmlformats.org/package/2006/relationships">{body}</Relationships>').encode()


def _cell_styles(spec, styles) -> tuple[dict[tuple[int, int], int], set[tuple[int, int]]]:
    """(row, col) → xf index: the spec's styles applied in order, links blue and underlined; and
    the cells given a number format."""
    attrs: dict[tuple[int, int], dict] = {}
    for s in spec.styles:
        for r in range(s.row, s.row + s.nrows):
            for c in range(s.col, s.col + s.ncols):
                a = attrs.setdefault((r, c), {})
                for k in ("number_format", "bold", "size", "fill", "wrap"):
                    v = getattr(s, k)
                    if v is not None:
                        a[k] = v
    for link in spec.links:
        attrs.setdefault((link.row, link.col), {})["link"] = True
    out = {}
    for cell, a in attrs.items():
        font = None
        if a.get("bold") or a.get("size") or a.get("link"):
            font = styles.font_id(bool(a.get("bold")), a.get("size"), "0563C1" if a.get("link") else None,
                                  bool(a.get("link")))
        out[cell] = styles.derive(0, number_format=a.get("number_format"), fill=a.get("fill", KEEP), font=font,
                                  wrap=a.get("wrap"))
    return out, {cell for cell, a in attrs.items() if a.get("number_format")}


def sheet_xml(spec, styles, code_name: str | None, drawing_rid: str | None) -> str:
    """The worksheet part of an owned sheet (CT_Worksheet elements in schema order)."""
    values = spec.cell_values()
    cell_style, formatted = _cell_styles(spec, styles)
    rows: dict[int, list[int]] = {}
    for r, c in values:
        rows.setdefault(r, []).append(c)
    for r, c in cell_style:
        if (r, c) not in values:
            rows.setdefault(r, []).append(c)
    texts: dict[str, str] = {}            # short text → its <t> element (a ledger repeats its texts)
    body = [_row_xml(r, sorted(rows[r]), values, cell_style, formatted, styles, spec.heights.get(r), texts)
            for r in sorted(rows)]
    empty = [r for r in spec.heights if r not in rows]
    if empty:
        body += [f'<row r="{r}" ht="{spec.heights[r]:g}" customHeight="1"/>' for r in empty]
        body.sort(key=lambda x: int(re.match(r'<row r="(\d+)"', x)[1]))
    last_row = max(rows, default=1)
    last_col = max((c for cs in rows.values() for c in cs), default=1)
    pr = f"<sheetPr{' codeName=' + quoteattr(code_name) if code_name else ''}>" + \
        ('<pageSetUpPr fitToPage="1"/>' if spec.fit_width else "") + "</sheetPr>"
    pane = ""
    if spec.freeze:
        r, c = split_ref(spec.freeze)
        xs, ys = c - 1, r - 1
        active = "bottomRight" if xs and ys else ("bottomLeft" if ys else "topRight")
        split = (f' xSplit="{xs}"' if xs else "") + (f' ySplit="{ys}"' if ys else "")
        pane = (f'<pane{split} topLeftCell="{spec.freeze}" '
                f'activePane="{active}" state="frozen"/><selection pane="{active}" activeCell="{spec.freeze}" '
                f'sqref="{spec.freeze}"/>')
    views = f'<sheetViews><sheetView workbookViewId="0">{pane}</sheetView></sheetViews>'
    cols = ""
    if spec.widths:
        cols = "<cols>" + "".join(f'<col min="{c}" max="{c}" width="{w:g}" customWidth="1"/>'
                                  for c, w in sorted(spec.widths.items())) + "</cols>"
    links = ""
    if spec.links:
        links = "<hyperlinks>" + "".join(
            f'<hyperlink ref="{col_letters(k.col)}{k.row}" location={quoteattr(k.location)} display={quoteattr(k.text)}/>'
            for k in spec.links) + "</hyperlinks>"
    setup = (f'<printOptions horizontalCentered="1"/><pageMargins left="0.5" right="0.5" top="0.75" bottom="0.75" '
             f'header="0.3" footer="0.3"/><pageSetup paperSize="9" orientation="{"landscape" if spec.landscape else "portrait"}"'
             + (' fitToWidth="1" fitToHeight="0"' if spec.fit_width else "") + "/>")
    breaks = ""
    if spec.page_breaks:
        breaks = (f'<rowBreaks count="{len(spec.page_breaks)}" manualBreakCount="{len(spec.page_breaks)}">'
                  + "".join(f'<brk id="{r - 1}" max="16383" man="1"/>' for r in spec.page_breaks) + "</rowBreaks>")
    drawing = f'<drawing r:id="{drawing_rid}"/>' if drawing_rid else ""
    protection = '<sheetProtection sheet="1" objects="1" scenarios="1"/>' if spec.protected else ""
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
            f'{pr}<dimension ref="A1:{col_letters(last_col)}{last_row}"/>{views}'
            f'<sheetFormatPr defaultRowHeight="15"/>{cols}<sheetData>{"".join(body)}</sheetData>'
            f'{protection}{validations_xml(spec.validations)}{links}{setup}{breaks}{drawing}</worksheet>')


def validations_xml(validations) -> str:
    """`SheetSpec.validations` (drop-down lists) as `<dataValidations>`, like `render_openpyxl`:
    blank allowed, a warning (not a stop) on other values, the prompt shown when given."""
    if not validations:
        return ""
    items = []
    for v in validations:
        prompt = f' showInputMessage="1" prompt={quoteattr(v.prompt[:255])}' if v.prompt else ""
        items.append(f'<dataValidation type="list" errorStyle="warning" allowBlank="1" showErrorMessage="1"{prompt} '
                     f'sqref="{col_letters(v.col)}{v.row}"><formula1>{escape(v.source)}</formula1></dataValidation>')
    return f'<dataValidations count="{len(items)}">{"".join(items)}</dataValidations>'


_LETTERS: dict[int, str] = {}


def _row_xml(r: int, cols: list[int], values: dict, cell_style: dict, formatted: set, styles,
             height: float | None, texts: dict[str, str]) -> str:
    """One `<row>` of an owned sheet; plain text, whole numbers and dates written without a call
    per cell (a closed month's ledger has hundreds of thousands of cells), anything else by
    `xlsx.value_xml`."""
    cells = []
    for c in cols:
        ref = (_LETTERS.get(c) or _LETTERS.setdefault(c, col_letters(c))) + str(r)
        v = values.get((r, c))
        s = cell_style.get((r, c), 0)
        cls = v.__class__
        if cls is str and v:
            if v.startswith(FORMULA_TRIGGERS):
                s = styles.derive(s, quote=True)
            t = texts.get(v) if len(v) < 64 else None
            if t is None:
                t = _text(v)
                if len(v) < 64:
                    texts[v] = t
            cells.append(f'<c r="{ref}" s="{s}" t="inlineStr"><is>{t}</is></c>' if s else
                         f'<c r="{ref}" t="inlineStr"><is>{t}</is></c>')
        elif cls is int:
            cells.append(f'<c r="{ref}" s="{s}"><v>{v}</v></c>' if s else f'<c r="{ref}"><v>{v}</v></c>')
        elif v is None:
            cells.append(f'<c r="{ref}" s="{s}"/>' if s else f'<c r="{ref}"/>')
        else:
            if isinstance(v, (dt.date, dt.datetime)) and (r, c) not in formatted:
                s = styles.derive(s, number_format=DATE_FORMAT)
            elif isinstance(v, str) and v.startswith(FORMULA_TRIGGERS):
                s = styles.derive(s, quote=True)
            cells.append(value_xml(ref, s, v))
    ht = f' ht="{height:g}" customHeight="1"' if height else ""
    return f'<row r="{r}"{ht}>' + "".join(cells) + "</row>"


def drawing_xml(chart) -> str:
    """A one-cell anchor at the chart's anchor cell, its size in EMU."""
    r, c = split_ref(chart.anchor)
    cx, cy = int(chart.width_cm * EMU_PER_CM), int(chart.height_cm * EMU_PER_CM)
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<xdr:wsDr xmlns:xdr="http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing" '
            'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main">'
            f'<xdr:oneCellAnchor><xdr:from><xdr:col>{c - 1}</xdr:col><xdr:colOff>0</xdr:colOff><xdr:row>{r - 1}</xdr:row>'
            f'<xdr:rowOff>0</xdr:rowOff></xdr:from><xdr:ext cx="{cx}" cy="{cy}"/>'
            '<xdr:graphicFrame macro=""><xdr:nvGraphicFramePr><xdr:cNvPr id="1" name="Biểu đồ 1"/><xdr:cNvGraphicFramePr/>'
            '</xdr:nvGraphicFramePr><xdr:xfrm><a:off x="0" y="0"/><a:ext cx="0" cy="0"/></xdr:xfrm>'
            '<a:graphic><a:graphicData uri="http://schemas.openxmlformats.org/drawingml/2006/chart">'
            '<c:chart xmlns:c="http://schemas.openxmlformats.org/drawingml/2006/chart" '
            'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" r:id="rId1"/>'
            '</a:graphicData></a:graphic></xdr:graphicFrame><xdr:clientData/></xdr:oneCellAnchor></xdr:wsDr>')


def _title(text: str, size: int = 1200) -> str:
    return (f'<c:title><c:tx><c:rich><a:bodyPr/><a:p><a:pPr><a:defRPr sz="{size}" b="1"/></a:pPr><a:r><a:rPr lang="vi-VN" '
            f'sz="{size}" b="1"/><a:t>{escape(text)}</a:t></a:r></a:p></c:rich></c:tx><c:overlay val="0"/></c:title>')


def chart_xml(sheet: str, chart) -> str:
    """A clustered column chart over the sheet's cells (sheets.ChartSpec)."""
    q = "'" + sheet.replace("'", "''") + "'"
    cat = f"{q}!${col_letters(chart.category_col)}${chart.first_row}:${col_letters(chart.category_col)}${chart.last_row}"
    series = []
    for i, col in enumerate(chart.series_cols):
        letter = col_letters(col)
        series.append(
            f'<c:ser><c:idx val="{i}"/><c:order val="{i}"/><c:tx><c:strRef><c:f>{escape(q)}!${letter}${chart.header_row}'
            f'</c:f></c:strRef></c:tx><c:invertIfNegative val="0"/><c:cat><c:strRef><c:f>{escape(cat)}</c:f></c:strRef>'
            f'</c:cat><c:val><c:numRef><c:f>{escape(q)}!${letter}${chart.first_row}:${letter}${chart.last_row}</c:f>'
            f'</c:numRef></c:val></c:ser>')
    y_title = _title(chart.y_title, 1000) if chart.y_title else ""
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<c:chartSpace xmlns:c="http://schemas.openxmlformats.org/drawingml/2006/chart" '
            'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" '
            'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
            f'<c:roundedCorners val="0"/><c:chart>{_title(chart.title)}<c:autoTitleDeleted val="0"/><c:plotArea><c:layout/>'
            f'<c:barChart><c:barDir val="col"/><c:grouping val="clustered"/><c:varyColors val="0"/>{"".join(series)}'
            '<c:gapWidth val="150"/><c:axId val="10"/><c:axId val="100"/></c:barChart>'
            '<c:catAx><c:axId val="10"/><c:scaling><c:orientation val="minMax"/></c:scaling><c:delete val="0"/>'
            '<c:axPos val="b"/><c:numFmt formatCode="General" sourceLinked="1"/><c:tickLblPos val="nextTo"/>'
            '<c:crossAx val="100"/><c:crosses val="autoZero"/><c:auto val="1"/><c:lblAlgn val="ctr"/><c:lblOffset val="100"/>'
            '</c:catAx><c:valAx><c:axId val="100"/><c:scaling><c:orientation val="minMax"/></c:scaling><c:delete val="0"/>'
            f'<c:axPos val="l"/><c:majorGridlines/>{y_title}<c:numFmt formatCode="#,##0" sourceLinked="0"/>'
            '<c:tickLblPos val="nextTo"/><c:crossAx val="10"/><c:crosses val="autoZero"/><c:crossBetween val="between"/>'
            '</c:valAx></c:plotArea><c:legend><c:legendPos val="r"/><c:overlay val="0"/></c:legend>'
            '<c:plotVisOnly val="1"/></c:chart></c:chartSpace>')
