"""dbt-tests-adapter's `constraints` suite: model contracts and constraints.

The suite's defaults are Postgres's type names and error texts; DuckDB's are given here as
DuckDB reports them (its type names, and its message for a violated NOT NULL).
"""

import pytest
from dbt.tests.adapter.constraints.test_constraints import (
    BaseConstraintQuotedColumn,
    BaseConstraintsRollback,
    BaseConstraintsRuntimeDdlEnforcement,
    BaseIncrementalConstraintsColumnsEqual,
    BaseIncrementalConstraintsRollback,
    BaseIncrementalConstraintsRuntimeDdlEnforcement,
    BaseIncrementalContractSqlHeader,
    BaseIncrementalForeignKeyConstraint,
    BaseModelConstraintsRuntimeEnforcement,
    BaseTableConstraintsColumnsEqual,
    BaseTableContractSqlHeader,
    BaseViewConstraintsColumnsEqual,
)

DUCKDB_DATA_TYPES = [
    # sql value, the type the YAML declares, the type the mismatch error names
    ["1", None, None],
    ["'1'", "VARCHAR", "VARCHAR"],
    ["true", "bool", "BOOL"],
    ["'2013-11-03 00:00:00-07'::timestamp", "TIMESTAMP", "TIMESTAMP"],
    ["'2013-11-03 00:00:00-07'::timestamptz", "TIMESTAMPTZ", "TIMESTAMP WITH TIME ZONE"],
    ["ARRAY['a','b','c']", "VARCHAR[]", "VARCHAR[]"],
    ["ARRAY[1,2,3]", "INTEGER[]", "INTEGER[]"],
    ["'1'::numeric", "numeric", "DECIMAL"],
    ["""'{"bar": "baz", "balance": 7.77, "active": false}'::json""", "json", "JSON"],
]


class EngineTypes:
    @pytest.fixture
    def string_type(self, engine):
        return "VARCHAR" if engine == "duckdb" else "TEXT"

    @pytest.fixture
    def data_types(self, engine, schema_int_type, int_type, string_type):
        if engine != "duckdb":
            return [
                ["1", schema_int_type, int_type],
                ["'1'", string_type, string_type],
                ["true", "bool", "BOOL"],
                ["'2013-11-03 00:00:00-07'::timestamptz", "timestamptz", "DATETIMETZ"],
                ["'2013-11-03 00:00:00-07'::timestamp", "timestamp", "DATETIME"],
                ["ARRAY['a','b','c']", "text[]", "STRINGARRAY"],
                ["ARRAY[1,2,3]", "int[]", "INTEGERARRAY"],
                ["'1'::numeric", "numeric", "DECIMAL"],
                ["""'{"bar": "baz", "balance": 7.77, "active": false}'::json""", "json", "JSON"],
            ]
        rows = [list(row) for row in DUCKDB_DATA_TYPES]
        rows[0][1:] = [schema_int_type, int_type]
        return rows


class EngineErrors:
    @pytest.fixture(scope="class")
    def expected_error_messages(self, engine):
        if engine == "duckdb":
            return ["NOT NULL constraint failed"]
        return ['null value in column "id"', "violates not-null constraint"]


class TestTableConstraintsColumnsEqual(EngineTypes, BaseTableConstraintsColumnsEqual):
    pass


class TestViewConstraintsColumnsEqual(EngineTypes, BaseViewConstraintsColumnsEqual):
    pass


class TestIncrementalConstraintsColumnsEqual(EngineTypes, BaseIncrementalConstraintsColumnsEqual):
    pass


class TestTableConstraintsRuntimeDdlEnforcement(BaseConstraintsRuntimeDdlEnforcement):
    pass


class TestTableConstraintsRollback(EngineErrors, BaseConstraintsRollback):
    pass


class TestIncrementalConstraintsRuntimeDdlEnforcement(
    EngineErrors, BaseIncrementalConstraintsRuntimeDdlEnforcement
):
    pass


class TestIncrementalConstraintsRollback(EngineErrors, BaseIncrementalConstraintsRollback):
    pass


class TestTableContractSqlHeader(BaseTableContractSqlHeader):
    pass


class TestIncrementalContractSqlHeader(BaseIncrementalContractSqlHeader):
    pass


class TestModelConstraintsRuntimeEnforcement(EngineErrors, BaseModelConstraintsRuntimeEnforcement):
    pass


class TestConstraintQuotedColumn(BaseConstraintQuotedColumn):
    pass


class TestIncrementalForeignKeyConstraint(BaseIncrementalForeignKeyConstraint):
    pass
