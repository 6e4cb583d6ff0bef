"""One error type for refused input; its message is French and is shown to the student as is."""


class CommerceError(ValueError):
    """A rule refused an input. str(error) is a complete French sentence naming the input."""
