"""Rules, parameters, register schema, validation, summaries and reports for Hải Phòng's
NQ 55/2025/NQ-HĐND and NQ 04/2026/NQ-HĐND — everything that needs no Excel."""

__version__ = "0.2.0"
