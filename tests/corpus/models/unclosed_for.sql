{% for i in [1] %}
select {{ i }}
