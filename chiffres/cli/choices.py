"""The fixed values options offer (``--severity``, ``--status``…), written out for the parser.

Their owners are modules that import much of the instance (``ledger.blocks`` brings units and pint,
``ledger.requests`` the publisher): naming them here lets ``chiffres`` build its parser, and answer ``--help``, without
importing any of it. ``tests/chiffres/test_cli_startup.py`` holds each equal to its owner's.
"""

from __future__ import annotations

from typing import Final

#: ``actors.membership.POLICIES``: how a follow of a group is answered.
POLICIES: Final = ("open", "charter", "admin")
#: ``ledger.blocks.SEVERITIES``: what a domain block does.
SEVERITIES: Final = ("silence", "suspend")
#: ``ledger.requests.LISTINGS``: the states a listing of requests can keep.
LISTINGS: Final = ("open", "stale", "answered", "closed")
#: ``ledger.reciprocity.DEFAULT_DAYS``: the ledger's window.
DEFAULT_DAYS: Final = 90
#: ``consensus.offline.SCALES``: how offline estimation compares values.
SCALES: Final = ("auto", "ratio", "interval")
