"""Comptoir benchmarks: figures are ratios against a baseline measured in the same run.

    python -m bench               # 1,000,000 products
    python -m bench --quick       # 100,000 products, fewer repetitions
    python -m bench --products N

Prints a table (figure, value, target, OK/ÉCHEC) and writes bench/results.json, a flat JSON object
of numbers. Absolute times are reported for reading, never asserted: only the ratios have targets.

Modules: `catalogue` builds (and caches under var/bench/) a kiosk database of N products;
`scan` times RegisterService.scan against a raw indexed SQLite lookup; `startup` times the register
window against a bare Kivy window (`bare_kivy_app`) under the same Xvfb; `report` prints and saves.
"""
