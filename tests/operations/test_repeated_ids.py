"""R11 across units (issue 18 item 4): the IDs repeated city-wide, found by number, are those
found by text."""
from hypothesis import given, settings, strategies as st

from xl_support.engine.dedupe import LONG_ID, id_keys_of, id_numbers, repeated, repeated_ids

DIGITS = st.one_of(st.none(), st.sampled_from(["0", "00", "012", "12", "1" * 17, "1" * 18, "01" * 9, "0" * 17]),
                   st.text(alphabet="0123456789", min_size=1, max_size=20))


@given(st.lists(DIGITS, max_size=40))
@settings(max_examples=300, deadline=None)
def test_repeated_ids_by_number_equal_by_text(keys):
    assert repeated_ids(id_numbers(keys), keys).tolist() == repeated(keys).tolist()


@given(st.lists(DIGITS, max_size=40))
@settings(max_examples=300, deadline=None)
def test_id_numbers_give_back_their_keys(keys):
    """What a worker sends instead of the keys (`consolidate.FileResult.id_number`, the long ones
    apart) is enough to print them again: `012` stays `012`."""
    numbers = id_numbers(keys)
    long = [k if n == LONG_ID else None for k, n in zip(keys, numbers.tolist())]
    assert id_keys_of(numbers, long).tolist() == keys
