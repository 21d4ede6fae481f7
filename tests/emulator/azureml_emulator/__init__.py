"""Local emulator of the Azure Machine Learning REST APIs used by gdpr.azureml.

Development and test tool only: it is not part of the built collection.
Run it with ``PYTHONPATH=tests/emulator python -m azureml_emulator``; see docs/emulator.md.
"""

__version__ = "1.0.0"
