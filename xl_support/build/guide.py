"""Text of the workbook's `Hướng dẫn` sheet (issue 4): what the workbook does, set-up, buttons,
sheets, columns, functions, and the interpretations of docs/interpretation.md (domain.md:
every [decision] is shown in the workbook so a ward can see and challenge it).

Rows are (kind, label, text): kind 'title' | 'section' | 'item' | 'para'.
"""
from __future__ import annotations

import re
from pathlib import Path

from xl_support.book.register import FIELDS
from xl_support.book.template_layout import INTERPRETER_WIN, VENV_DIR_WIN
from xl_support.build import resources
from xl_support.build.resources import bundle_name


_ITEM = re.compile(r"^(\d+)\.\s+(.*)$")
_MARKUP = re.compile(r"\*\*|`")
_ITALIC = re.compile(r"(?<![\w*])\*(?!\s)([^*]+?)\*(?![\w*])")


_DEV_NOTE = re.compile(r"\s*\*\([\x20-\x7e]*\)\*")


def plain(markdown: str) -> str:
    """Markdown inline text → plain text for staff: bold, italics and code marks removed; the
    developers' notes (an italic parenthesis in plain ASCII: English, rule ids like *(R5.)*) are
    dropped, Vietnamese references like *(KH mục II.2.)* kept."""
    text = _DEV_NOTE.sub("", markdown)
    return _ITALIC.sub(r"\1", _MARKUP.sub("", text)).strip()


def interpretation_items(text: str) -> list[tuple[str, str]]:
    """The numbered points of docs/interpretation.md as (number, plain text), continuation lines
    joined; the English preamble is not shown (user-facing text is Vietnamese)."""
    items: list[list[str]] = []
    for line in text.splitlines():
        m = _ITEM.match(line)
        if m:
            items.append([m.group(1), m.group(2).strip()])
        elif items and line[:1].isspace() and line.strip():
            items[-1][1] += " " + line.strip()
        elif items and not line.strip():
            continue
        elif items:
            items.append(["", ""])  # a non-item line ends the current item
    return [(n, plain(t)) for n, t in items if n]


def read_interpretations(path: Path | None = None) -> list[tuple[str, str]]:
    path = path or resources.interpretation_path()
    if not path.exists():
        return [("", "Chưa có tệp docs/interpretation.md trong mã nguồn.")]
    return interpretation_items(path.read_text("utf-8"))


BUTTONS = (
    ("Kiểm tra dữ liệu", "Kiểm tra mọi dòng của hai danh sách (ngày sai, mã đối tượng không có, thiếu "
     "số định danh, trùng người…). Kết quả ghi vào sheet «Kiểm tra», mỗi lỗi một dòng có liên kết tới "
     "ô sai; các ô sai được tô màu. Nên bấm trước khi gửi báo cáo."),
    ("Tính lại", "Tính năm cột «Mức hỗ trợ», «Trong đó bù chênh lệch», «Hỗ trợ BHYT», «Hưởng đến ngày», "
     "«Căn cứ» cho tháng báo cáo, áp dụng quy tắc mỗi người chỉ hưởng một mức cao nhất (giữa các dòng "
     "và giữa hai danh sách). Kết quả được ghi thành giá trị của tháng đó, thay cho công thức trực "
     "tiếp; bấm «Nạp lại hàm» để đặt lại công thức."),
    ("Tổng hợp", "Lập sheet «Tổng hợp»: số người và kinh phí theo nhóm, khu vực, tổ dân phố; chi trả "
     "tháng báo cáo và nhu cầu kinh phí cả năm."),
    ("Chốt tháng", "Sau khi đã chi trả tháng báo cáo: ghi số tiền từng người (kèm truy lĩnh đã trả) vào "
     "sheet ẩn «Đã chi trả». Tháng đã chốt không bao giờ tính lại: sửa sổ hay đổi tham số sau đó thì "
     "phần chênh lệch hiện thành truy lĩnh (trả thêm) hoặc truy thu (trả thừa) ở tháng sau. Chốt lần "
     "lượt từng tháng; không chốt lại được một tháng đã chốt."),
    ("Xuất báo cáo", "Lập một tệp Excel mới: báo cáo thành phố; danh sách BHYT (mẫu D03-TS) gửi Bảo hiểm "
     "xã hội; danh sách chi trả để in ký nhận (kèm cột truy lĩnh và sheet truy lĩnh, truy thu); danh "
     "sách công khai (không ghi nhóm nhạy cảm, số định danh chỉ hiện 4 số cuối); dự toán kinh phí; "
     "truy lĩnh, truy thu; thay đổi hai tháng tới (tăng, giảm BHYT, thôi hưởng, đổi mức)."),
    ("Nạp lại hàm", "Nạp lại các hàm HP_ (sau khi cài bản chương trình Python mới) và đặt lại công thức "
     "trực tiếp ở năm cột tính toán sau khi đã bấm «Tính lại»."),
    ("Hướng dẫn", "Mở sheet này."),
)

