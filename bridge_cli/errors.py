"""Errors a user can act on: one line naming the field and what is allowed."""


class BridgeInputError(Exception):
    """Bad input from the user. Rendered as one line, exit status 2, nothing written."""

    exit_code = 2

    def __init__(self, field: str, message: str):
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}")


class BridgeFailure(Exception):
    """The operation was valid but failed (a check failed, a host refused). Exit status 1."""

    exit_code = 1
