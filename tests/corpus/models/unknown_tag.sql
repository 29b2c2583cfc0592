{% frobnicate %}
select 1
