{% extends 'nope.sql' %}