MONTHLY_ROUTINE = (     # issue 17: the monthly cycle in five lines
    "Kiểm tra dữ liệu: sửa hết các lỗi trong sheet «Kiểm tra».",
    "Tính lại: xem mức hỗ trợ của tháng báo cáo.",
    "Xuất danh sách chi trả: in, chi trả, lấy chữ ký (truy lĩnh cộng vào; truy thu chỉ liệt kê, không tự trừ).",
    "Chốt tháng: ghi số đã chi trả vào sheet «Đã chi trả».",
    "Xem thay đổi tháng tới (Xuất báo cáo → Thay đổi tháng tới): ai tăng, giảm BHYT, thôi hưởng, đổi mức; "
    "rồi đổi «Tháng báo cáo» ở sheet «Tham số» sang tháng sau.",
)

SHEETS = (
    ("Trẻ em NQ55", "Danh sách trẻ em hưởng hỗ trợ theo Nghị quyết 55/2025/NQ-HĐND."),
    ("Hộ nghèo NQ04", "Danh sách thành viên hộ nghèo, cận nghèo, thoát nghèo, thoát cận nghèo hưởng hỗ "
     "trợ theo Nghị quyết 04/2026/NQ-HĐND."),
    ("Tham số", "Đơn vị, loại đơn vị, tháng báo cáo; các mức chuẩn nghèo, mức chuẩn trợ giúp xã hội, "
     "lương cơ sở, tỷ lệ đóng BHYT theo thời kỳ kèm văn bản căn cứ; mức hỗ trợ các nhóm NQ 04/2026 "
     "chưa xác nhận. Sửa một giá trị ở đây thì công thức và các nút dùng giá trị mới."),
    ("Tổng hợp", "Do nút «Tổng hợp» lập; không nhập tay."),
    ("Đã chi trả", "Sheet ẩn, khóa (không mật khẩu) do nút «Chốt tháng» ghi: mỗi dòng một người, một tháng "
     "được hưởng, số tiền đã chi trả. Không sửa tay."),
    ("Kiểm tra", "Do nút «Kiểm tra dữ liệu» lập; không nhập tay."),
)

COLUMN_HELP = {
    "stt": "Số thứ tự (không bắt buộc).",
    "name": "Họ và tên đầy đủ, có dấu.",
    "birth": "Ngày sinh, dạng dd/mm/yyyy (ví dụ 05/09/2015).",
    "sex": "Nam / Nữ (chọn trong danh sách).",
    "id": "Số định danh cá nhân 12 chữ số (ô dạng văn bản để giữ số 0 ở đầu). Dùng để phát hiện "
          "một người có tên ở nhiều dòng.",
    "residential_group": "Tổ dân phố / thôn nơi cư trú.",
    "area": "Thành thị / Nông thôn: quyết định chuẩn nghèo áp dụng. Để trống thì lấy theo loại "
            "đơn vị ở sheet Tham số.",
    "household_type": "Nghèo / Cận nghèo / Thoát nghèo / Thoát cận nghèo (chỉ sổ NQ 04).",
    "group": "Mã nhóm đối tượng; chọn trong danh sách (hiện «mã – tên nhóm») hoặc gõ mã, ví dụ "
             "CN, TN-BTXH, KNND, HN-BTXH.",
    "allowance": "Trợ cấp xã hội hằng tháng người đó đang hưởng (đồng/tháng); bắt buộc với nhóm "
                 "bù chênh lệch (…-BTXH), để trống với các nhóm khác.",
    "recognised": "Ngày quyết định công nhận hộ thoát nghèo/thoát cận nghèo (nhóm TN, TN-BTXH và "
                  "hộ thoát nghèo của NQ 04): tính 36 tháng được tiếp tục hưởng.",
    "mother_birth": "Ngày sinh của mẹ (nhóm SRXHTD: hưởng đến khi mẹ đủ 18 tuổi; chỉ sổ NQ 55).",
    "decision": "Ngày Chủ tịch UBND ký quyết định hỗ trợ: hưởng từ tháng này (hoặc từ «Chi trả từ tháng» "
                "nếu quyết định ghi). Để trống = chưa chi trả. Người phải còn đủ điều kiện vào ngày ký.",
    "pay_from": "Không bắt buộc. Tháng bắt đầu chi trả khi quyết định ghi rõ (mm/yyyy), ví dụ người chuyển "
                "đến: ghi đúng tháng nơi cũ thôi chi trả. Có thể trước tháng ký: các tháng đó được truy lĩnh "
                "trong lần chi trả đầu tiên. Để trống = từ tháng ký quyết định.",
    "stop": "Ngày xảy ra sự kiện làm thôi hưởng (chết, không còn đủ điều kiện): tháng này là tháng cuối "
            "được hưởng. Người chuyển đi nơi khác: ghi «Thôi chi trả từ tháng», không ghi cột này.",
    "stop_pay_from": "Không bắt buộc. Tháng đầu tiên KHÔNG chi trả theo quyết định thôi chi trả (mm/yyyy), "
                     "ví dụ người chuyển đi nơi khác: tháng trước đó là tháng cuối được hưởng. Nơi mới ghi "
                     "cùng tháng này vào «Chi trả từ tháng».",
    "school": "Trường đang học (chỉ sổ NQ 55; dùng cho danh sách BHYT học sinh).",
    "note": "Ghi chú tự do.",
    "insurance_number": "Cột không bắt buộc (thêm khi cần): mã số BHXH 10 chữ số, nhập dạng văn bản để giữ "
                        "số 0 ở đầu; đưa vào cột 1 của danh sách D03-TS.",
    "kcb_place": "Cột không bắt buộc (thêm khi cần): nơi đăng ký khám chữa bệnh ban đầu; đưa vào cột 6 của "
                 "danh sách D03-TS.",
    "benefit": "TỰ TÍNH: mức hỗ trợ tháng báo cáo (đồng/tháng), hoặc lý do chưa tính được.",
    "topup": "TỰ TÍNH: phần bù chênh lệch lên chuẩn nghèo (nhóm …-BTXH).",
    "insurance": "TỰ TÍNH: Có / Không được ngân sách hỗ trợ đóng BHYT trong tháng báo cáo.",
    "end_date": "TỰ TÍNH: ngày cuối cùng được hưởng (ngày cuối của tháng cuối được chi trả).",
    "basis": "TỰ TÍNH: căn cứ: nhóm, điều khoản, cách tính, tham số đã dùng và lý do ngày kết thúc.",
}

