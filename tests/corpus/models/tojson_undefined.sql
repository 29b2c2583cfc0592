select {{ tojson(nothing) }}
