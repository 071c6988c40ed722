# stub (bench)
LSUN = None
