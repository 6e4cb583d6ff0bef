"""The stockroom kiosk window (la réserve): reception, counts, scrap, replenishment, labels."""
