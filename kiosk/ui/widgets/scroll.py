"""A ScrollView that clips its content only while there is more of it than fits."""
from __future__ import annotations

from kivy.graphics import BindTexture, InstructionGroup, StencilPop, StencilPush, StencilUnUse, StencilUse
from kivy.uix.scrollview import ScrollView

BAR_CLEARANCE_PX = 3  # between the content's edge and the bar


class KioskScrollView(ScrollView):
    """Kivy's ScrollView is a StencilView: every frame it draws its whole area into the stencil
    and out again. Under Mesa's software renderer (the test machine's Xvfb) that is two more
    layers of pixels in every buffer swap, and most of the time our lists fit and there is
    nothing to clip. So the stencil is drawn only while the content is taller or wider than
    the view; when it fits it cannot be dragged out of place either (no overscroll)."""

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("always_overscroll", False)
        self._clip: tuple | None = None  # found once the class rules have drawn the stencil
        self._clipping = True
        super().__init__(**kwargs)
        self.bind(viewport_size=self._follow_overflow, size=self._follow_overflow)
        self._follow_overflow()
        self.bind(bar_width=self._bar_beside_content)
        self._bar_beside_content()

    def _bar_beside_content(self, *_args) -> None:
        """The bar just right of the view, in the screen's margin, not over the content's
        right edge, where it covered the end of tile titles. (Kivy draws it after the stencil,
        so outside the view is still drawn.)"""
        self.bar_margin = -(self.bar_width + BAR_CLEARANCE_PX)

    @property
    def clipping(self) -> bool:
        return self._clipping

    def on_kv_post(self, base_widget) -> None:
        self._follow_overflow()

    def _follow_overflow(self, *_args) -> None:
        if self._clip is None:
            if not any(isinstance(item, StencilPush) for item in self.canvas.before.children):
                return  # built from a .kv rule: its class rules come later (on_kv_post)
            self._clip = (_grouped(self.canvas.before, StencilPush, StencilUse),
                          _grouped(self.canvas.after, StencilUnUse, StencilPop))
        content_w, content_h = self.viewport_size
        overflows = content_w > self.width + 0.5 or content_h > self.height + 0.5
        if overflows == self._clipping:
            return
        self._clipping = overflows
        for canvas, (start, group) in zip((self.canvas.before, self.canvas.after), self._clip):
            if overflows:
                canvas.insert(start, group)
            else:
                canvas.remove(group)


def _grouped(canvas, first: type, last: type) -> tuple[int, InstructionGroup]:
    """Moves what StencilView's rule drew into `canvas` (from `first` to `last`) into one
    group at the same place, which can then be taken out and put back whole."""
    children = list(canvas.children)
    start = next(i for i, item in enumerate(children) if isinstance(item, first))
    end = next(i for i, item in enumerate(children) if isinstance(item, last))
    # A Rectangle brings its own BindTexture along when it is removed or added.
    instructions = [item for item in children[start:end + 1] if not isinstance(item, BindTexture)]
    group = InstructionGroup()
    for instruction in instructions:
        canvas.remove(instruction)
        group.add(instruction)
    canvas.insert(start, group)
    return start, group
