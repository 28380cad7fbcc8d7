"""The composition root of the Lambda functions: the only place cloud adapters are built."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from datetime import timedelta
from typing import Any, NoReturn

import boto3
import httpx
from botocore.config import Config
from dependency_injector import containers, providers

from adapters.dynamodb_creation_lock import DynamoDbCreationLock
from adapters.dynamodb_rate_limit import DynamoDbRateLimiter
from adapters.fast_gzip import gzip_decompressor
from adapters.http_document_source import HttpDocumentSource
from adapters.http_retry import Retrying, RetryPolicy
from adapters.kms_sealer import KmsSealer
from adapters.lambda_authenticator import LambdaAuthenticator
from adapters.lambda_curate_trigger import LambdaCurateTrigger
from adapters.lwa import LwaAccessTokens
from adapters.s3_lake import S3Lake
from adapters.sealed_tokens import SealedAccessTokens
from adapters.secrets_credentials import SecretsManagerCredentials
from adapters.spapi_client import SpApiClient
from adapters.spapi_datakiosk import SpApiKioskApi
from adapters.spapi_notifications import SpApiNotificationsApi
from adapters.spapi_reports import SpApiReportsApi
from adapters.ssm_settings import SsmSettings
from adapters.stepfunctions_workflow import StepFunctionsWorkflow
from adapters.system_clock import SystemClock
from domain.authenticating import Authenticator
from domain.catalog import Catalog, Planner
from domain.curating import CurateService
from domain.datakiosk.catalog import QueryCatalog
from domain.datakiosk.lifecycle import QueryCreator
from domain.datakiosk.model import KioskDocument, KioskQuery
from domain.datakiosk.reconciling import QueryReconciler
from domain.datakiosk.running import QueryStarter
from domain.datakiosk.stepping import PageCreator, PageFetcher, QueryPlanner
from domain.datakiosk.storing import PageStorer, QueryLedger
from domain.dispatching import NotificationDispatcher
from domain.errors import SpApiLakeError
from domain.locating import DocumentFetcher
from domain.model import Report, ReportDocument, ReportRequest
from domain.pacing import Pacer
from domain.placing import ReportPlacer
from domain.ports import Clock, CurateEngine, DocumentStream
from domain.reconciling import CurateTrigger, Reconciler
from domain.requesting import ReportRequester
from domain.storing import DocumentStorer
from domain.subscribing import SubscriptionEnsurer
from wiring.runtime import reset, use

__all__ = ["CloudContainer", "reset", "use"]  # reset and use: for tests and LocalCloud

# Tokens authenticate hands out live at least this long, since the workflow uses them in later
# steps; reconcile reuses one for half of it. LWA tokens live an hour.
TOKEN_MIN_LIFE_SECONDS = 600
# The SDK's standard retry mode: exponential backoff with jitter on throttling and 5xx.
BOTO_CONFIG = Config(retries={"mode": "standard", "max_attempts": 5}, connect_timeout=5)


def aws_client(session: boto3.session.Session, service: str) -> Any:
    """A client that honours AWS_ENDPOINT_URL, as botocore does natively (moto in tests)."""
    return session.client(service, config=BOTO_CONFIG)  # type: ignore[call-overload]


def hours(value: int) -> timedelta:
    return timedelta(hours=value)


def epoch_of(clock: Clock) -> Callable[[], float]:
    """The container's clock as seconds, for adapters that count token lifetimes."""
    return lambda: clock.now().timestamp()


def retrying_on(clock: Clock, policy: RetryPolicy) -> Retrying:
    """Retries that sleep on the container's clock (LocalCloud runs it faster than real time)."""
    return Retrying(policy, sleep=clock.sleep, clock=lambda: clock.now().timestamp())


def accepting(
    ingest_unconfigured: bool, catalog: Callable[[], Catalog]
) -> Callable[[str, str], bool]:
    """Which notifications to ingest; the catalog (SSM) is read only when it can say no."""
    if ingest_unconfigured:
        return lambda owner, report_type: True
    return catalog().accepts


