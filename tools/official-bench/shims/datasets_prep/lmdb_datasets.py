# stub (bench)
LMDBDataset = None
