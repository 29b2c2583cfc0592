"""The Uxcestershire warehouse as an Airflow DAG built with Astronomer Cosmos: every 15 minutes, a
task simulates the next day of the town (`uxt simulate --days 1`), then a Cosmos task group
builds the uxt project: one task per model, seed and snapshot, then one for the data tests.

    AIRFLOW__CORE__DAGS_FOLDER=orchestration/airflow/dags airflow standalone

`UXT` names the uxt binary (default: `uxt` on PATH); the project is this repository's root.
"""

import os
from datetime import datetime
from pathlib import Path

from airflow.providers.standard.operators.bash import BashOperator
from airflow.sdk import DAG
from cosmos import DbtTaskGroup, ExecutionConfig, LoadMode, ProfileConfig, ProjectConfig, RenderConfig
from cosmos.constants import ExecutionMode, InvocationMode, TestBehavior

PROJECT_DIR = Path(__file__).resolve().parents[3]
UXT = os.environ.get("UXT", "uxt")

with DAG(
    dag_id="uxcestershire",
    schedule="*/15 * * * *",
    start_date=datetime(2026, 1, 1),
    catchup=False,
    max_active_runs=1,
) as dag:
    simulate = BashOperator(
        task_id="simulate_one_day",
        bash_command=f'"{UXT}" simulate --days 1 --project-dir "{PROJECT_DIR}"',
    )
    warehouse = DbtTaskGroup(
        group_id="warehouse",
        project_config=ProjectConfig(PROJECT_DIR),
        profile_config=ProfileConfig(
            profile_name="uxcestershire",
            target_name="dev",
            profiles_yml_filepath=PROJECT_DIR / "project" / "profiles.yml",
        ),
        execution_config=ExecutionConfig(
            execution_mode=ExecutionMode.LOCAL,
            invocation_mode=InvocationMode.SUBPROCESS,
            dbt_executable_path=UXT,
        ),
        render_config=RenderConfig(
            load_method=LoadMode.DBT_LS,
            invocation_mode=InvocationMode.SUBPROCESS,
            dbt_executable_path=UXT,
            # The data tests in one task once everything is built: a task costs more than
            # the test it would run.
            test_behavior=TestBehavior.AFTER_ALL,
        ),
    )
    simulate >> warehouse
