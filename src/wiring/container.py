"""The composition root for one machine: the only place local adapters are built and wired."""

from __future__ import annotations

import httpx
from dependency_injector import containers, providers

from adapters.env_credentials import EnvCredentials
from adapters.fast_gzip import gzip_decompressor
from adapters.file_lake import FileLake
from adapters.http_document_source import HttpDocumentSource
from adapters.http_retry import Retrying
from adapters.lwa import LwaAccessTokens
from adapters.rate_limit import RateLimiter
from adapters.spapi_client import SpApiClient
from adapters.spapi_datakiosk import SpApiKioskApi
from adapters.spapi_reports import SpApiReportsApi
from adapters.system_clock import SystemClock
from domain.curating import CurateService
from domain.datakiosk.lifecycle import SLOT_POLICY, QueryCreator, QueryWaiter
from domain.datakiosk.locking import ProcessCreationLock
from domain.datakiosk.running import QueryRunner, QueryStarter
from domain.datakiosk.storing import PageStorer, QueryLedger
from domain.ingesting import LocalIngest
from domain.ports import CurateEngine
from domain.queue_waiting import QueuePolicy, QueueWaiter
from domain.requesting import ReportRequester
from domain.storing import DocumentStorer
from domain.waiting import PollPolicy, ReportWaiter
from wiring.aws_clients import (
    aws_client,
    dynamodb_creation_lock,
    dynamodb_rate_limiter,
    s3_lake,
    sqs_queue,
)

GIB = 1 << 30


def duckdb_curate_engine() -> CurateEngine:
    """DuckDB comes with the `analytics` extra: imported only when something curates, so
    `run` still ingests where it is missing (ImportError says so)."""
    from adapters.duckdb_curate import DuckDbCurateEngine

    return DuckDbCurateEngine()


class LocalContainer(containers.DeclarativeContainer):
    """Tests and the demo override `credentials`, `poll_policy`, `slot_policy`, `limiter` or
    `retrying`.

    `config.lake_kind` ("file" or "s3") picks the lake and `config.waiting` ("poll" or
    "queue") the waiter; AWS clients are built (and boto3 imported) only when picked.
    """

    config = providers.Configuration(strict=True)

    clock = providers.Singleton(SystemClock)
    http = providers.Singleton(
        httpx.Client, timeout=httpx.Timeout(60.0, connect=10.0), follow_redirects=False
    )
    credentials = providers.Singleton(EnvCredentials)
    retrying = providers.Singleton(Retrying)
    # In-process by default; `config.limiter_kind == "shared"` draws from a deployment's
    # DynamoDB buckets, so a CLI run and the Lambdas never exceed Amazon's limits together.
    dynamodb = providers.Singleton(aws_client, "dynamodb")  # built only when shared
    limiter = providers.Selector(
        config.limiter_kind,
        local=providers.Singleton(RateLimiter),
        shared=providers.Singleton(dynamodb_rate_limiter, dynamodb, config.rate_limit_table, clock),
    )
    access_tokens = providers.Singleton(
        LwaAccessTokens,
        http=http,
        credentials=credentials,
        endpoint=config.lwa_endpoint,
        retrying=retrying,
    )
    spapi = providers.Singleton(
        SpApiClient,
        http=http,
        tokens=access_tokens,
        base_url=config.endpoint,
        limiter=limiter,
        retrying=retrying,
    )
    reports_api = providers.Singleton(SpApiReportsApi, client=spapi)
    lake = providers.Selector(
        config.lake_kind,
        file=providers.Singleton(FileLake, root=config.lake),
        s3=providers.Singleton(s3_lake, config.lake, config.kms_key_id),
    )
    document_source = providers.Singleton(HttpDocumentSource, http=http)
    poll_policy = providers.Singleton(PollPolicy)
    queue = providers.Singleton(sqs_queue, config.queue_url)
    queue_policy = providers.Singleton(QueuePolicy)

    requester = providers.Factory(ReportRequester, reports=reports_api, clock=clock)
    waiter = providers.Selector(
        config.waiting,
        poll=providers.Factory(ReportWaiter, reports=reports_api, clock=clock, policy=poll_policy),
        queue=providers.Factory(
            QueueWaiter, queue=queue, reports=reports_api, clock=clock, policy=queue_policy
        ),
    )
    storer = providers.Factory(
        DocumentStorer,
        reports=reports_api,
        source=document_source,
        lake=lake,
        clock=clock,
        decompressor=providers.Object(gzip_decompressor),
        max_decompressed_bytes=config.max_decompressed_bytes.as_int(),
    )
    ingest = providers.Factory(LocalIngest, requester=requester, waiter=waiter, storer=storer)
    curate_engine = providers.Singleton(duckdb_curate_engine)
    curate = providers.Factory(CurateService, lake=lake, engine=curate_engine, clock=clock)

    # Data Kiosk: the same client, lake and document source as reports; getQuery is polled as
    # getReport is, and a full partner (config.query_concurrency in flight) waits for a slot.
    kiosk_api = providers.Singleton(SpApiKioskApi, client=spapi)
    slot_policy = providers.Object(SLOT_POLICY)
    # Counting and creating, one caller at a time: in this process, or with a deployment's
    # shared table, across it and its Lambdas (the same lease items they take).
    creation_lock = providers.Selector(
        config.limiter_kind,
        local=providers.Singleton(ProcessCreationLock),
        shared=providers.Singleton(
            dynamodb_creation_lock, dynamodb, config.rate_limit_table, clock
        ),
    )
    query_creator = providers.Factory(
        QueryCreator,
        api=kiosk_api,
        max_in_flight=config.query_concurrency.as_int(),
        lock=creation_lock,
    )
    query_waiter = providers.Factory(QueryWaiter, api=kiosk_api, clock=clock, policy=poll_policy)
    page_storer = providers.Factory(
        PageStorer,
        api=kiosk_api,
        source=document_source,
        lake=lake,
        clock=clock,
        decompressor=providers.Object(gzip_decompressor),
        max_decompressed_bytes=config.max_decompressed_bytes.as_int(),
    )
    query_ledger = providers.Factory(QueryLedger, lake=lake)
    query_starter = providers.Factory(
        QueryStarter, creator=query_creator, ledger=query_ledger, lake=lake
    )
    query_runner = providers.Factory(
        QueryRunner,
        starter=query_starter,
        waiter=query_waiter,
        storer=page_storer,
        clock=clock,
        slot_policy=slot_policy,
    )
