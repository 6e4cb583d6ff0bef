"""The register kiosk (caisse): a Kivy touch app. Screens hold no business rule."""
