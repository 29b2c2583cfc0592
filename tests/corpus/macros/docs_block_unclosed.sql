{% docs d %}
text
