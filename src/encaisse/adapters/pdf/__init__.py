"""Printed documents: WeasyPrint PDF/A-3b quotes, invoices and letters, Factur-X embedding.

``render`` holds the entry points; ``fr_format`` (French amounts and dates) has no WeasyPrint
dependency and is shared with the web pages.
"""
