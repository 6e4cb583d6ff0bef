"""Sync between kiosks and the back office: wire format, kiosk outbox and pusher, ingest checks."""
