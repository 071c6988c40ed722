# stub (bench): unused by the timed code
