select {{ 1 | frobnicate }}
