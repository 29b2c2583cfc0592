"""dbt-tests-adapter's `grants` suite, on Postgres (dbt-duckdb has no grants): models, seeds,
snapshots and incremental models granted to the roles DBT_TEST_USER_1..3 (tests/conformance/run
creates them), grants revoked when the config drops them, and an unknown privilege or grantee
failing the node."""

import pytest
from dbt.tests.adapter.grants.test_incremental_grants import BaseIncrementalGrants
from dbt.tests.adapter.grants.test_invalid_grants import BaseInvalidGrants
from dbt.tests.adapter.grants.test_model_grants import BaseModelGrants
from dbt.tests.adapter.grants.test_seed_grants import BaseSeedGrants
from dbt.tests.adapter.grants.test_snapshot_grants import BaseSnapshotGrants

pytestmark = pytest.mark.only_engine("postgres")


class TestModelGrants(BaseModelGrants):
    pass


class TestIncrementalGrants(BaseIncrementalGrants):
    pass


class TestSeedGrants(BaseSeedGrants):
    pass


class TestSnapshotGrants(BaseSnapshotGrants):
    pass


class TestInvalidGrants(BaseInvalidGrants):
    pass
