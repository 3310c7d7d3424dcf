"""One exception hierarchy for everything the project raises.

Errors caught before a request (bad parameters, unknown models) are `ValueError` subclasses. Errors from
Bedrock keep its error code, message, HTTP status and request id; errors inside a stream also carry the
text received before the failure, so nothing the caller already paid for is lost.
"""

from __future__ import annotations

from typing import Any


class BedrockMistralError(Exception):
    """Base of every error this project raises."""

    retryable: bool = False
    attempts: int = 1
    """Attempts made before the call gave up (retries included)."""

    def __init__(self, message: str, *, partial_text: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.partial_text = partial_text
        """Text streamed before the failure (None when no stream had started)."""

    def record_attempts(self, attempts: int) -> None:
        """The call's final error: say how many attempts it took, in the message too when it retried."""
        self.attempts = attempts
        if attempts > 1 and self.args:
            self.args = (f"{self.args[0]} (gave up after {attempts} attempts)", *self.args[1:])


# --- raised before any request is sent ------------------------------------------------------------


class ConfigurationError(BedrockMistralError, ValueError):
    """Something the caller asked for is invalid; nothing was sent."""


class CredentialsError(BedrockMistralError):
    """No usable AWS credentials or region. Not a ValueError, so no framework mistakes it for bad input."""


class UnknownModelError(ConfigurationError):
    """A model id outside the catalog, with no API named."""


class InferenceProfileError(BedrockMistralError):
    """An application inference profile ARN could not be resolved to its base model (GetInferenceProfile was
    denied or failed). Naming the API (`api="converse"` / `api="invoke"`) uses the ARN without resolving it."""

    def __init__(self, message: str, *, cause: BedrockMistralError | None = None) -> None:
        super().__init__(message)
        self.cause = cause


class ParameterError(ConfigurationError):
    """An inference parameter outside the model's allowed range."""

    def __init__(self, parameter: str, value: Any, model_id: str, allowed: str) -> None:
        super().__init__(
            f"{parameter}={value!r} is not allowed for model {model_id!r}: allowed {allowed}"
        )
        self.parameter = parameter
        self.value = value
        self.model_id = model_id
        self.allowed = allowed


class UnsupportedFeatureError(ConfigurationError):
    """A feature (tools, images, system prompt, ...) the model or API does not support."""


class InvalidRequestError(ConfigurationError):
    """A malformed conversation or tool definition (empty messages, bad schema, bad tool name...)."""


class ContextWindowExceededError(ConfigurationError):
    """Prompt tokens plus max_tokens exceed the model's context window."""


# --- raised by Bedrock or the connection ----------------------------------------------------------


class BedrockError(BedrockMistralError):
    """An error answered by Bedrock, with its code and message kept."""

    code: str = "BedrockError"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        status_code: int | None = None,
        request_id: str | None = None,
        partial_text: str | None = None,
    ) -> None:
        self.code = code or type(self).code
        label = f"{self.code}: {message}" if message else self.code
        super().__init__(label, partial_text=partial_text)
        self.bedrock_message = message
        self.status_code = status_code
        self.request_id = request_id
        self.retry_after: float | None = None
        """Seconds the service asked the caller to wait (its `Retry-After` header), when it said."""


class ValidationError(BedrockError):
    """Bedrock refused the request (400). Not a ValueError: frameworks that swallow ValueErrors (LlamaIndex's
    response synthesizers) would otherwise hide a refusal from the service as an empty answer."""

    code = "ValidationException"


class AccessDeniedError(BedrockError):
    code = "AccessDeniedException"


class AuthenticationError(AccessDeniedError):
    """UnrecognizedClientException, InvalidSignatureException, expired tokens."""

    code = "UnrecognizedClientException"


class ResourceNotFoundError(BedrockError):
    code = "ResourceNotFoundException"


class ServiceQuotaExceededError(BedrockError):
    code = "ServiceQuotaExceededException"


class ModelError(BedrockError):
    code = "ModelErrorException"


class ThrottlingError(BedrockError):
    code = "ThrottlingException"
    retryable = True


class ModelNotReadyError(BedrockError):
    code = "ModelNotReadyException"
    retryable = True


class ModelTimeoutError(BedrockError):
    code = "ModelTimeoutException"


class InternalServerError(BedrockError):
    code = "InternalServerException"
    retryable = True


class ServiceUnavailableError(BedrockError):
    code = "ServiceUnavailableException"
    retryable = True


class ModelStreamError(BedrockError):
    code = "ModelStreamErrorException"


class StreamIncompleteError(BedrockMistralError):
    """The stream ended without its final chunk: the answer is not complete."""


class CorruptStreamError(StreamIncompleteError):
    """An event-stream frame failed its checksum or framing: the rest of the answer cannot be read."""


class MalformedResponseError(BedrockMistralError):
    """A successful (200) answer whose body is not what the API returns: not JSON, not an object, nested
    past the parser's limit, or without the field that holds the answer."""

    def __init__(self, message: str, *, missing: str | None = None, request_id: str | None = None) -> None:
        expected = f"; expected {missing}" if missing and missing not in message else ""
        suffix = f" (request id {request_id})" if request_id else ""
        super().__init__(f"malformed Bedrock response: {message}{expected}{suffix}")
        self.missing = missing
        """The field or shape that was missing (`choices`, `outputs`, `output`, `a JSON object`...)."""
        self.request_id = request_id


class BedrockConnectionError(BedrockMistralError):
    """The connection failed or was dropped."""

    retryable = True


class BedrockTimeoutError(BedrockConnectionError, TimeoutError):
    """No answer within the configured connect or read timeout, or past the call's `deadline`."""


ERRORS_BY_CODE: dict[str, type[BedrockError]] = {
    cls.code: cls
    for cls in (
        ValidationError,
        AccessDeniedError,
        ResourceNotFoundError,
        ServiceQuotaExceededError,
        ModelError,
        ThrottlingError,
        ModelNotReadyError,
        ModelTimeoutError,
        InternalServerError,
        ServiceUnavailableError,
        ModelStreamError,
    )
}
ERRORS_BY_CODE.update(
    {
        "UnrecognizedClientException": AuthenticationError,
        "InvalidSignatureException": AuthenticationError,
        "ExpiredTokenException": AuthenticationError,
        "IncompleteSignatureException": AuthenticationError,
        "MissingAuthenticationTokenException": AuthenticationError,
        # In-stream exception event types arrive in lower camel case.
        "throttlingException": ThrottlingError,
        "modelStreamErrorException": ModelStreamError,
        "validationException": ValidationError,
        "modelTimeoutException": ModelTimeoutError,
        "internalServerException": InternalServerError,
        "serviceUnavailableException": ServiceUnavailableError,
    }
)


def error_for_code(
    code: str,
    message: str,
    *,
    status_code: int | None = None,
    request_id: str | None = None,
    partial_text: str | None = None,
) -> BedrockError:
    """The typed error for a Bedrock error code (a plain BedrockError for codes we do not know)."""
    cls = ERRORS_BY_CODE.get(code)
    if cls is None:
        cls = ERRORS_BY_CODE.get(code[:1].upper() + code[1:], BedrockError)
    canonical = code[:1].upper() + code[1:]
    return cls(
        message,
        code=canonical,
        status_code=status_code,
        request_id=request_id,
        partial_text=partial_text,
    )
