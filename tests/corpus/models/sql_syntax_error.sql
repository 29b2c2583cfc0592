selec 1
