# stub (bench): unused by the timed code
CIFAR10 = None
