"""Device drivers, sans-I/O protocol codecs and byte-exact simulators."""
