"""Camera decoding: 1280×720 frames each holding one EAN-13, through our camera pipeline
(drivers.camera.CameraScanner: gray conversion, the default chain's first pass, debounce, events)
against the raw decoder call (zxingcpp.read_barcodes with the same options) on the same frames, in
the same run, on one core (CPU affinity and OpenCV threads pinned to 1).

Rounds alternate which side goes first; each side's figure is the median of its rounds.
Diagnostic: the pipeline's fps on empty frames, where the budgeted retries run.
"""
from __future__ import annotations

import os
import statistics
import time

TARGETS = {  # see bench/report.py
    "camera_decode_ratio": ("≥", 0.8, "pipeline caméra / appel brut du décodeur, images/s, mêmes images"),
    "camera_pipeline_fps": ("≥", 30.0, "images 1280×720 par seconde sur un cœur, par le pipeline"),
}
LABELS = {
    "camera_raw_fps": "images/s, médiane (référence : zxingcpp.read_barcodes)",
    "camera_empty_fps": "images/s sans code (relances incluses, diagnostic)",
    "camera_frames_found": "images où le pipeline a lu le bon code",
    "camera_frames": "images 1280×720 par passe",
}
CODES = ("3017620422003", "3560070048847", "3229820129488", "5449000039231", "3046920022651",
         "3274080005003", "7622210449283", "3168930010265", "3045320094084", "8000500310427")


def frames(n: int = 30):
    """n different 1280×720 frames, each with one EAN-13 at its own place, and the codes."""
    from drivers.camera.synth import ean13_frame
    out = []
    for i in range(n):
        code = CODES[i % len(CODES)]
        at = (60 + (i * 97) % 420, 40 + (i * 211) % 860)
        out.append((ean13_frame(code, size=(1280, 720), seed=i, at=at), code))
    return out


def _one_core():
    """Pin this process to one CPU and OpenCV to one thread; returns a function that undoes it."""
    import cv2
    threads = cv2.getNumThreads()
    cv2.setNumThreads(1)
    affinity = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else None
    if affinity:
        os.sched_setaffinity(0, {min(affinity)})

    def undo():
        cv2.setNumThreads(threads)
        if affinity:
            os.sched_setaffinity(0, affinity)
    return undo


def run(rounds: int = 5, n_frames: int = 30) -> dict:
    import zxingcpp

    from drivers.camera import CameraScanner
    from drivers.camera.synth import ean13_frame

    data = frames(n_frames)
    grays = [f for f, _ in data]
    empty = [ean13_frame(None, size=(1280, 720), seed=100 + i) for i in range(n_frames)]
    opts = dict(try_rotate=False, try_invert=False, try_downscale=False, text_mode=zxingcpp.TextMode.Plain)

    def raw() -> float:
        t0 = time.perf_counter()
        for g in grays:
            zxingcpp.read_barcodes(g, **opts)
        return len(grays) / (time.perf_counter() - t0)

    found = []

    def pipeline(images=grays) -> float:
        # a new scanner per pass: every frame is a new code for the debounce, as in the raw pass
        scanner = CameraScanner(absent_frames=1, repeat_window=0)
        t0 = time.perf_counter()
        events = []
        for i, g in enumerate(images):
            events += scanner.feed(g, i / 30)
        fps = len(images) / (time.perf_counter() - t0)
        if images is grays:
            found.append(sum(1 for e in events if e.data == data[e.frame][1]))
        return fps

    undo = _one_core()
    try:
        raw(), pipeline()  # warm up (imports, zbar and zxing initialisation)
        raw_fps, pipe_fps = [], []
        for r in range(rounds):
            order = (raw, pipeline) if r % 2 == 0 else (pipeline, raw)
            for side in order:
                (raw_fps if side is raw else pipe_fps).append(side())
        empty_fps = pipeline(empty)
    finally:
        undo()
    raw_med, pipe_med = statistics.median(raw_fps), statistics.median(pipe_fps)
    return {
        "camera_decode_ratio": round(pipe_med / raw_med, 3),
        "camera_pipeline_fps": round(pipe_med, 1),
        "camera_raw_fps": round(raw_med, 1),
        "camera_empty_fps": round(empty_fps, 1),
        "camera_frames_found": min(found),
        "camera_frames": n_frames,
    }


if __name__ == "__main__":  # python -m bench.camera: this bench alone
    from . import report
    report.TARGETS.update(TARGETS)
    report.LABELS.update(LABELS)
    report.print_table(report.with_targets(run()))
