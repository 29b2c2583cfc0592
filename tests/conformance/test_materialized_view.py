"""dbt-tests-adapter's `materialized_view` suite, on Postgres as dbt-postgres runs it (DuckDB has
no materialized views): create, idempotent runs, full refresh, swapping to and from tables and
views, refresh-only updates, and `on_configuration_change` (apply, continue, fail) for a change
of the view's indexes. The hooks the suite leaves to the adapter are written here."""

import pytest
from dbt.tests.adapter.materialized_view.basic import MaterializedViewBasic
from dbt.tests.adapter.materialized_view.changes import (
    MaterializedViewChanges,
    MaterializedViewChangesApplyMixin,
    MaterializedViewChangesContinueMixin,
    MaterializedViewChangesFailMixin,
)
from dbt.tests.adapter.materialized_view.files import MY_TABLE, MY_VIEW
from dbt.tests.util import get_model_file, set_model_file

pytestmark = pytest.mark.only_engine("postgres")

# The suite's materialized view with one index, whose column the change tests move.
INDEXED_ON = "indexes=[{'columns': ['%s']}]"
MATERIALIZED_VIEW = (
    "{{ config(materialized='materialized_view', %s) }}\nselect * from {{ ref('my_seed') }}\n"
    % (INDEXED_ON % "id")
)
MODELS = {
    "my_table.sql": MY_TABLE,
    "my_view.sql": MY_VIEW,
    "my_materialized_view.sql": MATERIALIZED_VIEW,
}
# Postgres's relkind letters, by dbt's relation type names.
RELKINDS = {"r": "table", "v": "view", "m": "materialized_view"}
NO_REPLACE_CHANGE = "dbt-postgres watches only indexes, which it changes in place (ALTER)"


def relation_type(project, relation):
    rows = project.run_sql(
        "select c.relkind from pg_class c join pg_namespace n on n.oid = c.relnamespace"
        f" where n.nspname = '{relation.schema}' and c.relname = '{relation.identifier}'",
        fetch="all",
    )
    assert len(rows) <= 1, f"{len(rows)} relations named {relation}"
    return RELKINDS.get(rows[0][0], rows[0][0]) if rows else None


def indexed_columns(project, relation):
    """The columns of each index on the relation, comma-separated, one string per index."""
    rows = project.run_sql(
        "select (select string_agg(a.attname, ',' order by k.n) from unnest(i.indkey)"
        " with ordinality as k(attnum, n) join pg_attribute a"
        " on a.attrelid = i.indrelid and a.attnum = k.attnum)"
        " from pg_index i join pg_class c on c.oid = i.indrelid"
        " join pg_namespace n on n.oid = c.relnamespace"
        f" where n.nspname = '{relation.schema}' and c.relname = '{relation.identifier}'",
        fetch="all",
    )
    return sorted(row[0] for row in rows)


def move_index(project, relation, old, new):
    model = get_model_file(project, relation)
    set_model_file(project, relation, model.replace(INDEXED_ON % old, INDEXED_ON % new))


class TestMaterializedViewBasic(MaterializedViewBasic):
    @pytest.fixture(scope="class", autouse=True)
    def models(self):
        yield MODELS

    @staticmethod
    def insert_record(project, table, record):
        project.run_sql(f"insert into {table} (id, value) values {tuple(record)}")

    @staticmethod
    def refresh_materialized_view(project, materialized_view):
        project.run_sql(f"refresh materialized view {materialized_view}")

    @staticmethod
    def query_row_count(project, relation):
        return project.run_sql(f"select count(*) from {relation}", fetch="one")[0]

    @staticmethod
    def query_relation_type(project, relation):
        return relation_type(project, relation)


class IndexChanges(MaterializedViewChanges):
    @pytest.fixture(scope="class", autouse=True)
    def models(self):
        yield MODELS

    @staticmethod
    def query_relation_type(project, relation):
        return relation_type(project, relation)

    @staticmethod
    def check_start_state(project, materialized_view):
        assert indexed_columns(project, materialized_view) == ["id"]

    @staticmethod
    def change_config_via_alter(project, materialized_view):
        move_index(project, materialized_view, "id", "value")

    @staticmethod
    def check_state_alter_change_is_applied(project, materialized_view):
        assert indexed_columns(project, materialized_view) == ["value"]


class TestMaterializedViewChangesApply(IndexChanges, MaterializedViewChangesApplyMixin):
    @pytest.mark.skip(NO_REPLACE_CHANGE)
    def test_change_is_applied_via_replace(self, project, my_materialized_view):
        pass


class TestMaterializedViewChangesContinue(IndexChanges, MaterializedViewChangesContinueMixin):
    @pytest.mark.skip(NO_REPLACE_CHANGE)
    def test_change_is_not_applied_via_replace(self, project, my_materialized_view):
        pass


class TestMaterializedViewChangesFail(IndexChanges, MaterializedViewChangesFailMixin):
    @pytest.mark.skip(NO_REPLACE_CHANGE)
    def test_change_is_not_applied_via_replace(self, project, my_materialized_view):
        pass