def accepting_queries(
    ingest_unconfigured: bool, catalog: Callable[[], QueryCatalog]
) -> Callable[[str], bool]:
    """Whose finished queries to ingest: configured partners some query runs for."""
    if ingest_unconfigured:
        return lambda owner: True
    return catalog().runs_queries


def duckdb_engine(memory_mb: int, threads: int) -> CurateEngine:
    """Imported on first use: DuckDB is only in the curate function's artifact."""
    from adapters.duckdb_curate import DuckDbCurateEngine

    return DuckDbCurateEngine(memory_limit=f"{memory_mb}MB", threads=threads)


def curate_trigger(client: Callable[[], Any], function_name: str | None) -> CurateTrigger | None:
    """The curate function, when the environment names it; reconcile curates nothing without
    (and builds no Lambda client for it)."""
    return LambdaCurateTrigger(client(), function_name) if function_name else None


class NoSpApi:
    """ReportsApi and DocumentSource for functions that hold no access token or URL
    (store_report, process_notification): a DocumentStorer there stores what it is given."""

    def _refuse(self, operation: str) -> NoReturn:
        raise SpApiLakeError(
            f"{operation}: this function does not call SP-API (fetch_document does)"
        )

    def create_report(self, request: ReportRequest) -> str:
        self._refuse("createReport")

    def get_report(self, seller_id: str, report_id: str) -> Report:
        self._refuse("getReport")

    def get_reports(self, seller_id: str, **filters: Any) -> Iterator[Report]:
        self._refuse("getReports")

    def cancel_report(self, seller_id: str, report_id: str) -> None:
        self._refuse("cancelReport")

    def get_report_document(self, seller_id: str, document_id: str) -> ReportDocument:
        self._refuse("getReportDocument")

    def open(self, url: str) -> AbstractContextManager[DocumentStream]:
        self._refuse("download")

    def create_query(self, partner_id: str, query: str, pagination_token: str | None = None) -> str:
        self._refuse("createQuery")

    def get_query(self, partner_id: str, query_id: str) -> KioskQuery:
        self._refuse("getQuery")

    def get_queries(self, partner_id: str, **filters: Any) -> Iterator[KioskQuery]:
        self._refuse("getQueries")

    def cancel_query(self, partner_id: str, query_id: str) -> None:
        self._refuse("cancelQuery")

    def get_document(self, partner_id: str, document_id: str) -> KioskDocument:
        self._refuse("getDocument")


def max_in_flight(catalog: QueryCatalog) -> int:
    """The stack's queryConcurrency, read when a step is built (settings are cached)."""
    return catalog.concurrency()


