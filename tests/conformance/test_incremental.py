"""dbt-tests-adapter's `incremental` suite: unique keys, predicates, schema changes, and
microbatch (its clock set by `patch_microbatch_end_time`, which conftest.py passes to uxt)."""

import pytest
from dbt.tests.adapter.incremental.test_incremental_merge_exclude_columns import (
    BaseMergeExcludeColumns,
)
from dbt.tests.adapter.incremental.test_incremental_microbatch import BaseMicrobatch
from dbt.tests.adapter.incremental.test_incremental_on_schema_change import (
    BaseIncrementalOnSchemaChange,
)
from dbt.tests.adapter.incremental.test_incremental_predicates import BaseIncrementalPredicates
from dbt.tests.adapter.incremental.test_incremental_unique_id import BaseIncrementalUniqueKey


class TestMergeExcludeColumns(BaseMergeExcludeColumns):
    pass


class TestIncrementalOnSchemaChange(BaseIncrementalOnSchemaChange):
    pass


class TestIncrementalPredicatesDeleteInsert(BaseIncrementalPredicates):
    pass


class TestIncrementalUniqueKey(BaseIncrementalUniqueKey):
    pass


class TestMicrobatch(BaseMicrobatch):
    pass


# The suite's rows are `TIMESTAMP '2020-01-01 00:00:00-0'`, which DuckDB rejects (an offset in a
# TIMESTAMP literal) under dbt-duckdb as under uxt: the same rows as plain UTC timestamps.
@pytest.mark.only_engine("duckdb")
class TestMicrobatchUtcTimestamps(BaseMicrobatch):
    @pytest.fixture(scope="class")
    def input_model_sql(self):
        return "\n".join(
            [
                "{{ config(materialized='table', event_time='event_time') }}",
                "select 1 as id, TIMESTAMP '2020-01-01 00:00:00' as event_time",
                "union all select 2, TIMESTAMP '2020-01-02 00:00:00'",
                "union all select 3, TIMESTAMP '2020-01-03 00:00:00'",
            ]
        )

    @pytest.fixture(scope="class")
    def insert_two_rows_sql(self, project):
        return (
            f"insert into {project.database}.{project.test_schema}.input_model (id, event_time)"
            " values (4, TIMESTAMP '2020-01-04 00:00:00'), (5, TIMESTAMP '2020-01-05 00:00:00')"
        )
