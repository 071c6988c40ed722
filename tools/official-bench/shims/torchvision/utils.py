# stub (bench): unused by the timed code
save_image = None
