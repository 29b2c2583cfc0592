select {{ 'abc }}
