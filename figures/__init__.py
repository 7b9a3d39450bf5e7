"""The figure, pure: what a figure is and how it reads, with no I/O and nothing of the network.

A figure is a value with its unit, what it measures, where, when and from which source (``figure``), in decimals
read the way each language writes them (``numbers``), units that convert (``units``), periods (``period``). Its
wire form is a Note Mastodon can show (``note``, with markup kept to Mastodon's allow-list by ``html``).
``correction_text`` reads a proposed value out of a reply's text (its HTML read by ``markup``), ``plausibility`` says
whether a proposed value is plausibly the same measure, and ``claims`` says what value an action on a figure
claims. It stands on ``schemas`` only, so the consensus, the server and the tools can all share it.
"""
