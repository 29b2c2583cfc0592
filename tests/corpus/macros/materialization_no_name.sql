{% materialization %}{% endmaterialization %}
