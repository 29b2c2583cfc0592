select {{ var('no_such_var') }}
