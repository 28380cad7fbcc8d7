"""reconcile: stored reports whose curation never finished go to the curate function."""

from datetime import timedelta

from dependency_injector import providers

from domain.lake import data_key, manifest_key
from handlers import reconcile
from tests.fakes import FakeCurateTrigger
from tests.unit.handlers.conftest import ORDERS


def test_a_stored_report_without_a_curated_section_is_sent_to_be_curated(world, context, captured):
    curate = FakeCurateTrigger()
    world.container.curate_function.override(providers.Object(curate))
    stored = world.report(created=world.clock.now() - timedelta(hours=3))
    curated = world.report(report_id="2", created=world.clock.now() - timedelta(hours=3))
    unknown = world.report(report_id="3", report_type=ORDERS, document=False)
    two_hours_ago = (world.clock.now() - timedelta(hours=2)).isoformat()
    for report, extra in ((stored, {}), (curated, {"curated": {"tables": []}})):
        body = {"outcome": "stored", "key": data_key(report), "ingestedAt": two_hours_ago}
        world.lake.put_manifest(manifest_key(report), {**body, **extra})
    world.lake.put_manifest(manifest_key(unknown), {"outcome": "no-data", "key": None})

    result = reconcile.lambda_handler({}, context)

    assert curate.requested == [manifest_key(stored)]
    assert (result["inLake"], result["curating"], result["started"]) == (3, 1, 0)
    assert captured.metrics()["ReportsCuratedAgain"] == 1


def test_without_the_curate_function_configured_reconcile_still_ingests(world, context):
    world.configure(curate_function=None)
    lost = world.report(created=world.clock.now() - timedelta(hours=3))

    result = reconcile.lambda_handler({}, context)

    assert (result["started"], result["curating"]) == (1, 0)
    assert [s.report_id for s in world.workflow.started] == [lost.report_id]
