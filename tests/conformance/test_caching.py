"""dbt-tests-adapter's `caching` suite: the relation cache and `--cache-selected-only`.

Every case here asserts on `project.adapter.cache`, the relation cache of dbt's adapter inside
the test process, which dbt's run fills. uxt runs in its own process, so these cases are not
measurable with it (the flags they pass are covered by uxt's own CLI tests)."""

import pytest
from dbt.tests.adapter.caching.test_caching import (
    BaseCachingLowercaseModel,
    BaseCachingSelectedSchemaOnly,
    BaseCachingUppercaseModel,
    BaseNoPopulateCache,
)


IN_PROCESS = pytest.mark.in_process("asserts on dbt's in-process relation cache (adapter.cache)")


@IN_PROCESS
class TestCachingLowerCaseModel(BaseCachingLowercaseModel):
    pass


@IN_PROCESS
class TestCachingUppercaseModel(BaseCachingUppercaseModel):
    pass


@IN_PROCESS
class TestCachingSelectedSchemaOnly(BaseCachingSelectedSchemaOnly):
    pass


@IN_PROCESS
class TestNoPopulateCache(BaseNoPopulateCache):
    pass
