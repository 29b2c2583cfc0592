select {{ 'x'() }}
