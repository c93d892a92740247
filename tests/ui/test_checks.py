"""The screenshot checks themselves can fail: palettes, and the contrast arithmetic."""
from __future__ import annotations

import pytest

from kiosk.ui.palette import HIGH_CONTRAST, MINIMUM_CONTRAST, NORMAL, contrast_ratio, rgba


def test_contrast_ratio_matches_wcag_examples() -> None:
    assert contrast_ratio(rgba("#000000"), rgba("#FFFFFF")) == pytest.approx(21.0)
    assert contrast_ratio(rgba("#777777"), rgba("#FFFFFF")) == pytest.approx(4.48, abs=0.01)


@pytest.mark.parametrize("mode,palette", [("normal", NORMAL), ("high_contrast", HIGH_CONTRAST)])
def test_every_text_pair_of_the_palettes_meets_its_minimum(mode, palette) -> None:
    for name, (foreground, background) in palette.text_pairs().items():
        assert contrast_ratio(foreground, background) >= MINIMUM_CONTRAST[mode], name
