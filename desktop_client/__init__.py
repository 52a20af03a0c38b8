"""A reference desktop client for kick-oauth-proxy: "Sign in with Kick" without a client secret.

Run `python -m desktop_client --help`.
"""
