"""Reads CloudFormation YAML, short-form tags included, into plain dicts and lists (local/template.py's loader)."""

from __future__ import annotations

from typing import Any

from local.template import ROOT, TEMPLATE, load_cfn_yaml

__all__ = ["ROOT", "load_cfn_yaml", "load_template"]


def load_template() -> dict[str, Any]:
    """A fresh copy each time: tests may change what they get."""
    return load_cfn_yaml(TEMPLATE)
