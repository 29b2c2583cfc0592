"""dbt-tests-adapter's `aliases` suite."""

import pytest
from dbt.tests.adapter.aliases.test_aliases import (
    BaseAliasErrors,
    BaseAliases,
    BaseSameAliasDifferentDatabases,
    BaseSameAliasDifferentSchemas,
)


class TestAliases(BaseAliases):
    pass


class TestAliasErrors(BaseAliasErrors):
    pass


class TestSameAliasDifferentSchemas(BaseSameAliasDifferentSchemas):
    pass


# A second database in one target is Postgres's case (dbt-duckdb does not run it).
@pytest.mark.only_engine("postgres")
class TestSameAliasDifferentDatabases(BaseSameAliasDifferentDatabases):
    pass
