"""The asset library: every generated or imported asset, its files, versions and history.

`repository` is the only module that talks to the database; callers get plain records back.
"""
