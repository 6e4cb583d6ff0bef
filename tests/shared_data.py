"""Where the shared real-world data lives: ../shared/data beside the checkout (as in CI)."""
import os
from pathlib import Path

_REPO = Path(__file__).resolve().parent.parent
_CANDIDATES = [os.environ.get("COMPTOIR_SHARED_DATA", ""), _REPO.parent / "shared" / "data", "/work/shared/data"]
SHARED_DATA = next((Path(p) for p in _CANDIDATES if p and Path(p).is_dir()), _REPO.parent / "shared" / "data")
