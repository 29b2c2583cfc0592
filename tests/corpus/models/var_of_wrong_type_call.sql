select {{ var('batch')() }}
