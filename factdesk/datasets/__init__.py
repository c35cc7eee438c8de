"""The benchmark and training data sets under a data folder (the shared ``data`` folder by default), each loader
and each split defined once. Training and evaluation read them; runtime code never does."""
