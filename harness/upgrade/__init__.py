"""The release window: its plan (plan), its steps and rollbacks (window), and the rehearsal that
runs it on a copy of production and judges it (rehearse)."""
