"""Local development without Docker: a Kick emulator, the proxy's handlers behind a local API, a dev runner.

Dev tooling only: it lives outside src/, so `sam build` (CodeUri: src/) never packages it.
"""
