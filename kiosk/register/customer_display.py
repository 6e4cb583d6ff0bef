"""On-screen customer display (afficheur client à l'écran), for schools without a pole display.

A small standalone widget showing the same two lines of 20 characters a pole display would show,
with real accents and € (a screen has every glyph). The register integrates it (a second window,
or a strip turned towards the customer):

    from drivers.display import ScreenDisplay
    from kiosk.register.customer_display import CustomerDisplayView, attach

    view = CustomerDisplayView()
    display = attach(view)                 # a drivers.display.ScreenDisplay feeding this view
    display.show_item("Café moulu 250 g", 1250)

`feed(view, line1, line2)` is the one function that updates the widget; `attach` wires a
ScreenDisplay to it and is safe from any thread (updates go through Kivy's Clock).
"""
from __future__ import annotations

import threading

from kivy.clock import Clock
from kivy.lang import Builder
from kivy.properties import StringProperty
from kivy.uix.boxlayout import BoxLayout

from drivers.display import ScreenDisplay

Builder.load_string("""
<CustomerDisplayView>:
    orientation: "vertical"
    padding: "12dp"
    spacing: "4dp"
    canvas.before:
        Color:
            rgba: 0.02, 0.08, 0.06, 1
        Rectangle:
            pos: self.pos
            size: self.size
    Label:
        id: line1
        text: root.line1
        font_name: "RobotoMono-Regular"
        font_size: min(root.height * 0.3, (root.width - dp(24)) / 12.6)  # 20 mono chars fit
        color: 0.35, 1, 0.75, 1
        halign: "left"
        text_size: self.size
        valign: "middle"
    Label:
        id: line2
        text: root.line2
        font_name: "RobotoMono-Regular"
        font_size: min(root.height * 0.3, (root.width - dp(24)) / 12.6)  # 20 mono chars fit
        color: 0.35, 1, 0.75, 1
        halign: "left"
        text_size: self.size
        valign: "middle"
""")


class CustomerDisplayView(BoxLayout):
    line1 = StringProperty(" " * 20)
    line2 = StringProperty(" " * 20)


def feed(view: CustomerDisplayView, line1: str, line2: str) -> None:
    """Show two lines (call on the Kivy thread; `attach` does it for you)."""
    view.line1 = line1
    view.line2 = line2


def attach(view: CustomerDisplayView, display: ScreenDisplay | None = None) -> ScreenDisplay:
    """A ScreenDisplay whose every update reaches `view` on the Kivy thread."""
    display = display or ScreenDisplay()

    def update(line1: str, line2: str) -> None:
        if threading.current_thread() is threading.main_thread():
            feed(view, line1, line2)
        else:
            Clock.schedule_once(lambda dt: feed(view, line1, line2))

    display.listen(update)
    return display


if __name__ == "__main__":  # a quick look: python -m kiosk.register.customer_display
    from kivy.app import App

    class _Demo(App):
        def build(self):
            view = CustomerDisplayView()
            d = attach(view)
            steps = [lambda: d.show_item("Café moulu 250 g", 1250), lambda: d.show_total(2210),
                     lambda: d.show_change(2210, 7790), lambda: d.thank_you("Comptoir")]
            for i, step in enumerate(steps):
                Clock.schedule_once(lambda dt, s=step: s(), 1.5 * i)
            return view

    _Demo().run()
