# stub (bench)
StackedMNIST = None
_data_transforms_stacked_mnist = None
