select {{ zip_strict([1], [1, 2]) | list }}
