"""Puente: an offline-first app of rights and services for immigrant families."""

__version__ = "0.1.0"
