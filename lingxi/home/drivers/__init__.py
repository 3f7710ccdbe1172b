"""Device drivers: the only device I/O of the home engine (``memory`` and ``mqtt``)."""
