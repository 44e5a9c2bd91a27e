"""The top of the layers: who hears of whose changes, and the jobs on a clock.

An app must not import one that depends on it (docs/architecture.md), so the
booking and billing services cannot name who listens to them, and `tengja.lib`
names no domain app. This app depends on all of them and says it with real
imports: `subscribers.py` (connected to the publishers in `apps.py`) and the
`periodic` command's `JOBS`.
"""
