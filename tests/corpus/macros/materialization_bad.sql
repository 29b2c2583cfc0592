{% materialization m, adapter='duckdb' %}
