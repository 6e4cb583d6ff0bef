"""Decoding accuracy of each decoder and chain on the shared image sets.

    python -m drivers.camera.measure [--data DIR] [--chains a,b,…] [--markdown]

Per set: codes found / expected, wrong reads (a decoded text that is not the expected one), false
positives (anything decoded where nothing is expected: pyzbar/empty.png and falsepositives-1),
decoder problems (caught exceptions) and milliseconds per image. Also milliseconds on a 1280×720
camera frame holding one EAN-13, and on an empty 1280×720 frame (where all retries run).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .decoders import make
from .frames import IMAGE_SUFFIXES, load_gray

DATA = Path(os.environ.get("COMPTOIR_BARCODE_DATA", Path(__file__).resolve().parents[3] / "shared" / "data" / "barcodes"))
CHAINS = (
    "pyzbar", "zbar", "zbar+inv+rot", "zxing", "zxing-fast", "zxing-fast+inv+rot",
    "zbar>zxing", "zxing>zbar", "zxing>zbar+inv+rot", "zbar>zxing+inv+rot", "zxing-fast>zbar+inv+rot",
)


@dataclass
class Sample:
    path: Path
    expected: set[str] | None  # None: not scored (must only not crash); empty set: nothing to find


@dataclass
class Score:
    images: int = 0
    expected: int = 0
    found: int = 0
    wrong: int = 0
    false_positives: int = 0
    problems: int = 0
    seconds: float = 0.0
    misses: list[str] = field(default_factory=list)

    @property
    def ms(self) -> float:
        return 1000 * self.seconds / max(1, self.images)


def norm(text: str) -> str:
    """Comparison form: GS separators dropped, CRLF read as LF (the expected .txt files lost their
    CRs in transit, the QR payloads hold CRLF); a 12-digit UPC-A equals its 13-digit EAN form."""
    t = text.replace("\x1d", "").replace("\r\n", "\n").strip()
    if t.isdigit() and len(t) == 12:
        t = "0" + t
    return t


def load_sets(root: Path = DATA) -> dict[str, list[Sample]]:
    sets: dict[str, list[Sample]] = {}
    if (root / "pyzbar" / "expected.json").exists():
        exp = json.loads((root / "pyzbar" / "expected.json").read_text(encoding="utf-8"))
        sets["pyzbar"] = [Sample(root / "pyzbar" / name, {norm(s["data"]) for s in symbols})
                          for name, symbols in sorted(exp.items()) if not name.startswith("_")]
    tsv = root / "zbar-examples" / "expected.tsv"
    if tsv.exists():
        samples = []
        for line in tsv.read_text(encoding="utf-8").splitlines()[1:]:
            name, output = line.split("\t")[:2]
            if output.startswith("SQ-Code"):
                samples.append(Sample(tsv.parent / name, None))
                continue
            sep = ":" if ":" in output.split(" ")[0] else " "
            value = output.split(sep, 1)[1].split(" (")[0]
            samples.append(Sample(tsv.parent / name, {norm(value)}))
        sets["zbar-examples"] = samples
    zx = root / "zxing-cpp-samples"
    if zx.is_dir():
        for folder in sorted(p for p in zx.iterdir() if p.is_dir()):
            samples = []
            for img in sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES):
                if folder.name.startswith("falsepositives"):
                    samples.append(Sample(img, set()))
                    continue
                txt = img.with_suffix(".txt")
                if txt.exists():
                    samples.append(Sample(img, {norm(txt.read_text(encoding="utf-8"))}))
            sets[folder.name] = samples
    return sets


def score(decoder, samples: list[Sample], repeat: int = 1) -> Score:
    s = Score()
    for sample in samples:
        gray = load_gray(sample.path)
        problems: list[str] = []
        best = float("inf")
        for _ in range(repeat):
            t0 = time.perf_counter()
            codes = decoder.decode(gray, problems)
            best = min(best, time.perf_counter() - t0)
        s.seconds += best
        s.images += 1
        s.problems += len(set(problems))
        if sample.expected is None:
            continue
        got = {norm(text) for _, text in codes}
        if not sample.expected:
            s.false_positives += len(got)
            continue
        s.expected += len(sample.expected)
        s.found += len(got & sample.expected)
        s.wrong += len(got - sample.expected)
        if not sample.expected <= got:
            s.misses.append(sample.path.name)
    return s


def camera_frames() -> tuple[np.ndarray, np.ndarray]:
    """A 1280×720 frame with one EAN-13 (as a counter camera sees it) and an empty one."""
    from .synth import ean13_frame
    frame = ean13_frame("3017620422003", size=(1280, 720), seed=1)
    empty = ean13_frame(None, size=(1280, 720), seed=1)
    return frame, empty


def time_frame(decoder, frame: np.ndarray, n: int = 10) -> float:
    decoder.decode(frame)
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        decoder.decode(frame)
        times.append(time.perf_counter() - t0)
    return 1000 * sorted(times)[len(times) // 2]


def measure(chains=CHAINS, root: Path = DATA, repeat: int = 1, log=None) -> dict:
    sets = load_sets(root)
    frame, empty = camera_frames()
    out = {}
    for name in chains:
        if log:
            log(f"{name}…")
        decoder = make(name)
        per_set = {set_name: score(decoder, samples, repeat) for set_name, samples in sets.items()}
        codes = decoder.decode(frame)
        out[name] = {
            "sets": per_set,
            "frame_ms": time_frame(decoder, frame),
            "empty_ms": time_frame(decoder, empty),
            "frame_ok": ("EAN13", "3017620422003") in codes,
        }
    return out


def markdown(results: dict) -> str:
    names = list(results)
    set_names = list(next(iter(results.values()))["sets"])
    lines = ["| chain | found / expected | wrong | false pos. | ms / image | 720p frame ms | empty 720p ms |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for n in names:
        r = results[n]
        found = sum(s.found for s in r["sets"].values())
        exp = sum(s.expected for s in r["sets"].values())
        wrong = sum(s.wrong for s in r["sets"].values())
        fp = sum(s.false_positives for s in r["sets"].values())
        imgs = sum(s.images for s in r["sets"].values())
        ms = 1000 * sum(s.seconds for s in r["sets"].values()) / max(1, imgs)
        frame = f"{r['frame_ms']:.1f}" + ("" if r["frame_ok"] else " (missed)")
        lines.append(f"| `{n}` | {found} / {exp} | {wrong} | {fp} | {ms:.1f} | {frame} | {r['empty_ms']:.1f} |")
    lines += ["", "Per set (found/expected · wrong · false positives · ms per image; "
              "`!N` = N caught decoder exceptions):", ""]
    lines.append("| set | " + " | ".join(f"`{n}`" for n in names) + " |")
    lines.append("|---|" + "---:|" * len(names))
    for sn in set_names:
        cells = []
        for n in names:
            s = results[n]["sets"][sn]
            cell = f"{s.found}/{s.expected} · {s.wrong} · {s.false_positives} · {s.ms:.0f}"
            if s.problems:
                cell += f" !{s.problems}"
            cells.append(cell)
        first = results[names[0]]["sets"][sn]
        lines.append(f"| {sn} ({first.images}) | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m drivers.camera.measure",
                                 description="Précision des décodeurs sur les images de test")
    ap.add_argument("--data", type=Path, default=DATA, help=f"dossier des images (défaut {DATA})")
    ap.add_argument("--chains", default=",".join(CHAINS), help="décodeurs et chaînes, séparés par des virgules")
    ap.add_argument("--repeat", type=int, default=1, help="passes par image (le meilleur temps est gardé)")
    ap.add_argument("--misses", action="store_true", help="lister les images manquées")
    args = ap.parse_args(argv)
    if not args.data.is_dir():
        print(f"measure : dossier {args.data} introuvable", file=sys.stderr)
        return 2
    results = measure(args.chains.split(","), args.data, args.repeat,
                      log=lambda m: print(m, file=sys.stderr, flush=True))
    print(markdown(results))
    if args.misses:
        for n, r in results.items():
            for sn, s in r["sets"].items():
                if s.misses:
                    print(f"{n} {sn}: {' '.join(s.misses)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
