from kiosk.i18n import available_languages
from kiosk.ui.screens.base import KioskScreen
from kiosk.ui.widgets.controls import KioskButton


class LanguageScreen(KioskScreen):
    def translate(self) -> None:
        self.ids.choices.clear_widgets()
        for language in available_languages():
            self.ids.choices.add_widget(self._choice(language))

    def _choice(self, language) -> KioskButton:
        current = language.code == self.session.language
        button = KioskButton(probe_id=f"language-{language.code}", text=language.name,
                             role="success" if current else "primary")
        button.bind(on_release=lambda *_: self.session.choose_language(language.code))
        return button