FUNCTIONS = (
    ("HP_BENEFIT", "Mức hỗ trợ (đồng/tháng)."),
    ("HP_TOPUP", "Phần bù chênh lệch."),
    ("HP_INSURANCE", "Có / Không hỗ trợ BHYT."),
    ("HP_END_DATE", "Hưởng đến ngày."),
    ("HP_BASIS", "Căn cứ tính."),
    ("HP_POVERTY_LINE", "Chuẩn nghèo theo khu vực và tháng."),
    ("HP_STANDARD", "Mức chuẩn trợ giúp xã hội (Chính phủ)."),
    ("HP_CITY_STANDARD", "Mức chuẩn trợ giúp xã hội của thành phố."),
    ("HP_BASE_SALARY", "Lương cơ sở."),
    ("HP_INSURANCE_COST", "Tiền đóng BHYT một người một tháng (4,5% lương cơ sở)."),
)

def setup_steps() -> tuple[str, ...]:
    """Installing on a ward PC from the offline bundle (issue 14; the installer is cai-dat.cmd)."""
    return (
        f"Nhận bộ cài {bundle_name()} (từ cơ quan cấp trên, USB hoặc thư điện tử), bấm chuột phải → "
        "Extract All (Giải nén) vào một thư mục, ví dụ D:\\HoTroNQ. Bộ cài chứa mọi thứ cần thiết, "
        "máy không cần mạng.",
        "Nếu máy chưa có Python 3.11, 3.12 hoặc 3.13: cài từ bộ cài python.org (chọn «Add python.exe "
        "to PATH»). Chỉ cài một lần.",
        f"Bấm đúp tệp cai-dat.cmd trong thư mục vừa giải nén. Chương trình tạo môi trường Python riêng ở "
        f"{VENV_DIR_WIN}, cài hp-support và xlwings 0.37.8 từ các tệp trong bộ cài, chép add-in "
        "HoTroNQ.xlam vào thư mục AddIns của Excel, rồi in ra các việc cần làm trong Excel. Cài bản mới: "
        "chạy lại cai-dat.cmd của bản mới.",
        "Trong Excel: File → Options → Add-ins → Manage: Excel Add-ins → Go… → đánh dấu «HoTroNQ» → OK "
        "(chỉ cần với add-in; sổ Template.xlsm tự có thẻ «Hỗ trợ NQ»).",
        "Đặt sổ trong một thư mục tin cậy: Excel → File → Options → Trust Center → Trust Center "
        "Settings → Trusted Locations → Add new location. Nếu sổ được tải về từ mạng/email: bấm chuột "
        "phải vào tệp → Properties → đánh dấu «Unblock» → OK (nếu không Excel sẽ chặn macro).",
        "Mở sổ, bấm «Enable Content» (Bật nội dung) nếu Excel hỏi. Thẻ «Hỗ trợ NQ» xuất hiện trên thanh "
        "ribbon.",
        "Công thức HP_ tính trực tiếp khi nhập dữ liệu (cần Microsoft 365 hoặc Excel 2021 trở lên để kết "
        "quả tự trải xuống cả cột). Với Excel 2016/2019 chỉ dòng đầu hiện kết quả: dùng nút «Tính lại».",
        f"Sheet ẩn «xlwings.conf» chứa cài đặt xlwings: Interpreter_Win = {INTERPRETER_WIN} (Python do "
        "cai-dat.cmd cài; Excel tự thay %LOCALAPPDATA% bằng thư mục của người dùng), UDF Modules = udfs "
        "(các hàm HP_), Use UDF Server, Show Console, Debug UDFs. Chỉ sửa khi được hướng dẫn.",
    )


