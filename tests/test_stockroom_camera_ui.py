"""The stockroom window with a camera as its scanner (camera:///video.mp4 in its TOML), under Xvfb:
the student's badge shown to the camera signs her in, then a product shown, taken away and shown
again is two reception scans."""
from __future__ import annotations

import pytest

from comptoir.stockroom_demo import start_stockroom
from comptoir.stockroom_driver import StockroomDriver
from comptoir.xsession import Keyboard, VirtualScreen
from commerce.stock import OrderLine, PurchaseOrder
from kiosk.stock_store import StockStore
from stock_support import CROC, LEA_BADGE, open_store

pytestmark = pytest.mark.ui


def test_badge_then_two_reads_of_a_product_from_the_camera(tmp_path):
    import cv2
    from datetime import date

    from drivers.camera.synth import ean13_frame

    store = open_store(tmp_path / "reserve.db")
    StockStore(store.conn).import_orders([PurchaseOrder("PO-8", "Épicerie Centrale", date(2026, 12, 10),
                                                        (OrderLine(CROC, 24, 180, 6),))])
    store.close()
    size = (640, 480)
    badge, item, empty = (ean13_frame(c, size=size, seed=5) for c in (LEA_BADGE, CROC, None))
    video = tmp_path / "tablette.mp4"
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"mp4v"), 30, size, False)
    # 2 s to open, the badge, 3 s to choose the delivery by keys, the item twice
    for frame in [empty] * 60 + [badge] * 20 + [empty] * 90 + [item] * 20 + [empty] * 20 + [item] * 20 + [empty] * 10:
        writer.write(frame)
    writer.release()
    toml = tmp_path / "reserve.toml"
    toml.write_text(f'[kiosk]\nregister = "R1"\ndevice = "reserve-1"\ndatabase = "reserve.db"\n\n'
                    f'[backoffice]\nurl = "http://127.0.0.1:9"\n\n[printer]\nbackend = "sim"\nout_dir = "prints"\n\n'
                    f'[scanner]\nuri = "camera://{video}"\n', encoding="utf-8")
    screen = VirtualScreen()
    proc = None
    try:
        proc = start_stockroom(toml, "", tmp_path / "state.json", screen.env, tmp_path / "stockroom.log")
        driver = StockroomDriver(tmp_path / "state.json", Keyboard(screen.env), proc)
        st = driver.wait(lambda s: s.get("operator") == "eleve1", 30, "la connexion par le badge montré à la caméra")
        st = driver.key("F2")
        assert st["screen"] == "commandes" and st["orders"] == ["PO-8"]
        st = driver.key("Return")  # the highlighted delivery
        st = driver.answer_text("BL-8")
        assert st["note"] == "BL-8"
        st = driver.wait(lambda s: s["rows"] and s["rows"][0]["received"] == 2, 30, "les deux lectures caméra")
        assert [(r["gtin"], r["ordered"], r["received"]) for r in st["rows"]] == [(CROC, 24, 2)]
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(10)
        screen.stop()
