"""The web workbench: check, read, publish and correct, in a browser or over a JSON API, over the library API."""

from factdesk.workbench.app import Workbench, bind, create_app, make_server

__all__ = ["Workbench", "bind", "create_app", "make_server"]
