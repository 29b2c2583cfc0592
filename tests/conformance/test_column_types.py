"""dbt-tests-adapter's `column_types` suite. Its one case asserts Postgres's type names."""

import pytest
from dbt.tests.adapter.column_types.test_column_types import BasePostgresColumnTypes


@pytest.mark.only_engine("postgres")
class TestPostgresColumnTypes(BasePostgresColumnTypes):
    pass
