"""Domain errors. Their class names are a contract: Step Functions retries and catches by name."""

from __future__ import annotations


class SpApiLakeError(Exception):
    """Base of every error this project raises on purpose; `str()` is a one-line message."""


class ConfigError(SpApiLakeError):
    """Configuration is invalid; fix it and run again. Never retried."""


class UnknownRegionError(ConfigError):
    pass


class UnknownMarketplaceError(ConfigError):
    pass


class MarketplaceRegionError(ConfigError):
    pass


class ReportOptionError(ConfigError):
    """A report's reportOptions do not fit its type: a required option is missing, a value is
    not allowed, or the type does not take the option. Amazon would answer FATAL."""


class AudienceError(ConfigError):
    """A report type the partner cannot request: a seller-only type for a vendor, or a
    vendor-only type for a seller. Amazon would answer 400 InvalidInput."""


class UnknownTableError(SpApiLakeError):
    """A curated table name the report schema registry does not know."""


class RegistryDataError(SpApiLakeError):
    """The registry's table data is invalid: an unknown type, a duplicate column, a bad key..."""


class MalformedNotificationError(SpApiLakeError):
    """An SQS message is not a usable REPORT_PROCESSING_FINISHED notification."""


class SpApiError(SpApiLakeError):
    """An SP-API call failed. Carries the operation and Amazon's request id, never a token."""

    def __init__(
        self,
        operation: str,
        message: str,
        *,
        status: int | None = None,
        code: str | None = None,
        request_id: str | None = None,
    ) -> None:
        self.operation = operation
        self.status = status
        self.code = code
        self.request_id = request_id
        parts = [f"{operation} failed"]
        if status is not None:
            parts.append(f"HTTP {status}")
        if code:
            parts.append(code)
        text = ", ".join(parts) + f": {message}"
        if request_id:
            text += f" (x-amzn-RequestId {request_id})"
        super().__init__(text)


class ThrottledError(SpApiError):
    """429 QuotaExceeded after the client's own retries. Retry later with backoff."""


class RateLimitedError(ThrottledError):
    """The shared rate limit gives this caller its token only after a longer wait than a function
    should sleep. The token is reserved: `not_before` (epoch seconds) is when it may be used, and
    whoever waits for it hands the ticket back so that no second token is taken."""

    def __init__(self, operation: str, key: str, not_before: float, *, waited_for: str) -> None:
        super().__init__(operation, f"rate limit: the next token is {waited_for} away")
        self.key = key
        self.not_before = not_before


class ThrottleDeadlineError(SpApiLakeError):
    """A step waited for SP-API's rate limit until the configured deadline. Never retried: raise
    the deadline, or ask for fewer reports per selling partner."""


class RequestsUnplacedError(SpApiLakeError):
    """request-reports placed some requests but not all: Amazon rejected them, or they were still
    rate-limited at the deadline. The execution fails with every such request in its cause."""


class SpApiServerError(SpApiError):
    """5xx or a transport failure after the client's own retries. Retry later."""


class ReportNotFoundError(SpApiError):
    """404: the report or document does not exist for this seller (or is older than 90 days)."""


class AccessDeniedError(SpApiError):
    """403 from SP-API: the app lacks the role for this report type, or needs an RDT."""


class AccessTokenExpiredError(AccessDeniedError):
    """403 because the access token expired, e.g. after a step waited longer than the token
    lives. Authenticate again and repeat the call; nothing else is wrong."""


class InvalidRequestError(SpApiError):
    """400: the request does not fit Amazon's contract. Not retried."""


class AuthError(SpApiLakeError):
    """Login with Amazon refused to issue a token."""


class InvalidGrantError(AuthError):
    """The refresh token is revoked or wrong: the seller must authorise the app again."""


class InvalidClientError(AuthError):
    """The LWA client id or secret is wrong or was rotated: update the app credentials."""


class DocumentError(SpApiLakeError):
    """A report document could not be downloaded or decoded; nothing was stored."""


class DocumentUrlExpiredError(DocumentError):
    """The pre-signed URL answered 403: call getReportDocument again for a fresh URL."""


class DocumentDownloadError(DocumentError):
    """The download failed (connection reset, 5xx, short body). Retry the download."""


class CorruptDocumentError(DocumentError):
    """The gzip stream is truncated or corrupt. Retry the download; nothing was stored."""


class DocumentTooLargeError(DocumentError):
    """The decompressed document exceeds the configured ceiling (a gzip bomb?)."""


class UndecodableDocumentError(DocumentError):
    """The document is not valid in its declared charset. DocumentStorer catches it and stores
    the raw bytes instead, so it never reaches a workflow."""


class ReportNotReadyError(SpApiLakeError):
    """The report is still IN_QUEUE or IN_PROGRESS. Ask again later."""


class ReportTimeoutError(SpApiLakeError):
    """The report did not finish within the wait budget."""


class ConflictError(SpApiError):
    """409: the destination or subscription exists already. Callers look it up instead."""


class QueryNotReadyError(SpApiLakeError):
    """A Data Kiosk query is still IN_QUEUE or IN_PROGRESS. Ask again later."""


class QueryContextMissingError(SpApiLakeError):
    """A finished Data Kiosk query has no context in the ledger: its creator may still be
    recording it (ask again shortly), or this stack did not create it (leave it alone)."""


class QueryTimeoutError(SpApiLakeError):
    """A Data Kiosk query did not finish (or no slot freed up) within the wait budget."""


class QueryDeadlineError(SpApiLakeError):
    """No Data Kiosk slot freed up before the step's deadline (throttleDeadlineHours)."""


class QueriesUncreatedError(SpApiLakeError):
    """request-queries created some first pages but not all; the execution fails with every
    such page in its cause."""


class NextPageFailedError(SpApiLakeError):
    """ingest-query stored its page but could not create the next one; reconcile starts the
    execution again, which creates it then."""


class CurateFailedError(SpApiLakeError):
    """The ingest-report execution's CurateFailed state: curation failed after its retries; the
    raw file and manifest stay, reconcile curates again, and an alarm fires."""


class AwsServiceError(SpApiLakeError):
    """An AWS call (S3, SSM, Secrets Manager, KMS, SQS, Step Functions) failed after the SDK's own
    retries: throttling, 5xx or the network. Retry later. Permission and missing-resource
    failures are ConfigError instead."""


class SealError(SpApiLakeError):
    """A value cannot be sealed (too large for KMS) or unsealed (sealed for another purpose or
    stack, or tampered with). Never retried."""
