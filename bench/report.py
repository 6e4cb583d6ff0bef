"""The table on stdout and bench/results.json (a flat object of numbers)."""
from __future__ import annotations

import json
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results.json"

# figure -> (direction, target, explanation): "≤" the figure must stay at or below its target,
# "≥" at or above. Every bench module lists its own targets; __main__ gathers them here.
TARGETS = {
    "scan_to_line_ratio": ("≤", 3.0, "scan -> total du ticket / lecture SQLite indexée"),
    "kiosk_start_ratio": ("≤", 1.5, "démarrage de la caisse / fenêtre Kivy nue"),
}
LABELS = {
    "scan_to_line_median_us": "µs, médiane",
    "scan_to_line_p99_us": "µs, 99e centile",
    "sqlite_lookup_median_us": "µs, médiane (référence)",
    "sqlite_lookup_p99_us": "µs, 99e centile",
    "parse_gtin_median_us": "µs, médiane (diagnostic)",
    "store_product_median_us": "µs, médiane (diagnostic)",
    "product_count_ms": "ms, médiane (diagnostic)",
    "kiosk_start_s": "s, médiane",
    "bare_kivy_start_s": "s, médiane (référence)",
    "db_build_s": "s (0 = base en cache)",
}


def with_targets(figures: dict) -> dict:
    return figures | {f"{n}_target": t for n, (_, t, _) in TARGETS.items() if n in figures}


def met(name: str, value) -> bool:
    direction, target, _ = TARGETS[name]
    return value <= target if direction == "≤" else value >= target


def misses(results: dict) -> list[str]:
    return [n for n in TARGETS if n in results and not met(n, results[n])]


def print_table(results: dict) -> None:
    rows = [("figure", "valeur", "cible", "verdict")]
    for name, value in results.items():
        if name.endswith("_target"):
            continue
        if name in TARGETS:
            direction, target, _ = TARGETS[name]
            rows.append((name, _fmt(value), f"{direction} {_fmt(target)}", "OK" if met(name, value) else "ÉCHEC"))
        else:
            rows.append((name, _fmt(value), "", LABELS.get(name, "")))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    line = "  ".join("-" * w for w in widths)
    print(line)
    for i, r in enumerate(rows):
        print("  ".join(c.ljust(w) if j != 1 else c.rjust(w) for j, (c, w) in enumerate(zip(r, widths))).rstrip())
        if i == 0:
            print(line)
    print(line)
    missed = misses(results)
    for name in missed:
        direction, target, why = TARGETS[name]
        print(f"ÉCHEC : {name} = {_fmt(results[name])}, cible {direction} {_fmt(target)} ({why})")
    if not missed:
        print("Toutes les cibles sont tenues.")


def save(results: dict, path: Path = RESULTS) -> None:
    bad = [k for k, v in results.items() if isinstance(v, bool) or not isinstance(v, (int, float))]
    if bad:
        raise ValueError(f"results.json ne doit contenir que des nombres : {bad}")
    path.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")


def _fmt(v) -> str:
    if isinstance(v, int):
        return f"{v:,}".replace(",", " ")
    return f"{v:g}"
