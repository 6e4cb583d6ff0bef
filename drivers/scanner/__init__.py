"""Barcode scanners. Each kind turns its input into whole scans (strings), one event per scan."""
