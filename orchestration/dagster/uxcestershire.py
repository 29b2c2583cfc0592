"""The Uxcestershire warehouse as a Dagster code location: an asset that simulates the next day
of the town (`uxt simulate --days 1`, which writes the `uxc` and `uxc_truth` sources), the uxt
models, seeds and snapshots as dbt assets downstream of it, their data tests as asset checks,
and a schedule that runs it all every 15 minutes.

    dagster dev -f orchestration/dagster/uxcestershire.py

`UXT` names the uxt binary (default: `uxt` on PATH); the project is this repository's root.
"""

import os
import subprocess
from pathlib import Path

from dagster import (
    AssetExecutionContext,
    AssetSelection,
    AssetSpec,
    Definitions,
    MaterializeResult,
    ScheduleDefinition,
    define_asset_job,
    multi_asset,
)
from dagster_dbt import DbtCliResource, dbt_assets, get_asset_keys_by_output_name_for_source

PROJECT_DIR = Path(__file__).resolve().parents[2]
UXT = os.environ.get("UXT", "uxt")

dbt = DbtCliResource(project_dir=os.fspath(PROJECT_DIR), dbt_executable=UXT)
manifest = dbt.cli(["--quiet", "parse"]).wait().target_path.joinpath("manifest.json")


@dbt_assets(manifest=manifest)
def uxcestershire_warehouse(context: AssetExecutionContext, dbt: DbtCliResource):
    yield from dbt.cli(["build"], context=context).stream()


# The town's raw feeds and its ground truth: the dbt sources that `uxt simulate` writes.
town_tables = [
    *get_asset_keys_by_output_name_for_source([uxcestershire_warehouse], "uxc").values(),
    *get_asset_keys_by_output_name_for_source([uxcestershire_warehouse], "uxc_truth").values(),
]


@multi_asset(specs=[AssetSpec(key) for key in town_tables])
def uxcestershire_town(context: AssetExecutionContext):
    """Simulates the next day of Uxcestershire into its raw and truth tables."""
    subprocess.run(
        [UXT, "simulate", "--days", "1", "--project-dir", os.fspath(PROJECT_DIR)], check=True
    )
    for key in town_tables:
        yield MaterializeResult(asset_key=key)


every_day_of_the_town = define_asset_job("every_day_of_the_town", selection=AssetSelection.all())

defs = Definitions(
    assets=[uxcestershire_town, uxcestershire_warehouse],
    jobs=[every_day_of_the_town],
    schedules=[ScheduleDefinition(job=every_day_of_the_town, cron_schedule="*/15 * * * *")],
    resources={"dbt": dbt},
)
