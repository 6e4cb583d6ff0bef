"""Simulators for every device kind (tests and the demo use them)."""
