"""An Airflow DAG built by Astronomer Cosmos from a dbt project, with uxt as the dbt executable, as
an Airflow user would write it. tests/it/orchestrators.rs runs it with ../airflow_test.py and
sets (besides AIRFLOW_HOME and this folder as AIRFLOW__CORE__DAGS_FOLDER):

    UXT_TEST_PROJECT_DIR   the dbt project, with its profiles.yml
    UXT_TEST_UXT           the uxt binary
    UXT_TEST_LOAD_MODE     dbt_ls, or dbt_manifest (PROJECT_DIR/target/manifest.json)
    UXT_TEST_PROFILE       the profile and target Cosmos passes to uxt
    UXT_TEST_TARGET

Airflow 3 runs `dag.test()` on the DAG as its dags folder defines it, so the DAG is built here
from the environment rather than from arguments.
"""

import json
import os
from datetime import datetime
from pathlib import Path

from cosmos import DbtDag, ExecutionConfig, LoadMode, ProfileConfig, ProjectConfig, RenderConfig
from cosmos.constants import ExecutionMode, InvocationMode

project_dir = Path(os.environ["UXT_TEST_PROJECT_DIR"])
uxt = os.environ["UXT_TEST_UXT"]
load_mode = os.environ["UXT_TEST_LOAD_MODE"]
load_method = {"dbt_ls": LoadMode.DBT_LS, "dbt_manifest": LoadMode.DBT_MANIFEST}[load_mode]

dag = DbtDag(
    dag_id="uxt_cosmos",
    project_config=ProjectConfig(
        dbt_project_path=project_dir,
        manifest_path=project_dir / "target" / "manifest.json"
        if load_method == LoadMode.DBT_MANIFEST
        else None,
    ),
    profile_config=ProfileConfig(
        profile_name=os.environ["UXT_TEST_PROFILE"],
        target_name=os.environ["UXT_TEST_TARGET"],
        profiles_yml_filepath=project_dir / "profiles.yml",
    ),
    execution_config=ExecutionConfig(
        execution_mode=ExecutionMode.LOCAL,
        invocation_mode=InvocationMode.SUBPROCESS,
        dbt_executable_path=uxt,
    ),
    render_config=RenderConfig(
        load_method=load_method,
        invocation_mode=InvocationMode.SUBPROCESS,
        dbt_executable_path=uxt,
        # A relationships test runs once both its models are built, not with the first.
        should_detach_multiple_parents_tests=True,
    ),
    schedule=None,
    start_date=datetime(2026, 1, 1),
    catchup=False,
)
