"""The web workbench: check, read, publish and correct, in a browser, over the library API."""

from factdesk.workbench.app import Workbench, make_server

__all__ = ["Workbench", "make_server"]
