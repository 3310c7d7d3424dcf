"""Errors answered the way Bedrock answers them: status, `x-amzn-ErrorType` and `{"message"}`."""

from __future__ import annotations

BEDROCK_NS = "http://internal.amazon.com/coral/com.amazon.bedrock/"
CORAL_NS = "http://internal.amazon.com/coral/com.amazon.coral.service/"
AUTH_CODES = frozenset(
    {
        "UnrecognizedClientException",
        "InvalidSignatureException",
        "MissingAuthenticationTokenException",
        "IncompleteSignatureException",
        "ExpiredTokenException",
        "AccessDeniedException",
    }
)

STATUS_BY_CODE: dict[str, int] = {
    "ValidationException": 400,
    "AccessDeniedException": 403,
    "ResourceNotFoundException": 404,
    "ModelTimeoutException": 408,
    "ModelErrorException": 424,
    "ThrottlingException": 429,
    "ModelNotReadyException": 429,
    "ServiceQuotaExceededException": 400,
    "InternalServerException": 500,
    "ServiceUnavailableException": 503,
    "UnrecognizedClientException": 403,
    "InvalidSignatureException": 403,
    "MissingAuthenticationTokenException": 403,
    "IncompleteSignatureException": 403,
    "ExpiredTokenException": 403,
}

THROTTLED = "Too many requests, please wait before trying again."
INVALID_MODEL = "The provided model identifier is invalid."


class ServiceError(Exception):
    """An error response; raise it anywhere in request handling."""

    def __init__(self, code: str, message: str, status: int | None = None) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status if status is not None else STATUS_BY_CODE.get(code, 400)

    @property
    def error_type(self) -> str:
        """The `x-amzn-ErrorType` header value: auth errors come from the coral service namespace."""
        namespace = CORAL_NS if self.code in AUTH_CODES - {"AccessDeniedException"} else BEDROCK_NS
        return f"{self.code}:{namespace}"


def unknown_operation() -> ServiceError:
    """A method and path that name no operation."""
    return ServiceError("UnknownOperationException", "Unknown operation", 404)


def validation(message: str) -> ServiceError:
    return ServiceError("ValidationException", message)


def malformed(*violations: str) -> ServiceError:
    """The JSON-schema style message Bedrock gives for a bad InvokeModel body."""
    return validation(
        f"Malformed input request: {''.join(violations)}, please reformat your input and try again."
    )


def constraint_violations(problems: list[str]) -> ServiceError:
    """AWS's request-validation message: "2 validation errors detected: Value ... at 'x' failed to satisfy..."."""
    count = len(problems)
    noun = "validation error" if count == 1 else "validation errors"
    return validation(f"{count} {noun} detected: {'; '.join(problems)}")