class CloudContainer(containers.DeclarativeContainer):
    """Every Lambda handler resolves its one service here. Tests override the ports (sealer,
    settings, lake, workflow, document_source, lwa_access_tokens, reports_api,
    reconcile_reports_api, authenticate_function, curate_function, curate_engine,
    notifications_api, clock) and set `config`
    from a CloudConfig; `wiring.runtime.use(container)` makes the handlers use it."""

    config = providers.Configuration()

    clock = providers.Singleton(SystemClock)
    session = providers.Singleton(boto3.session.Session)
    kms = providers.Singleton(aws_client, session, "kms")
    s3 = providers.Singleton(aws_client, session, "s3")
    ssm = providers.Singleton(aws_client, session, "ssm")
    secrets = providers.Singleton(aws_client, session, "secretsmanager")
    stepfunctions = providers.Singleton(aws_client, session, "stepfunctions")
    awslambda = providers.Singleton(aws_client, session, "lambda")
    dynamodb = providers.Singleton(aws_client, session, "dynamodb")
    http = providers.Singleton(
        httpx.Client, timeout=httpx.Timeout(60.0, connect=10.0), follow_redirects=False
    )
    # Faults (5xx, transport) are retried briefly in the function, then by the workflow.
    retrying = providers.Singleton(
        retrying_on, clock, RetryPolicy(max_attempts=3, max_total_seconds=20.0, max_delay=10.0)
    )
    # One bucket per (selling partner, operation) for every container of the deployment. A
    # function sleeps for its token at most `max_wait_seconds`; a longer wait goes back to the
    # workflow (RateLimitedError → a Wait state), which waits for free while a Lambda is billed
    # and holds one of its function's few reserved containers.
    limiter = providers.Singleton(
        DynamoDbRateLimiter,
        client=dynamodb,
        table=config.rate_limit_table,
        clock=clock,
        max_wait_seconds=2.0,
        margin_seconds=config.rate_limit_margin_seconds,
    )
    # reconcile runs outside any workflow, on a schedule: it may sleep longer for its tokens.
    reconcile_limiter = providers.Singleton(
        DynamoDbRateLimiter,
        client=dynamodb,
        table=config.rate_limit_table,
        clock=clock,
        max_wait_seconds=120.0,
        margin_seconds=config.rate_limit_margin_seconds,
    )
    pacer = providers.Singleton(
        Pacer,
        limits=limiter,
        clock=clock,
        deadline=providers.Callable(hours, config.throttle_deadline_hours),
    )

    sealer = providers.Singleton(
        KmsSealer, client=kms, key_id=config.kms_key_id, stack=config.stack
    )
    settings = providers.Singleton(SsmSettings, client=ssm, path=config.settings_path)
    catalog = providers.Singleton(Catalog, settings=settings, region=config.region)
    lake = providers.Singleton(
        S3Lake, client=s3, bucket=config.bucket, prefix=config.prefix, kms_key_id=config.kms_key_id
    )
    document_source = providers.Singleton(HttpDocumentSource, http=http)
    workflow = providers.Singleton(
        StepFunctionsWorkflow,
        client=stepfunctions,
        state_machine_arn=config.ingest_state_machine_arn,
        max_attempts=config.max_ingest_attempts,
        query_state_machine_arn=config.query_state_machine_arn,
    )
    no_sp_api = providers.Singleton(NoSpApi)

    # Only authenticate and subscribe read LWA credentials (security checklist rule 15).
    credentials = providers.Singleton(
        SecretsManagerCredentials,
        client=secrets,
        app_secret_id=config.app_secret_id,
        seller_secret_prefix=config.seller_secret_prefix,
    )
    lwa_access_tokens = providers.Singleton(
        LwaAccessTokens,
        http=http,
        credentials=credentials,
        endpoint=config.lwa_endpoint,
        refresh_margin_seconds=TOKEN_MIN_LIFE_SECONDS,
        retrying=retrying,
        clock=providers.Callable(epoch_of, clock),
    )
    lwa_client = providers.Singleton(
        SpApiClient,
        http=http,
        tokens=lwa_access_tokens,
        base_url=config.spapi_endpoint,
        limiter=limiter,
        retrying=retrying,
    )
    notifications_api = providers.Singleton(SpApiNotificationsApi, client=lwa_client)

    # The workflow's functions get the token sealed in their event (SealedAccessTokens.accept).
    access_tokens = providers.Singleton(SealedAccessTokens, sealer=sealer)
    spapi = providers.Singleton(
        SpApiClient,
        http=http,
        tokens=access_tokens,
        base_url=config.spapi_endpoint,
        limiter=limiter,
        retrying=retrying,
    )
    reports_api = providers.Singleton(SpApiReportsApi, client=spapi)

    # reconcile runs on a schedule, outside any workflow: it asks authenticate for tokens.
    authenticate_function = providers.Singleton(
        LambdaAuthenticator, client=awslambda, function_name=config.authenticate_function
    )
    reconcile_tokens = providers.Singleton(
        SealedAccessTokens,
        sealer=sealer,
        authenticator=authenticate_function,
        reuse_seconds=TOKEN_MIN_LIFE_SECONDS / 2,
        clock=providers.Callable(epoch_of, clock),
    )
    reconcile_client = providers.Singleton(
        SpApiClient,
        http=http,
        tokens=reconcile_tokens,
        base_url=config.spapi_endpoint,
        limiter=reconcile_limiter,
        retrying=retrying,
    )
    reconcile_reports_api = providers.Singleton(SpApiReportsApi, client=reconcile_client)

    # One service per handler.
    subscriptions = providers.Factory(SubscriptionEnsurer, notifications=notifications_api)
    authenticator = providers.Factory(Authenticator, tokens=lwa_access_tokens, sealer=sealer)
    planner = providers.Factory(Planner, catalog=catalog, clock=clock)
    requester = providers.Factory(ReportRequester, reports=reports_api, clock=clock)
    fetcher = providers.Factory(DocumentFetcher, reports=reports_api, pacer=pacer)
    placer = providers.Factory(ReportPlacer, requester=requester, pacer=pacer)
    storer = providers.Factory(
        DocumentStorer,
        reports=no_sp_api,
        source=document_source,
        lake=lake,
        clock=clock,
        decompressor=providers.Object(gzip_decompressor),
        max_decompressed_bytes=config.max_decompressed_bytes,
    )
    recorder = providers.Factory(
        DocumentStorer, reports=no_sp_api, source=no_sp_api, lake=lake, clock=clock
    )
    query_catalog = providers.Singleton(QueryCatalog, settings=settings, partners=catalog)
    dispatcher = providers.Factory(
        NotificationDispatcher,
        workflow=workflow,
        recorder=recorder,
        accepts=providers.Callable(accepting, config.ingest_unconfigured, catalog.provider),
        clock=clock,
        accepts_query=providers.Callable(
            accepting_queries, config.ingest_unconfigured, query_catalog.provider
        ),
    )
    curate_function = providers.Singleton(
        curate_trigger, awslambda.provider, config.curate_function
    )
    reconciler = providers.Factory(
        Reconciler,
        reports=reconcile_reports_api,
        lake=lake,
        workflow=workflow,
        clock=clock,
        curate=curate_function,
    )
    curate_engine = providers.Singleton(
        duckdb_engine, config.curate_memory_mb, config.curate_threads
    )
    curator = providers.Factory(CurateService, lake=lake, engine=curate_engine, clock=clock)

    # Data Kiosk (run_query; store_report stores pages with page_storer).
    kiosk_api = providers.Singleton(SpApiKioskApi, client=spapi)
    query_ledger = providers.Factory(QueryLedger, lake=lake)
    # Counting a partner's running queries and creating one, one caller at a time.
    creation_lock = providers.Singleton(
        DynamoDbCreationLock, client=dynamodb, table=config.rate_limit_table, clock=clock
    )
    query_starter = providers.Factory(
        QueryStarter,
        creator=providers.Factory(
            QueryCreator,
            api=kiosk_api,
            max_in_flight=providers.Callable(max_in_flight, query_catalog),
            lock=creation_lock,
        ),
        ledger=query_ledger,
        lake=lake,
    )
    query_planner = providers.Factory(QueryPlanner, catalog=query_catalog, clock=clock)
    page_creator = providers.Factory(
        PageCreator,
        starter=query_starter,
        api=kiosk_api,
        ledger=query_ledger,
        catalog=query_catalog,
        pacer=pacer,
    )
    page_fetcher = providers.Factory(PageFetcher, api=kiosk_api, ledger=query_ledger, pacer=pacer)
    query_reconciler = providers.Factory(
        QueryReconciler,
        api=providers.Singleton(SpApiKioskApi, client=reconcile_client),
        ledger=query_ledger,
        lake=lake,
        workflow=workflow,
        clock=clock,
        curate=curate_function,
    )
    page_storer = providers.Factory(
        PageStorer,
        api=no_sp_api,
        source=document_source,
        lake=lake,
        clock=clock,
        decompressor=providers.Object(gzip_decompressor),
        max_decompressed_bytes=config.max_decompressed_bytes,
    )
