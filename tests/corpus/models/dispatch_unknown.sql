select {{ adapter.dispatch('no_such_macro')() }}
