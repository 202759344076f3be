"""The HTTP service and web page (``seqgpt serve``); ``seqgpt.serve.app.create_app`` builds it.

Kept import-free: the ``seqgpt`` command imports ``seqgpt.serve.command`` on every run, and
FastAPI is an optional extra.
"""
