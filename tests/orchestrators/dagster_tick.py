"""Evaluates one tick of a Dagster code location's schedule and runs what it requests in process,
as the Dagster daemon would; prints what Dagster saw as one JSON object on the last line.

    python dagster_tick.py CODE_LOCATION_FILE SCHEDULE_NAME

The file is loaded as `dagster dev -f` loads it (its `defs`). Used by tests/it/orchestrators.rs.
"""

import importlib.util
import json
import sys

from dagster import DagsterInstance, build_schedule_context


def main() -> None:
    path, schedule_name = sys.argv[1:]
    spec = importlib.util.spec_from_file_location("code_location", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    defs = module.defs
    schedule = defs.resolve_schedule_def(schedule_name)
    instance = DagsterInstance.ephemeral()
    tick = schedule.evaluate_tick(build_schedule_context(instance=instance))
    runs = []
    for request in tick.run_requests:
        job = defs.resolve_job_def(schedule.job_name)
        result = job.execute_in_process(
            run_config=request.run_config,
            tags=request.tags,
            instance=instance,
            raise_on_error=False,
        )
        evaluations = result.get_asset_check_evaluations()
        runs.append(
            {
                "success": result.success,
                "materialized": sorted(
                    event.asset_key.to_user_string()
                    for event in result.get_asset_materialization_events()
                ),
                "checks": len(evaluations),
                "failed_checks": sorted(
                    evaluation.check_name for evaluation in evaluations if not evaluation.passed
                ),
            }
        )
    print(json.dumps({"cron": schedule.cron_schedule, "runs": runs}))


if __name__ == "__main__":
    main()
