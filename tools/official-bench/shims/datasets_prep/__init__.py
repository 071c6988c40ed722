# stub (bench)
