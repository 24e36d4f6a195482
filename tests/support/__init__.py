"""What test modules import by name: clients, sockets, processes, payloads and other helpers.

Fixtures live in the conftest.py files, which build on these; no test imports a conftest or
another test module.
"""
