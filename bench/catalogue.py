"""A kiosk database holding N generated products, cached under var/bench/ keyed by N.

Codes are valid EAN-13 (check digit from commerce.gtin.check_digit), unique, with French-looking
prefixes; names are made of words (so the kiosk's search by name has something to find).
The file is built with the kiosk's own schema (KioskStore creates it), then filled with
executemany in big transactions, in key order (the table is WITHOUT ROWID, keyed by gtin13).
"""
from __future__ import annotations

import os
import random
import sqlite3
import time
from pathlib import Path

from commerce.gtin import check_digit
from commerce.vat import RATES_BP
from kiosk.store import KioskStore, fold

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "var" / "bench"
BATCH = 100_000
FORMAT = "1"  # bump when the generated content changes, so old caches are not reused

KINDS = ["Pâte à tartiner", "Biscuits", "Café moulu", "Thé vert", "Jus d'orange", "Eau minérale", "Yaourt",
         "Fromage râpé", "Lait demi-écrémé", "Céréales", "Chocolat noir", "Confiture", "Miel", "Pâtes",
         "Riz basmati", "Huile d'olive", "Vinaigre", "Moutarde", "Sauce tomate", "Compote", "Savon",
         "Shampooing", "Dentifrice", "Lessive", "Éponges", "Cahier", "Stylo bille", "Crayon", "Classeur",
         "Piles", "Ampoule", "Chips", "Bonbons", "Soupe", "Sardines", "Thon", "Farine", "Sucre", "Sel"]
FLAVOURS = ["noisette", "fraise", "framboise", "abricot", "citron", "vanille", "caramel", "nature", "bio",
            "complet", "épicé", "doux", "corsé", "léger", "allégé", "pur beurre", "aux fruits rouges",
            "à l'ancienne", "de Provence", "de Bretagne", "du Sud-Ouest", "menthe", "coco", "pomme"]
BRANDS = ["Marque Repère", "Le Comptoir", "Bonne Maman", "Saveurs d'Antan", "Les Prés", "Atelier Lycée",
          "Terre & Mer", "Côté Jardin", "Petit Marché", "Maison Dupont", "Vallée Verte", "Grand Fournil"]
SIZES = ["100 g", "125 g", "250 g", "400 g", "500 g", "750 g", "1 kg", "25 cl", "33 cl", "50 cl", "1 L",
         "1,5 L", "x 4", "x 6", "x 12", "lot de 2", "A4", "A5"]
CATEGORIES = ["Épicerie", "Boissons", "Frais", "Hygiène", "Entretien", "Papeterie", "Bazar"]


def db_path(n: int) -> Path:
    return CACHE / f"kiosk-{n}-v{FORMAT}.db"


def _codes(n: int, rng: random.Random) -> list[str]:
    """n distinct valid EAN-13 codes, sorted (the primary key order)."""
    bodies = rng.sample(range(300_000_000_000, 380_000_000_000), n)  # GS1 France prefixes 300-379
    bodies.sort()
    out = []
    for b in bodies:
        body = str(b)
        out.append(body + check_digit(body))
    return out


def _rows(codes: list[str], rng: random.Random):
    folded = {w: fold(w) for w in KINDS + FLAVOURS + BRANDS + SIZES}
    for code in codes:
        kind, flavour, brand, size = rng.choice(KINDS), rng.choice(FLAVOURS), rng.choice(BRANDS), rng.choice(SIZES)
        name = f"{kind} {flavour} {brand} {size}"
        name_fold = f"{folded[kind]} {folded[flavour]} {folded[brand]} {folded[size]}"
        yield (code, name, name_fold, rng.randrange(20, 5000), rng.choice(RATES_BP), rng.choice(CATEGORIES))


def build(n: int, log=print) -> tuple[Path, float]:
    """Path of the cached database of n products, building it if needed; and the build time (0 if cached)."""
    path = db_path(n)
    if path.exists():
        return path, 0.0
    CACHE.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    for p in (tmp, Path(f"{tmp}-wal"), Path(f"{tmp}-shm")):
        p.unlink(missing_ok=True)
    t0 = time.perf_counter()
    KioskStore(tmp).close()  # the kiosk's own schema, WAL mode (persistent in the file)
    rng = random.Random(20240901 + n)
    codes = _codes(n, rng)
    conn = sqlite3.connect(tmp, isolation_level=None)
    conn.execute("PRAGMA synchronous=OFF")
    conn.execute("PRAGMA cache_size=-200000")  # 200 MB while building
    rows = _rows(codes, rng)
    sql = "INSERT INTO product(gtin13, name, name_fold, price, vat_bp, category) VALUES (?,?,?,?,?,?)"
    done = 0
    while done < n:
        batch = [next(rows) for _ in range(min(BATCH, n - done))]
        conn.execute("BEGIN")
        conn.executemany(sql, batch)
        conn.execute("COMMIT")
        done += len(batch)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    os.replace(tmp, path)
    took = time.perf_counter() - t0
    log(f"base de {n:,} produits construite en {took:.1f} s : {path}")
    return path, took


def sample_codes(path: Path, k: int, seed: int = 7) -> list[str]:
    """k distinct random existing codes of the database (strings, as a scanner would send them)."""
    conn = sqlite3.connect(path)
    try:
        n = conn.execute("SELECT count(*) FROM product").fetchone()[0]
        rng = random.Random(seed)
        offsets = sorted(rng.sample(range(n), min(k, n)))
        # one pass over the key order; cheaper than k OFFSET queries on a million rows
        wanted, codes, i = iter(offsets), [], 0
        nxt = next(wanted, None)
        for (code,) in conn.execute("SELECT gtin13 FROM product ORDER BY gtin13"):
            if i == nxt:
                codes.append(code)
                nxt = next(wanted, None)
                if nxt is None:
                    break
            i += 1
    finally:
        conn.close()
    rng.shuffle(codes)
    return codes
