"""The operations every front end calls.

Catalogs of rule sets and layers, batch checks, and (with the store) authorization.
"""
