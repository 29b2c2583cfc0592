select {{ 1 is frobnicate }}
