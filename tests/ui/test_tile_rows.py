"""Tile rows in a scroll view: whole rows, never a title cut in half (kiosk/ui/widgets/tiles.py)."""
from __future__ import annotations

import pytest

from kiosk.ui.widgets.tiles import columns_in_sight, row_height

GAP, EDGE = 10.0, 18.0


def test_rows_that_all_fit_share_the_view():
    assert row_height(410, 2, GAP, need=100, edge=EDGE) == pytest.approx(200)


def test_rows_that_do_not_all_fit_show_whole_rows_and_the_edge_of_the_next():
    height = row_height(200, 3, GAP, need=80, edge=EDGE)  # 3 rows of 80 need 260
    whole = 2
    assert whole * height + (whole - 1) * GAP == pytest.approx(200 - EDGE)
    assert height >= 80


def test_a_view_too_small_for_one_row_is_filled_by_one_row():
    assert row_height(70, 2, GAP, need=110, edge=EDGE) == 70  # its text shrinks to fit


@pytest.mark.parametrize("view", [64, 150, 233, 480, 900])
@pytest.mark.parametrize("rows", [1, 2, 3, 5])
def test_whole_rows_end_where_the_view_or_its_edge_strip_begins(view, rows):
    need = 80
    height = row_height(view, rows, GAP, need=need, edge=EDGE)
    if rows * height + (rows - 1) * GAP <= view + 1e-6:
        return  # everything is visible
    visible = int((view + GAP) // (height + GAP))
    cut = view - visible * (height + GAP)  # what shows of the first row not wholly visible
    assert visible == 0 or cut <= EDGE + 1e-6  # only its top margin: no text


@pytest.mark.parametrize("view, expected", [(400, 3), (137, 3), (120, 5), (30, 5)])
def test_home_takes_more_columns_where_its_rows_would_not_all_be_in_sight(view, expected):
    """Five tiles, three columns wanted, targets 63 px and 11 px apart: two rows need 137 px."""
    assert columns_in_sight(5, 3, view, least=63, gap=11) == expected
