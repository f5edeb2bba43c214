"""oermonitor: keeps open learning materials online, openly licensed and current."""

__version__ = "0.1.0"
