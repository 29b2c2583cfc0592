"""Runs one DAG of the dags folder once, as `airflow dags test` does, and prints what Airflow saw
as one JSON object on the last line: the run's state and each task's.

    python airflow_test.py DAG_FILE DAG_ID

AIRFLOW_HOME and AIRFLOW__CORE__DAGS_FOLDER (the folder of DAG_FILE) come from the caller. The
metadata database (SQLite under AIRFLOW_HOME) is created first: Cosmos keeps its cache in it
while the DAG file loads, and Airflow 3 runs `dag.test()` on the DAG as synced to it.
Used by tests/it/orchestrators.rs.
"""

import importlib.util
import json
import sys

from airflow.utils import db


def main() -> None:
    dag_file, dag_id = sys.argv[1:]
    db.initdb()
    spec = importlib.util.spec_from_file_location("dag_under_test", dag_file)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    dag = next(
        value for value in vars(module).values() if getattr(value, "dag_id", None) == dag_id
    )
    run = dag.test()
    tasks = {instance.task_id: str(instance.state) for instance in run.get_task_instances()}
    print(json.dumps({"state": str(run.state), "tasks": tasks}))


if __name__ == "__main__":
    main()
