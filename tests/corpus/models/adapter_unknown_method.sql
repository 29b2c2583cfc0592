select {{ adapter.frobnicate() }}
