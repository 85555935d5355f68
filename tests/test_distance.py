import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from npc.distance import ncd


def test_hand_values():
    assert ncd([30, 20], [20, 10], [25, 10]).tolist() == [0.4, 1.0]


def test_zero_sizes_give_zero_distance():
    assert ncd([0], [0], [0]).tolist() == [0.0]


def test_broadcasts_rows_and_columns():
    sizes = np.array([[12, 15], [14, 11]])
    got = ncd(sizes, np.array([10, 8])[:, None], np.array([10, 5])[None, :])
    assert got.tolist() == [[0.2, 1.0], [0.6, 0.75]]


sizes = st.integers(min_value=1, max_value=2**40)


@given(sizes, sizes, sizes)
def test_bit_identical_to_python_formula(c_xy, c_x, c_y):
    assert ncd([c_xy], [c_x], [c_y])[0] == (c_xy - min(c_x, c_y)) / max(c_x, c_y)
