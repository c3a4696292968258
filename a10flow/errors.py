"""Failures the service reports to its users. Each carries its HTTP status and code."""


class ServiceError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message, details=None):
        super().__init__(message)
        self.message = message
        self.details = details or []


class NotFound(ServiceError):
    status, code = 404, "not_found"


class Forbidden(ServiceError):
    status, code = 403, "forbidden"


class Gone(ServiceError):
    status, code = 410, "gone"


class Conflict(ServiceError):
    status, code = 409, "conflict"


class TooLarge(ServiceError):
    status, code = 413, "too_large"


class Invalid(ServiceError):
    status, code = 422, "invalid"


class Unavailable(ServiceError):
    """The service cannot do this until an operator fixes its set-up."""
    status, code = 503, "unavailable"


class StepFailed(ServiceError):
    """The engine failed while running the process; nothing of the step was kept."""
    status, code = 422, "step_failed"
