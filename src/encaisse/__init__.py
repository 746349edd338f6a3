"""Encaisse: invoicing and cash collection for French small businesses."""

__version__ = "0.1.0"
