select {{ fromyaml('a: [') }}
