select {{ 1 + 
