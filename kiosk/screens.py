"""A ScreenManager whose screens are made the first time they are shown: the register has a dozen,
and building them all before the window can scan made it open twice as slowly as a bare window."""
from __future__ import annotations

from typing import Callable

from kivy.uix.screenmanager import Screen, ScreenManager


class LazyScreenManager(ScreenManager):
    def __init__(self, **kw):
        self.lazy: dict[str, Callable[[], Screen]] = {}  # name -> what makes that screen
        self.prepare: Callable[[], None] | None = None  # run once before the first one is made (load its kv)
        super().__init__(**kw)

    def get_screen(self, name: str) -> Screen:
        make = self.lazy.pop(name, None) if not any(s.name == name for s in self.screens) else None
        if make is not None:
            prepare, self.prepare = self.prepare, None
            if prepare is not None:
                prepare()
            self.add_widget(make())
        return super().get_screen(name)

    def has_screen(self, name: str) -> bool:
        return name in self.lazy or super().has_screen(name)