def guide_rows(interpretations: list[tuple[str, str]], example: str) -> list[tuple[str, str, str]]:
    """Every row of the guide sheet, top to bottom."""
    from xl_support import __version__
    rows: list[tuple[str, str, str]] = [
        ("title", "HƯỚNG DẪN SỬ DỤNG SỔ THEO DÕI HỖ TRỢ XÃ HỘI", ""),
        ("para", "", "Sổ dùng cho cấp xã, phường, đặc khu của thành phố Hải Phòng để quản lý hai chính "
                     "sách: hỗ trợ trẻ em có hoàn cảnh đặc biệt, khó khăn theo Nghị quyết 55/2025/NQ-HĐND "
                     "và hỗ trợ thành viên hộ nghèo, cận nghèo theo Nghị quyết 04/2026/NQ-HĐND. Cán bộ "
                     "nhập danh sách; sổ tự tính mức hỗ trợ hằng tháng, hỗ trợ BHYT, ngày hết hưởng và căn "
                     "cứ; các nút trên thẻ «Hỗ trợ NQ» kiểm tra dữ liệu, tổng hợp và xuất báo cáo."),
        ("item", "Phiên bản", f"Sổ này thuộc hp-support {__version__} (bộ cài {bundle_name()}). cai-dat.cmd in ra "
                              "phiên bản vừa cài; dùng sổ và chương trình cùng một phiên bản."),
        ("section", "1. Cài đặt lần đầu (máy Windows)", ""),
    ]
    rows += [("item", f"Bước {i}", text) for i, text in enumerate(setup_steps(), 1)]
    rows.append(("section", "2. Các nút trên thẻ «Hỗ trợ NQ»", ""))
    rows += [("item", name, text) for name, text in BUTTONS]
    rows.append(("para", "", "Việc hằng tháng, theo thứ tự:"))
    rows += [("item", f"Bước {i}", text) for i, text in enumerate(MONTHLY_ROUTINE, 1)]
    rows.append(("section", "3. Các sheet", ""))
    rows += [("item", name, text) for name, text in SHEETS]
    rows.append(("section", "4. Các cột của danh sách", ""))
    rows += [("item", f.header, COLUMN_HELP[f.name]) for f in FIELDS]
    rows.append(("para", "", "Không đổi tên các tiêu đề cột; có thể thêm cột riêng ở bên phải cột «Căn cứ». "
                             "Năm cột nền xám do công thức tự tính: không gõ vào các cột này."))
    rows.append(("section", "5. Các hàm HP_ (dùng được ở bất kỳ ô nào)", ""))
    rows += [("item", name, text) for name, text in FUNCTIONS]
    rows.append(("para", "", "Đối số: Mã đối tượng, Ngày sinh, Khu vực, Ngày ký quyết định, Trợ cấp đang hưởng, "
                             "Ngày công nhận, Ngày thôi hưởng, Ngày sinh của mẹ, Chi trả từ tháng, Thôi chi trả "
                             "từ tháng, Loại hộ, Tháng, Bảng tham số – mỗi đối số "
                             "là một ô hoặc cả cột. Ví dụ cho dòng 6 của sổ NQ 55: " + example + " (máy đặt dấu phân cách "
                             "là dấu chấm phẩy thì thay dấu phẩy bằng dấu chấm phẩy)."))
    rows.append(("section", "6. Cách hiểu và áp dụng quy định", ""))
    rows.append(("para", "", "Những điểm văn bản chưa quy định rõ, sổ áp dụng như sau (đơn vị có ý kiến khác "
                             "xin báo để thống nhất):"))
    rows += [("item", f"Điểm {n}" if n else "", text) for n, text in interpretations]
    return rows
