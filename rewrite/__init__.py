"""ha-rewrite: make SysV init scripts speak the Linux-HA Heartbeat status contract."""

__version__ = "0.1.0"
