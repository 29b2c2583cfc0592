"""Materializes a dbt project's models as Dagster assets with dagster-dbt, driving uxt as the dbt
executable, as a Dagster user would; prints what Dagster saw as one JSON object on the last line.

    python dagster_build.py PROJECT_DIR UXT [ASSET_KEY ...]

With asset keys (`/`-joined, as `stg_customers`), only those assets are selected, and dagster-dbt
turns the selection into `--select` for uxt. Used by tests/it/orchestrators.rs.
"""

import json
import sys

from dagster import AssetKey, materialize
from dagster_dbt import DbtCliResource, dbt_assets


def main() -> None:
    project_dir, uxt, *selected = sys.argv[1:]
    dbt = DbtCliResource(project_dir=project_dir, dbt_executable=uxt)
    # The documented way of loading a manifest when definitions load: `dbt parse`.
    manifest = dbt.cli(["--quiet", "parse"]).wait().target_path.joinpath("manifest.json")

    @dbt_assets(manifest=manifest)
    def project_assets(context, dbt: DbtCliResource):
        yield from dbt.cli(["build"], context=context).stream()

    selection = [AssetKey(key.split("/")) for key in selected] or None
    result = materialize(
        [project_assets],
        resources={"dbt": dbt},
        selection=selection,
        raise_on_error=False,
    )
    materialized = sorted(
        event.asset_key.to_user_string() for event in result.get_asset_materialization_events()
    )
    checks = sorted(
        (
            {
                "asset": evaluation.asset_key.to_user_string(),
                "check": evaluation.check_name,
                "passed": evaluation.passed,
                "severity": evaluation.severity.value,
            }
            for evaluation in result.get_asset_check_evaluations()
        ),
        key=lambda check: (check["asset"], check["check"]),
    )
    print(
        json.dumps(
            {
                "success": result.success,
                "assets": sorted(key.to_user_string() for key in project_assets.keys),
                "check_specs": sorted(
                    f"{spec.asset_key.to_user_string()}:{spec.name}"
                    for spec in project_assets.check_specs
                ),
                "materialized": materialized,
                "checks": checks,
            }
        )
    )


if __name__ == "__main__":
    main()
