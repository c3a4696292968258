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
    """The service cannot do this now: the database or the disk fails, or its set-up needs an operator.
    Nothing was done; ask again after ``retry_after`` seconds."""
    status, code, retry_after = 503, "unavailable", 5


class StepFailed(ServiceError):
    """The engine failed while running the process; nothing of the step was kept."""
    status, code = 422, "step_failed"
