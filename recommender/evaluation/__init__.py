"""Offline evaluation (Django-free): the protocols by name (`protocols.py`), one module per protocol, the time
split (`split.py`) and the report files (`report.py`)."""
