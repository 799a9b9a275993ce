"""The public list's one-pass screen (issue 18, exports ≤ 5 ×): `privacy.may_mention` never says
"no" where `mentions_sensitive` finds a sensitive word, whatever the form of the text."""
import unicodedata

from hypothesis import given, settings, strategies as st

from xl_support.engine.policy import DEFAULT as GROUPS
from xl_support.operations.exports import privacy
from xl_support.operations.exports.lists import sensitive_terms

TERMS = list(sensitive_terms(GROUPS))
PIECES = st.sampled_from(TERMS + ["Nguyễn", "Thị", "Văn", "An", "h", "i", "v", "H.I.V", "HIV", "Ｈ Ｉ Ｖ", "đ", "Đ",
                                  " ", ".", "-", "_", "\u0301", "\u0323", "12", "x"])


def forms(text: str) -> list[str]:
    return [text, text.upper(), unicodedata.normalize("NFD", text), unicodedata.normalize("NFKC", text)]


@given(st.lists(PIECES, max_size=8).map("".join))
@settings(max_examples=400, deadline=None)
def test_no_text_found_sensitive_is_screened_out(text):
    for t in forms(text):
        if privacy.mentions_sensitive(t, TERMS):
            assert privacy.may_mention([t], TERMS) == {0}, t
            assert 1 in privacy.may_mention(["Trần Văn B", t, None, "Lê Thị C"], TERMS), t


def test_a_list_of_names_is_screened_in_one_pass():
    """Only the names that may hold a term are looked at one by one (`Hiệp` holds `hiep`)."""
    names = ["Nguyễn Văn An", "Trần Thị Bích", None, "Tổ dân phố 3", "Trẻ nhiễm H.I.V", "Lê Văn Hiệp", "B\x00C"]
    assert privacy.may_mention(names, TERMS) == {4, 5}
    assert privacy.mentions_sensitive(names[4], TERMS) and not privacy.mentions_sensitive(names[5], TERMS)
